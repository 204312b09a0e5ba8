// engines: sqlite
// Each engine's read helper applies the read's rule itself, so no adapter can forget it: on SQLite a
// store's reads of one turn share one read transaction (they see the database as the turn began); on
// PostgreSQL every way an adapter runs SQL (query, text, transaction, change) is bounded by the deadline.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type postgres from 'postgres';
import { openPostgresStore, STORAGE_TIMEOUT } from '../../src/storage/postgres/database.ts';
import { openSqliteStore } from '../../src/storage/sqlite/database.ts';
import { T0 } from '../support/engines.ts';

test('SQLite: the reads of one turn see the database as the turn began; the next turn sees what another connection committed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-reads-'));
  const store = openSqliteStore({ path: join(dir, 'kassa.db'), durable: false, backgroundCheckpoints: false });
  const other = new Database(join(dir, 'kassa.db'));
  t.after(async () => {
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await store.merchants.insert({ id: 'mer_a', name: 'A', createdAt: T0 });
  const addMerchant = (id: string) => other.prepare('INSERT INTO merchants (id, name, created_at) VALUES (?, ?, ?)').run(id, id, T0);

  // Each read is a different store's, so each goes through its own adapter's statements.
  const before = (await store.merchants.list()).length;
  addMerchant('mer_b');
  const sameTurn = [(await store.merchants.list()).length, (await store.merchants.findById('mer_b')) === undefined];
  assert.deepEqual([before, ...sameTurn], [1, 1, true], 'reads after the commit, in the same turn, still see the turn’s start');

  await new Promise((resolve) => setImmediate(resolve));
  assert.equal((await store.merchants.list()).length, 2, 'the next turn sees the commit');
  assert.equal((await store.merchants.findById('mer_b'))?.id, 'mer_b');
});

test('PostgreSQL: a server that stops answering fails every kind of store call with STORAGE_TIMEOUT, none hangs', async () => {
  // A pool whose first query (the check at opening) answers and every later one never does: a frozen host.
  let opened = false;
  const silent = () => new Promise<never>(() => {});
  const sql = Object.assign(
    () => {
      if (opened) return silent();
      opened = true;
      return Promise.resolve([]);
    },
    { unsafe: silent, begin: silent, end: async () => {} },
  ) as unknown as postgres.Sql;
  const store = await openPostgresStore({ url: 'postgres://frozen.invalid/kassa', poolSize: 1, timeoutMs: 1 }, sql);
  const calls: Record<string, Promise<unknown>> = {
    'query (a tagged statement)': Promise.resolve(store.sessions.findById('mer_a', 'cs_a')),
    'query with a part': store.payments.vaulted('mer_a', 'cus_a', 10, { createdAt: T0, vaultedId: 'vpm_a' }),
    'text (a built list)': store.payments.list('mer_a', {}, 10, undefined),
    transaction: store.signingKeys.ensure({ kid: 'k1', secret: 's', createdAt: T0 }),
    change: store.sessions.change('hash', () => undefined),
    commit: store.commit((uow) => uow.idempotency.complete('mer_a', 'key', 'claim', '{}')),
  };
  const outcomes = await Promise.allSettled(Object.values(calls));
  assert.deepEqual(
    Object.fromEntries(Object.keys(calls).map((name, i) => [name, (outcomes[i] as PromiseRejectedResult).reason?.code])),
    Object.fromEntries(Object.keys(calls).map((name) => [name, STORAGE_TIMEOUT])),
  );
});
