// `kassa migrate` (what `npm run migrate` runs), on both engines.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../src/cli/program.ts';
import { loadConfig } from '../../src/config.ts';
import { openStore } from '../../src/storage/open.ts';
import { freshDatabase } from '../support/postgres.ts';
import { nodeArgs, ROOT } from '../support/process.ts';

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
