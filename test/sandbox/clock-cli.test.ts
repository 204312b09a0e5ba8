// engines: sqlite
// `kassa clock show|advance`: the merchant's sandbox clock from the shell, seen by a server on the same
// database at the merchant's next request.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openSqliteStore } from '../../src/storage/sqlite/database.ts';
import { api } from '../payments/support.ts';
import { testApp } from '../support/app.ts';
import { kassaInProcess as run } from '../support/process.ts';

test('kassa clock advance moves the merchant clock, refuses a bad count, and the server sees it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-clock-cli-'));
  const path = join(dir, 'kassa.db');
  const env = { DATABASE_URL: `sqlite:${path}` };
  const t = await testApp({ store: openSqliteStore({ path }) });
  try {
    t.clock.now = Date.now(); // the CLI runs on the real clock
    const shown = await run(['clock', 'show', '--json'], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal((JSON.parse(shown.stdout) as { offsetSeconds: number }).offsetSeconds, 0);
    const advanced = await run(['clock', 'advance', '3600', '--json'], env);
    assert.equal(advanced.code, 0, advanced.stderr);
    assert.equal((JSON.parse(advanced.stdout) as { offsetSeconds: number }).offsetSeconds, 3600);
    for (const bad of ['0', '-1', '1.5', 'soon']) {
      const refused = await run(['clock', 'advance', bad], env);
      assert.notEqual(refused.code, 0, bad);
    }
    const tooFar = await run(['clock', 'advance', String(10 * 365 * 86_400)], env);
    assert.notEqual(tooFar.code, 0, 'the total would pass ten years');
    const res = await api(t, 'GET', '/kassa/sandbox/clock');
    assert.equal(res.json().offsetSeconds, 3600);
    assert.equal((await run(['clock', 'show', '--merchant', 'mer_nobody'], env)).code === 0, false);
    const production = await run(['clock', 'advance', '60'], { ...env, KASSA_MODE: 'production' });
    assert.equal(production.code, 2);
    assert.match(production.stderr, /KASSA_MODE=production/);
    assert.equal((await api(t, 'GET', '/kassa/sandbox/clock')).json().offsetSeconds, 3600, 'nothing moved');
  } finally {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
