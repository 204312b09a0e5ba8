// engines: in-file
// A process that dies after committing a change but before answering: the retry with the same
// idempotency key replays the committed answer, and the change is not made twice. On SQLite and on
// PostgreSQL, with real processes and a real SIGKILL (test/support/faults/crash-after-commit.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import postgres from 'postgres';
import Database from 'better-sqlite3';
import { freshDatabase } from '../support/postgres.ts';
import { startKassa } from '../support/process.ts';

const KEY = 'kassa_e2e_key_0123456789abcdef';
const faults =
  fileURLToPath(new URL('../support/faults/crash-after-commit', import.meta.url)) + (import.meta.url.endsWith('.js') ? '.js' : '.ts');
/** NODE_OPTIONS that preload the fault (from source, tsx must load first). */
const preload = import.meta.url.endsWith('.js') ? `--import ${faults}` : `--import tsx --import ${faults}`;

async function crashThenRetry(databaseUrl: string, countSessions: () => Promise<number>) {
  const env = { DATABASE_URL: databaseUrl, KASSA_API_KEY: KEY, KASSA_RATE_LIMIT: 'off' };
  const body = JSON.stringify({ orderId: 'crash-order', currencyCode: 'EUR', amount: 4200 });
  const send = (url: string) =>
    fetch(`${url}/client-session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'x-api-version': '2.4', 'x-idempotency-key': 'crash-key-1' },
      body,
    });

  // The fault patches a module, so this process runs the compiled modules rather than the bundle.
  const doomed = await startKassa({ ...env, NODE_OPTIONS: preload, KASSA_TEST_CRASH_AFTER_COMMIT: 'crash-key-1' }, { modules: true });
  const lost = await send(doomed.url).then(
    () => 'answered',
    () => 'no answer',
  );
  const { signal } = await doomed.exited;
  assert.equal(lost, 'no answer', 'the process answered before it died');
  assert.equal(signal, 'SIGKILL');
  assert.ok(doomed.lines.some((l) => l.includes('fault: crashing after commit')));
  assert.equal(await countSessions(), 1, 'the change was committed before the crash');

  const revived = await startKassa(env);
  try {
    const retry = await send(revived.url);
    assert.equal(retry.status, 200);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    const json = (await retry.json()) as { orderId: string; amount: number; clientToken: string };
    assert.equal(json.orderId, 'crash-order');
    assert.equal(json.amount, 4200);
    assert.equal(await countSessions(), 1, 'the retry made a second session');
    // And the replayed token is the committed session's.
    const got = await fetch(`${revived.url}/client-session?clientToken=${json.clientToken}`, {
      headers: { 'x-api-key': KEY, 'x-api-version': '2.4' },
    });
    assert.equal(got.status, 200);
  } finally {
    await revived.stop();
  }
}

test('a crash between commit and answer: the retry replays on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-crash-'));
  const file = join(dir, 'kassa.db');
  try {
    await crashThenRetry(`sqlite:${file}`, async () => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
      } finally {
        db.close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a crash between commit and answer: the retry replays on PostgreSQL', async () => {
  const db = await freshDatabase();
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await crashThenRetry(db.url, async () => Number((await sql`SELECT COUNT(*)::int AS n FROM sessions`)[0]!.n));
  } finally {
    await sql.end();
    await db.drop();
  }
});
