// engines: sqlite
// What the real server says as it starts: the database it opened, and why it cannot listen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endOfLifeWarning } from '../../src/lib/node-support.ts';
import { runKassa, startKassa } from '../support/process.ts';

const KEY = 'kassa_e2e_key_0123456789abcdef';

test('the start log names the database opened, as an absolute file; a second server on a PORT in use exits 2 naming PORT', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-start-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { DATABASE_URL: `sqlite:${join(dir, 'kassa.db')}`, KASSA_API_KEY: KEY };
  const server = await startKassa(env);
  t.after(() => server.stop('SIGKILL'));
  const ready = JSON.parse(await server.waitFor(/"msg":"storage ready"/)) as { database: string };
  assert.equal(ready.database, `sqlite:${join(dir, 'kassa.db')}`);
  // On a Node line past its end of life (20 on this machine), one warning says so; on a maintained one, none.
  const outdated = endOfLifeWarning(process.version, Date.now());
  const warned = server.lines.filter((l) => /reached end of life/.test(l)).map((l) => (JSON.parse(l) as { msg: string }).msg);
  assert.deepEqual(warned, outdated ? [outdated] : []);

  const second = await runKassa([], { ...env, PORT: String(server.port) }, 'src/main.ts');
  assert.equal(second.code, 2, second.stderr);
  assert.match(
    second.stderr,
    new RegExp(
      `^kassa: cannot listen on 127\\.0\\.0\\.1:${server.port}: the port is already in use \\(EADDRINUSE\\); set PORT to another port`,
    ),
  );
  assert.doesNotMatch(second.stderr, /\n\s+at /, 'no stack trace');
});
