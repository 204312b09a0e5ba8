// engines: sqlite
// The real server over real HTTP: create, restart the process, read the session back with the same
// token. Tokens survive the restart because the signing secret lives in the DB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKassa, startKassa as startServer } from '../support/process.ts';

const KEY = 'kassa_e2e_key_0123456789abcdef';

test('a session created over HTTP is read back with the same token after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { DATABASE_URL: `sqlite:${join(dir, 'kassa.db')}`, KASSA_API_KEY: KEY };
  const headers = { 'x-api-key': KEY, 'x-api-version': '2.4', 'content-type': 'application/json' };

  const first = await startServer(env);
  const created = await fetch(`${first.url}/client-session`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ orderId: 'e2e-1', currencyCode: 'EUR', order: { lineItems: [{ amount: 500 }], shipping: { amount: 50 } } }),
  });
  assert.equal(created.status, 200);
  const body = (await created.json()) as { clientToken: string; amount: number };
  assert.equal(body.amount, 550);
  await first.stop('SIGTERM');
  assert.equal(first.child.exitCode, 0);

  const second = await startServer(env);
  t.after(() => second.stop('SIGKILL'));
  const read = await fetch(`${second.url}/client-session?clientToken=${encodeURIComponent(body.clientToken)}`, { headers });
  assert.equal(read.status, 200);
  assert.deepEqual(await read.json(), {
    orderId: 'e2e-1',
    currencyCode: 'EUR',
    amount: 550,
    order: { lineItems: [{ amount: 500 }], shipping: { amount: 50 } },
  });
  const health = await fetch(`${second.url}/health`);
  assert.deepEqual(await health.json(), { status: 'ok' });
});

test('with no API key anywhere, the first start generates one and prints it once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { DATABASE_URL: `sqlite:${join(dir, 'kassa.db')}`, KASSA_API_KEY: '' };
  const first = await startServer(env);
  // On stderr, whose lines may come after the listening line on stdout.
  const match = /X-Api-Key: (kassa_sk_[A-Za-z0-9_-]+)/.exec(await first.waitFor(/X-Api-Key: kassa_sk_/));
  assert.ok(match, 'the generated key is printed');
  const res = await fetch(`${first.url}/client-session`, {
    method: 'POST',
    headers: { 'x-api-key': match[1]!, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(res.status, 200);
  await first.stop();
  const second = await startServer(env);
  t.after(() => second.stop('SIGKILL'));
  assert.equal(/X-Api-Key: kassa_sk_/.test(second.output()), false, 'printed only once');
});

test('a bad configuration stops start-up with a message naming each bad variable', async () => {
  const { code, stdout, stderr } = await runKassa([], { PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' }, 'src/main.ts');
  const output = stdout + stderr;
  assert.equal(code, 2);
  assert.match(output, /PORT: must be a whole number/);
  assert.match(output, /DATABASE_URL: must start with sqlite: or postgres:\/\//);
  assert.match(output, /LOG_LEVEL: must be one of/);
});
