// One contract for every storage engine: the same behaviours, run against SQLite and against a real
// PostgreSQL (a fresh database per test). An adapter that passes this can serve Kassa.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import postgres from 'postgres';
import type { SessionData } from '../../src/sessions/schemas.ts';
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/migrations.ts';
import { openPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import type { ApiKey, Store, StoredSession } from '../../src/storage/store.ts';
import { freshDatabase } from '../support/postgres.ts';

interface Fixture {
  /** Migrated, empty. */
  store: Store;
  /** Another independent handle on the same database, as a second process would have (not migrated). */
  another(): Promise<Store>;
  cleanup(): Promise<void>;
}

const engines: Record<'sqlite' | 'postgres', () => Promise<Fixture>> = {
  async sqlite() {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-contract-'));
    const path = join(dir, 'kassa.db');
    const opened: Store[] = [];
    const open = async () => {
      const store = openSqliteStore({ path });
      opened.push(store);
      return store;
    };
    const store = await open();
    await store.migrate();
    return {
      store,
      another: open,
      async cleanup() {
        for (const s of opened) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  async postgres() {
    const db = await freshDatabase();
    const opened: Store[] = [];
    const open = async () => {
      const store = await openPostgresStore({ url: db.url, poolSize: 4 });
      opened.push(store);
      return store;
    };
    const store = await open();
    await store.migrate();
    return {
      store,
      another: open,
      async cleanup() {
        for (const s of opened) await s.close().catch(() => {});
        await db.drop();
      },
    };
  },
};

const T0 = Date.parse('2026-11-24T09:00:00.123Z');

const session = (over: Partial<StoredSession> = {}): StoredSession => ({
  id: 'cs_1',
  merchantId: 'mer_a',
  accessTokenHash: 'hash-1',
  data: { orderId: 'order-1', currencyCode: 'GBP', metadata: { zeta: 1, alpha: 'a', mid: 2 } } as SessionData,
  version: 1,
  createdAt: T0,
  updatedAt: T0,
  expiresAt: T0 + 86_400_000,
  ...over,
});

const key = (over: Partial<ApiKey> = {}): ApiKey => ({
  id: 'key_1',
  merchantId: 'mer_a',
  secretHash: 'secret-hash-1',
  prefix: 'sk_abcdefgh',
  scopes: ['client_tokens:write', 'transactions:retrieve'],
  createdAt: T0,
  ...over,
});

async function withMerchants(store: Store, ...ids: string[]): Promise<void> {
  for (const id of ids) await store.merchants.insert({ id, name: `Merchant ${id}`, createdAt: T0 });
}

for (const [engine, setup] of Object.entries(engines)) {
  describe(`storage contract: ${engine}`, () => {
    const fixtures: Fixture[] = [];
    const fresh = async () => {
      const f = await setup();
      fixtures.push(f);
      return f;
    };
    after(async () => {
      for (const f of fixtures) await f.cleanup();
    });

    test('a session reads back exactly as stored, by access-token hash and by merchant + id', async () => {
      const { store } = await fresh();
      await withMerchants(store, 'mer_a', 'mer_b');
      const s = session();
      await store.sessions.insert(s);
      assert.deepEqual(await store.sessions.findByAccessTokenHash('hash-1'), s);
      assert.deepEqual(await store.sessions.findById('mer_a', 'cs_1'), s);
      // metadata key order survives (the API echoes it)
      const found = await store.sessions.findById('mer_a', 'cs_1');
      assert.deepEqual(Object.keys(found!.data.metadata as object), ['zeta', 'alpha', 'mid']);
      assert.equal(typeof found!.createdAt, 'number');
      assert.equal(await store.sessions.findById('mer_b', 'cs_1'), undefined, "another merchant's id finds nothing");
      assert.equal(await store.sessions.findByAccessTokenHash('nope'), undefined);
    });

    test('a second session with the same id or access-token hash is refused and changes nothing', async () => {
      const { store } = await fresh();
      await withMerchants(store, 'mer_a');
      await store.sessions.insert(session());
      await assert.rejects(store.sessions.insert(session({ accessTokenHash: 'hash-2', data: { orderId: 'x' } as SessionData })));
      await assert.rejects(store.sessions.insert(session({ id: 'cs_2', data: { orderId: 'y' } as SessionData })));
      assert.deepEqual(await store.sessions.findById('mer_a', 'cs_1'), session());
      assert.equal(await store.sessions.findById('mer_a', 'cs_2'), undefined);
    });

    test('update is a compare-and-set on version: the stale writer gets undefined and changes nothing', async () => {
      const { store } = await fresh();
      await withMerchants(store, 'mer_a');
      await store.sessions.insert(session());
      const next = { orderId: 'order-2' } as SessionData;
      const saved = await store.sessions.update('cs_1', next, 1, T0 + 5);
      assert.deepEqual(saved, { ...session(), data: next, version: 2, updatedAt: T0 + 5 });
      assert.equal(await store.sessions.update('cs_1', { orderId: 'stale' } as SessionData, 1, T0 + 6), undefined);
      assert.equal(await store.sessions.update('cs_missing', next, 1, T0 + 6), undefined);
      assert.deepEqual(await store.sessions.findByAccessTokenHash('hash-1'), saved);
    });

    test('of many writers racing on one version, through two handles, exactly one wins', async () => {
      const { store, another } = await fresh();
      const other = await another();
      await withMerchants(store, 'mer_a');
      await store.sessions.insert(session());
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 === 0 ? store : other).sessions.update('cs_1', { orderId: `w${i}` } as SessionData, 1, T0 + i),
        ),
      );
      const winners = results.filter((r) => r !== undefined);
      assert.equal(winners.length, 1);
      const stored = await store.sessions.findById('mer_a', 'cs_1');
      assert.equal(stored!.version, 2);
      assert.deepEqual(stored!.data, winners[0]!.data);
    });

    test('listByMerchant: newest first, ties by id descending, limit and createdAt cursor, own sessions only', async () => {
      const { store } = await fresh();
      await withMerchants(store, 'mer_a', 'mer_b');
      const rows = [
        session({ id: 'cs_a', accessTokenHash: 'h-a', createdAt: T0 + 1 }),
        session({ id: 'cs_b', accessTokenHash: 'h-b', createdAt: T0 + 3 }),
        session({ id: 'cs_c', accessTokenHash: 'h-c', createdAt: T0 + 3 }),
        session({ id: 'cs_d', accessTokenHash: 'h-d', createdAt: T0 + 2 }),
        session({ id: 'cs_x', accessTokenHash: 'h-x', createdAt: T0 + 9, merchantId: 'mer_b' }),
      ];
      for (const r of rows) await store.sessions.insert(r);
      const ids = (list: StoredSession[]) => list.map((s) => s.id);
      assert.deepEqual(ids(await store.sessions.listByMerchant('mer_a', { limit: 10 })), ['cs_c', 'cs_b', 'cs_d', 'cs_a']);
      assert.deepEqual(ids(await store.sessions.listByMerchant('mer_a', { limit: 2 })), ['cs_c', 'cs_b']);
      assert.deepEqual(ids(await store.sessions.listByMerchant('mer_a', { limit: 10, before: T0 + 3 })), ['cs_d', 'cs_a']);
      assert.deepEqual(ids(await store.sessions.listByMerchant('mer_c', { limit: 10 })), []);
    });

    test('session data of any JSON shape round-trips unchanged, key order included', async () => {
      const { store } = await fresh();
      await withMerchants(store, 'mer_a');
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }), async (data) => {
          n++;
          const s = session({ id: `cs_p${n}`, accessTokenHash: `h-p${n}`, data: data as SessionData });
          await store.sessions.insert(s);
          const back = await store.sessions.findByAccessTokenHash(`h-p${n}`);
          // JSON text equality checks key order too; -0 has no JSON form and reads back as 0
          assert.equal(JSON.stringify(back!.data), JSON.stringify(data));
        }),
        { numRuns: 40 },
      );
    });

    test('millisecond timestamps up to 2^53 - 1 read back as the same numbers', async () => {
      const { store } = await fresh();
      await withMerchants(store, 'mer_a');
      const s = session({ createdAt: 0, updatedAt: 1, expiresAt: Number.MAX_SAFE_INTEGER });
      await store.sessions.insert(s);
      assert.deepEqual(await store.sessions.findById('mer_a', 'cs_1'), s);
    });

    test('merchants: insert, find, list in creation order; a duplicate id is refused', async () => {
      const { store } = await fresh();
      await store.merchants.insert({ id: 'mer_b', name: 'B', createdAt: T0 + 1 });
      await store.merchants.insert({ id: 'mer_a', name: 'A', createdAt: T0 + 1 });
      await store.merchants.insert({ id: 'mer_c', name: 'C', createdAt: T0 });
      await assert.rejects(store.merchants.insert({ id: 'mer_a', name: 'again', createdAt: T0 }));
      assert.deepEqual(await store.merchants.findById('mer_a'), { id: 'mer_a', name: 'A', createdAt: T0 + 1 });
      assert.equal(await store.merchants.findById('mer_zzz'), undefined);
      assert.deepEqual((await store.merchants.list()).map((m) => m.id), ['mer_c', 'mer_a', 'mer_b']);
    });

    test('API keys: find by secret hash, list per merchant, count, revoke once', async () => {
      const { store } = await fresh();
      await withMerchants(store, 'mer_a', 'mer_b');
      await store.apiKeys.insert(key());
      await store.apiKeys.insert(key({ id: 'key_2', secretHash: 'secret-hash-2', createdAt: T0 + 1, scopes: [] }));
      await store.apiKeys.insert(key({ id: 'key_3', secretHash: 'secret-hash-3', merchantId: 'mer_b' }));
      await assert.rejects(store.apiKeys.insert(key({ id: 'key_4' })), 'a secret hash is unique');
      assert.deepEqual(await store.apiKeys.findBySecretHash('secret-hash-1'), key());
      assert.equal(await store.apiKeys.findBySecretHash('unknown'), undefined);
      assert.deepEqual((await store.apiKeys.listByMerchant('mer_a')).map((k) => k.id), ['key_1', 'key_2']);
      assert.equal(await store.apiKeys.count(), 3);

      assert.equal(await store.apiKeys.revoke('key_1', T0 + 50), true);
      assert.equal(await store.apiKeys.revoke('key_1', T0 + 60), false, 'already revoked');
      assert.equal(await store.apiKeys.revoke('key_unknown', T0 + 60), false);
      assert.deepEqual(await store.apiKeys.findBySecretHash('secret-hash-1'), { ...key(), revokedAt: T0 + 50 });
      assert.equal(await store.apiKeys.count(), 3, 'revoked keys still count');
    });

    test('a key for an unknown merchant is refused', async () => {
      const { store } = await fresh();
      await assert.rejects(store.apiKeys.insert(key({ merchantId: 'mer_nobody' })));
      assert.equal(await store.apiKeys.count(), 0);
    });

    test('signing keys: the first candidate is kept; later candidates get it back', async () => {
      const { store } = await fresh();
      assert.deepEqual(await store.signingKeys.list(), []);
      const first = { kid: 'kid-1', secret: 's'.repeat(43), createdAt: T0 };
      assert.deepEqual(await store.signingKeys.ensure(first), first);
      assert.deepEqual(await store.signingKeys.ensure({ kid: 'kid-0', secret: 't'.repeat(43), createdAt: T0 - 1 }), first);
      assert.deepEqual(await store.signingKeys.list(), [first]);
    });

    test('signing keys: processes racing to ensure a key all end up with one and the same key', async () => {
      const { store, another } = await fresh();
      const handles = [store, await another(), await another()];
      const results = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          handles[i % 3]!.signingKeys.ensure({ kid: `kid-${i}`, secret: `${i}`.repeat(40), createdAt: T0 + i }),
        ),
      );
      assert.equal(new Set(results.map((k) => k.kid)).size, 1);
      assert.deepEqual(await store.signingKeys.list(), [results[0]]);
    });

    test('migrate is idempotent, and two processes migrating a fresh database at once both succeed', async () => {
      if (engine === 'postgres') {
        const db = await freshDatabase();
        const [a, b] = [
          await openPostgresStore({ url: db.url, poolSize: 2 }),
          await openPostgresStore({ url: db.url, poolSize: 2 }),
        ];
        try {
          await Promise.all([a.migrate(), b.migrate(), a.migrate()]);
          await b.migrate();
          await withMerchants(a, 'mer_a');
          assert.deepEqual((await b.merchants.list()).map((m) => m.id), ['mer_a']);
          const sql = postgres(db.url, { max: 1, onnotice: () => {} });
          const rows = await sql<{ id: number }[]>`SELECT id FROM schema_migrations ORDER BY id`;
          await sql.end();
          assert.deepEqual(rows.map((r) => r.id), POSTGRES_MIGRATIONS.map((m) => m.id), 'each migration recorded once');
        } finally {
          await a.close();
          await b.close();
          await db.drop();
        }
      } else {
        const { store, another } = await fresh();
        const [b, c] = await Promise.all([another(), another()]);
        await Promise.all([store.migrate(), b.migrate(), c.migrate()]);
        await withMerchants(b, 'mer_a');
        assert.deepEqual((await c.merchants.list()).map((m) => m.id), ['mer_a']);
      }
    });

    test('ping answers true while open and false once closed', async () => {
      const { another } = await fresh();
      const handle = await another();
      assert.equal(await handle.ping(), true);
      await handle.close();
      assert.equal(await handle.ping(), false);
    });

    test('the engine names itself', async () => {
      const { store } = await fresh();
      assert.equal(store.engine, engine);
    });
  });
}
