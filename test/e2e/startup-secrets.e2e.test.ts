// engines: sqlite
// Secrets a process makes at start (a generated API key, a generated webhook secret) are printed once
// for the person starting it, on stderr: never in the JSON log on stdout, which is collected and kept.
// A KASSA_WEBHOOK_URL the destination rules refuse stops start-up like any bad variable.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runKassa, startKassa } from '../support/process.ts';

test('a generated API key and webhook secret go to stderr, never to the log on stdout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kassa = await startKassa({
    DATABASE_URL: `sqlite:${join(dir, 'kassa.db')}`,
    KASSA_API_KEY: '',
    KASSA_WEBHOOK_URL: 'http://127.0.0.1:9/kassa',
  });
  t.after(() => kassa.stop('SIGKILL'));
  const key = /X-Api-Key: (kassa_sk_[A-Za-z0-9_-]+)/.exec(await kassa.waitFor(/X-Api-Key: kassa_sk_/))![1]!;
  const secret = (await kassa.waitFor(/^\s+whsec_[A-Za-z0-9_-]+$/)).trim();
  assert.ok(kassa.errorLines.some((l) => l.includes(key)) && kassa.errorLines.some((l) => l.includes(secret)), 'both on stderr');
  // A request after them, so the log has more than the start-up lines.
  assert.equal((await fetch(`${kassa.url}/health`)).status, 200);
  await kassa.waitFor(/"route":"\/health"/);
  const stdout = kassa.lines.join('\n');
  assert.ok(!stdout.includes(key) && !stdout.includes(secret), 'neither in the log on stdout');
  assert.ok(
    kassa.lines.every((l) => l.startsWith('{')),
    'stdout is the JSON log alone',
  );
});

test('KASSA_WEBHOOK_URL to a metadata address, or to loopback with KASSA_WEBHOOK_PRIVATE=deny, stops start-up with exit 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { DATABASE_URL: `sqlite:${join(dir, 'kassa.db')}`, KASSA_API_KEY: 'kassa_e2e_key_0123456789abcdef' };
  const metadata = await runKassa([], { ...env, KASSA_WEBHOOK_URL: 'http://169.254.169.254/latest/meta-data/' }, 'src/main.ts');
  assert.equal(metadata.code, 2, metadata.stderr);
  assert.match(metadata.stderr, /KASSA_WEBHOOK_URL: Must not be a cloud metadata service\./);
  const local = await runKassa([], { ...env, KASSA_WEBHOOK_URL: 'http://127.0.0.1:9/', KASSA_WEBHOOK_PRIVATE: 'deny' }, 'src/main.ts');
  assert.equal(local.code, 2, local.stderr);
  assert.match(local.stderr, /KASSA_WEBHOOK_URL: Must not be a loopback address on this server \(KASSA_WEBHOOK_PRIVATE=deny\)\./);
});
