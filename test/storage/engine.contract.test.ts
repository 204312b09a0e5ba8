// engines: in-file
// What every engine does beyond the feature stores: migrations, readiness, its name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import postgres from 'postgres';
import { MIGRATIONS } from '../../src/storage/migrations.ts';
import { openPostgresStore } from '../../src/storage/postgres/database.ts';
import { forEachEngine, withMerchants } from '../support/engines.ts';
import { freshDatabase } from '../support/postgres.ts';

forEachEngine('storage engine', (engine, fresh) => {
  test('migrate is idempotent, and two processes migrating a fresh database at once both succeed', async () => {
    if (engine === 'postgres') {
      const db = await freshDatabase();
      const [a, b] = [await openPostgresStore({ url: db.url, poolSize: 2 }), await openPostgresStore({ url: db.url, poolSize: 2 })];
      try {
        await Promise.all([a.migrate(), b.migrate(), a.migrate()]);
        await b.migrate();
        await withMerchants(a, 'mer_a');
        assert.deepEqual(
          (await b.merchants.list()).map((m) => m.id),
          ['mer_a'],
        );
        const sql = postgres(db.url, { max: 1, onnotice: () => {} });
        const rows = await sql<{ id: number }[]>`SELECT id FROM schema_migrations ORDER BY id`;
        await sql.end();
        assert.deepEqual(
          rows.map((r) => r.id),
          MIGRATIONS.map((m) => m.id),
          'each migration recorded once',
        );
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
      assert.deepEqual(
        (await c.merchants.list()).map((m) => m.id),
        ['mer_a'],
      );
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
