// engines: sqlite
// `kassa faults list|add|delete|clear` against a temporary SQLite database, in process (runCli), beside
// an in-process app on the same file: a fault the CLI adds answers the app's next request; --json
// prints what the API answers; an operation the server does not serve is refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSqliteStore } from '../../src/storage/sqlite/database.ts';
import { api, assertError, ORDER } from '../payments/support.ts';
import { testApp, type TestApp } from '../support/app.ts';
import { kassaInProcess as run } from '../support/process.ts';

describe('kassa faults', () => {
  let dir: string;
  let env: Record<string, string>;
  let t: TestApp;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kassa-cli-faults-'));
    const dbPath = join(dir, 'kassa.db');
    env = { DATABASE_URL: `sqlite:${dbPath}` };
    t = await testApp({ store: openSqliteStore({ path: dbPath }) });
    t.clock.now = Date.now();
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('add, list, the app answers with it, delete and clear', async () => {
    const added = await run(['faults', 'add', 'POST /client-session', '--status', '502', '--times', '2', '--json'], env);
    assert.equal(added.code, 0, added.stderr);
    const fault = JSON.parse(added.stdout);
    assert.equal(fault.operation, 'POST /client-session');
    assert.equal(fault.status, 502);
    const listed = await run(['faults', 'list', '--json'], env);
    assert.deepEqual(JSON.parse(listed.stdout), (await api(t, 'GET', '/kassa/sandbox/faults')).json().data);
    const res = await api(t, 'POST', '/client-session', ORDER);
    assertError(res, 502, 'BadGateway');
    assert.equal(res.headers['kassa-fault'], fault.id);
    assert.match((await run(['faults', 'list'], env)).stdout, /POST \/client-session\s+502\s+before\s+1\/2/);
    assert.equal((await run(['faults', 'delete', fault.id], env)).code, 0);
    assert.equal((await api(t, 'POST', '/client-session', ORDER)).statusCode, 200);
    await run(['faults', 'add', 'GET /client-session', '--status', 'timeout', '--phase', 'after'], env);
    assert.deepEqual(JSON.parse((await run(['faults', 'clear', '--json'], env)).stdout), { deleted: 1 });
  });

  test('an unknown operation, status or bound is refused, and nothing is made', async () => {
    const unknown = await run(['faults', 'add', 'POST /nowhere', '--status', '503'], env);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /not an operation of this server/);
    assert.notEqual((await run(['faults', 'add', 'POST /payments', '--status', '404'], env)).code, 0);
    assert.notEqual((await run(['faults', 'add', 'POST /payments', '--status', '503', '--times', '0'], env)).code, 0);
    assert.equal((await run(['faults', 'list'], env)).stdout, 'No sandbox faults for mer_default.\n');
  });
});
