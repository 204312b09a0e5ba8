// `runMigrations(config)` and the `migrate` entry, on both engines.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.ts';
import { runMigrations } from '../../src/storage/migrate.ts';
import { openStore } from '../../src/storage/open.ts';
import { freshDatabase } from '../support/postgres.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('runMigrations prepares an empty SQLite file and an empty PostgreSQL database, and is idempotent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-migrate-'));
  const db = await freshDatabase();
  try {
    for (const [engine, url] of [['sqlite', `sqlite:${join(dir, 'k.db')}`], ['postgres', db.url]] as const) {
      const config = loadConfig({ DATABASE_URL: url });
      assert.deepEqual(await runMigrations(config), { engine });
      assert.deepEqual(await runMigrations(config), { engine });
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

test('the migrate entry exits 0 when done, and 1 with the host named when the database is down', async () => {
  const db = await freshDatabase();
  try {
    const run = (url: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/migrate.ts'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: url },
        encoding: 'utf8',
      });
    const ok = run(db.url);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, 'kassa: postgres schema is up to date\n');
    const down = run('postgres://kassa:pw-secret@127.0.0.1:1/kassa');
    assert.equal(down.status, 1);
    assert.match(down.stderr, /^kassa: migrate failed: cannot connect to PostgreSQL at 127\.0\.0\.1:1\/kassa: /);
    assert.doesNotMatch(down.stderr, /pw-secret/);
  } finally {
    await db.drop();
  }
});
