// engines: in-file
// `kassa migrate` (what `npm run migrate` runs), on both engines.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { runCli } from '../../src/cli/program.ts';
import { loadConfig } from '../../src/config.ts';
import { openStore } from '../../src/storage/open.ts';
import { freshDatabase } from '../support/postgres.ts';
import { nodeArgs, ROOT, startKassa } from '../support/process.ts';

const migrate = async (url: string) => {
  let out = '';
  const code = await runCli(['node', 'kassa', 'migrate', '--json'], { DATABASE_URL: url }, { out: (t) => (out += t), err: () => {} });
  return { code, result: JSON.parse(out) as unknown };
};

test('kassa migrate prepares an empty SQLite file and an empty PostgreSQL database, and is idempotent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-migrate-'));
  const db = await freshDatabase();
  try {
    for (const [engine, url] of [
      ['sqlite', `sqlite:${join(dir, 'k.db')}`],
      ['postgres', db.url],
    ] as const) {
      const config = loadConfig({ DATABASE_URL: url });
      assert.deepEqual(await migrate(url), { code: 0, result: { engine, migrated: true } });
      assert.deepEqual(await migrate(url), { code: 0, result: { engine, migrated: true } });
      const store = await openStore(config.database);
      await store.merchants.insert({ id: 'mer_a', name: 'A', createdAt: 1 });
      assert.deepEqual(await store.merchants.list(), [{ id: 'mer_a', name: 'A', createdAt: 1 }]);
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  }
});

test('the migrate command exits 0 when done, and 1 with the host named when the database is down', async () => {
  const db = await freshDatabase();
  try {
    const run = (url: string) =>
      spawnSync(process.execPath, [...nodeArgs('src/cli/main.ts'), 'migrate'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: url },
        encoding: 'utf8',
      });
    const ok = run(db.url);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, 'Migrations applied (postgres).\n');
    const down = run('postgres://kassa:pw-secret@127.0.0.1:1/kassa');
    assert.equal(down.status, 1);
    assert.match(down.stderr, /^kassa: cannot connect to PostgreSQL at 127\.0\.0\.1:1\/kassa: /);
    assert.doesNotMatch(down.stderr, /pw-secret/);
  } finally {
    await db.drop();
  }
});

test("another application's database is refused, on both engines, and nothing is added to it", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-foreign-'));
  const db = await freshDatabase();
  try {
    // An application's SQLite file, with a schema_migrations of its own (Rails has one).
    const file = join(dir, 'shop.db');
    const shop = new Database(file);
    shop.exec(
      "CREATE TABLE orders (id INTEGER PRIMARY KEY); CREATE TABLE schema_migrations (version TEXT); INSERT INTO schema_migrations VALUES ('2024')",
    );
    shop.close();
    const refusedSqlite = await runCliCapture(['migrate'], `sqlite:${file}`);
    assert.equal(refusedSqlite.code, 1);
    assert.match(
      refusedSqlite.err,
      /The SQLite file .*shop\.db is not Kassa's database: it already holds other tables \(orders, schema_migrations\)/,
    );
    const check = new Database(file, { readonly: true });
    const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    check.close();
    assert.deepEqual(tables, ['orders', 'schema_migrations'], 'Kassa added tables to a foreign database');

    const pg = postgres(db.url, { max: 1, onnotice: () => {} });
    await pg`CREATE TABLE customers (id INT)`;
    await pg.end();
    const refused = await runCliCapture(['migrate'], db.url);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /is not Kassa's database: it already holds other tables \(customers\)/);
    const pg2 = postgres(db.url, { max: 1, onnotice: () => {} });
    assert.deepEqual(
      (await pg2`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`).map((r) => r.table_name),
      ['customers'],
    );
    await pg2.end();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  }
});

test('DATABASE_URL forms Kassa does not support are refused; a file that cannot be opened is named', async () => {
  for (const url of ['sqlite:file:/tmp/x.db?mode=ro', 'sqlite:./data/kassa.db?cache=shared']) {
    assert.throws(() => loadConfig({ DATABASE_URL: url }), /DATABASE_URL: sqlite: takes a plain file path/, url);
  }
  assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).database, { engine: 'sqlite', path: ':memory:' });
  const dir = mkdtempSync(join(tmpdir(), 'kassa-open-'));
  try {
    // A directory where the file should be.
    const where = join(dir, 'is-a-dir.db');
    mkdirSync(where);
    const failed = await runCliCapture(['migrate'], `sqlite:${where}`);
    assert.equal(failed.code, 1);
    assert.ok(failed.err.includes(where), failed.err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function runCliCapture(args: string[], url: string) {
  let out = '';
  let err = '';
  const code = await runCli(['node', 'kassa', ...args], { DATABASE_URL: url }, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

test('sqlite::memory: starts, with a loud warning that nothing survives a restart', async () => {
  const server = await startKassa({ DATABASE_URL: 'sqlite::memory:', KASSA_API_KEY: 'kassa_e2e_key_0123456789abcdef' });
  try {
    const line = await server.waitFor(/sqlite::memory:/);
    assert.match(line, /"level":40/);
    assert.match(line, /nothing survives a restart/);
  } finally {
    await server.stop();
  }
});
