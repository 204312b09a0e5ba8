// engines: sqlite
// Another process holding SQLite's write lock (tested here with a second connection in BEGIN IMMEDIATE):
// the event loop keeps answering while writes wait for the lock, the waiting writes commit in order once
// it is released, and a write that waits past its bound is 503 ServiceUnavailable and changes nothing.
// SQLite only: PostgreSQL's row locks have their own bound (lock_timeout, test/e2e/several-processes.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { SqliteEngine } from '../../src/storage/sqlite/database.ts';
import { openStore } from '../../src/storage/open.ts';
import { openSqliteStore } from '../../src/storage/sqlite/database.ts';
import { headers, testApp, type TestApp } from '../support/app.ts';

/** An app whose writes wait at most `lockWaitMs` for the lock, and the path of its database. */
async function appWaiting(lockWaitMs: number): Promise<{ t: TestApp; path: string }> {
  const path = join(mkdtempSync(join(tmpdir(), 'kassa-lock-')), 'kassa.db');
  const t = await testApp({ store: openSqliteStore({ path, durable: false, lockWaitMs }), env: { DATABASE_URL: `sqlite:${path}` } });
  return { t, path };
}

const writerOf = (t: TestApp) => (t.store as unknown as { sqlite: SqliteEngine }).sqlite.writer;

const create = (t: TestApp, orderId: string) =>
  t.app.inject({
    method: 'POST',
    url: '/client-session',
    headers: headers(t.apiKey),
    payload: { orderId, currencyCode: 'EUR', amount: 100 },
  });

/** Waits, turn after turn, until `condition` holds (a safety net of 30 s, not a measurement). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 30_000) assert.fail(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const orderIds = (db: Database.Database) =>
  (db.prepare("SELECT json_extract(data, '$.orderId') AS o FROM sessions ORDER BY rowid").all() as { o: string }[]).map((r) => r.o);

describe('another process holds the SQLite write lock', () => {
  test('the serving connection never waits for a lock itself (busy_timeout 0), after opening and after migrate()', async () => {
    const { t } = await appWaiting(60_000);
    try {
      const db = (t.store as unknown as { sqlite: SqliteEngine }).sqlite.db;
      assert.equal(db.pragma('busy_timeout', { simple: true }), 0);
      await t.store.migrate();
      assert.equal(db.pragma('busy_timeout', { simple: true }), 0);
    } finally {
      await t.close();
    }
  });

  test('GET /health is answered while a write waits for the lock; once it is released the write commits and answers 200', async () => {
    const { t, path } = await appWaiting(60_000);
    const holder = new Database(path);
    try {
      holder.exec('BEGIN IMMEDIATE');
      const answered: string[] = [];
      const write = create(t, 'during').then((res) => {
        answered.push('write');
        return res;
      });
      await until(() => writerOf(t).stats.busy > 0, 'the write found the lock taken');
      const health = await t.app.inject({ method: 'GET', url: '/health' });
      answered.push('health');
      assert.equal(health.statusCode, 200);
      assert.deepEqual(answered, ['health'], 'the write is still waiting');

      holder.exec('ROLLBACK');
      const res = await write;
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(answered, ['health', 'write']);
      assert.deepEqual(orderIds(holder), ['during']);
    } finally {
      holder.close();
      await t.close();
    }
  });

  test('a write that waits past the bound is 503 ServiceUnavailable with Retry-After, and nothing of it is written', async () => {
    const { t, path } = await appWaiting(50);
    const holder = new Database(path);
    try {
      holder.exec('BEGIN IMMEDIATE');
      // The lock is held until the answer came, however long the machine takes to give it.
      const res = await create(t, 'refused');
      holder.exec('ROLLBACK');
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.json().error.errorId, 'ServiceUnavailable');
      assert.equal(res.headers['retry-after'], '1');
      assert.ok(writerOf(t).stats.busy > 0);
      assert.deepEqual(orderIds(holder), []);
      // The lock gone, writes work again.
      assert.equal((await create(t, 'after')).statusCode, 200);
      assert.deepEqual(orderIds(holder), ['after']);
    } finally {
      holder.close();
      await t.close();
    }
  });

  test('writes queued behind the lock all commit, in the order they came, once it is released', async () => {
    const { t, path } = await appWaiting(60_000);
    const holder = new Database(path);
    try {
      holder.exec('BEGIN IMMEDIATE');
      const writes: ReturnType<typeof create>[] = [];
      for (let i = 0; i < 5; i++) {
        writes.push(create(t, `queued-${i}`));
        await until(() => writerOf(t).waiting === i + 1, `write ${i} queued`);
      }
      assert.ok(writerOf(t).stats.busy > 0);
      const health = await t.app.inject({ method: 'GET', url: '/health' });
      assert.equal(health.statusCode, 200);
      holder.exec('ROLLBACK');
      const answers = await Promise.all(writes);
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [200, 200, 200, 200, 200],
      );
      assert.deepEqual(orderIds(holder), ['queued-0', 'queued-1', 'queued-2', 'queued-3', 'queued-4']);
    } finally {
      holder.close();
      await t.close();
    }
  });

  test("the bound is min(KASSA_DB_TIMEOUT_MS, 5 s), as PostgreSQL's lock_timeout", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-lock-'));
    const bounds: number[] = [];
    for (const timeoutMs of [undefined, 100, 10_000, 600_000]) {
      const store = await openStore({ engine: 'sqlite', path: join(dir, 'kassa.db') }, { backgroundCheckpoints: false, timeoutMs });
      bounds.push((store as unknown as { sqlite: { writer: { lockWaitMs: number } } }).sqlite.writer.lockWaitMs);
      await store.close();
    }
    assert.deepEqual(bounds, [5000, 100, 5000, 5000]);
  });
});
