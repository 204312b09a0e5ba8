// engines: sqlite
// End to end: a 200 means committed. The real server is killed with SIGKILL in the middle of a stream
// of creates and patches; after a restart every acknowledged write is there and the file is sound.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { startKassa as startServer } from '../support/process.ts';

const KEY = 'kassa_e2e_key_0123456789abcdef';
const WRITERS = 4;
const KILL_AFTER_ACKS = 120;

test('SIGKILL during a stream of writes loses no acknowledged write and leaves a sound database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-kill-'));
  const db = join(dir, 'kassa.db');
  const env = { DATABASE_URL: `sqlite:${db}`, KASSA_API_KEY: KEY, KASSA_RATE_LIMIT: 'off' };
  const h = { 'x-api-key': KEY, 'x-api-version': '2.4', 'content-type': 'application/json' };
  let server = await startServer(env);
  /** token -> the highest acknowledged `seq` in its metadata. */
  const acknowledged = new Map<string, number>();
  let acks = 0;
  let killed = false;
  try {
    const writer = async (w: number) => {
      // Bounded: each writer stops at the kill, or after 200 writes at most.
      for (let n = 0; n < 200 && !killed; n++) {
        try {
          if (n % 5 === 0) {
            const res = await fetch(`${server.url}/client-session`, {
              method: 'POST',
              headers: h,
              body: JSON.stringify({ orderId: `w${w}-${n}`, metadata: { seq: 0 } }),
            });
            if (res.status !== 200) throw new Error(`create: ${res.status}`);
            const { clientToken } = (await res.json()) as { clientToken: string };
            acknowledged.set(clientToken, 0);
          } else {
            const mine = [...acknowledged.keys()].filter((_, i) => i % WRITERS === w % WRITERS);
            const token = mine.at(-1) ?? [...acknowledged.keys()].at(-1);
            if (!token) continue;
            const seq = n;
            const res = await fetch(`${server.url}/client-session`, {
              method: 'PATCH',
              headers: h,
              body: JSON.stringify({ clientToken: token, metadata: { seq } }),
            });
            if (res.status !== 200) throw new Error(`patch: ${res.status}`);
            await res.arrayBuffer();
            acknowledged.set(token, Math.max(acknowledged.get(token) ?? 0, seq));
          }
          if (++acks === KILL_AFTER_ACKS) {
            server.child.kill('SIGKILL');
            killed = true;
          }
        } catch (error) {
          if (!killed) throw error; // a refused or cut connection after the kill is expected
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    assert.ok(killed, 'the server was killed mid-stream');
    const { signal } = await server.exited;
    assert.equal(signal, 'SIGKILL');
    assert.ok(acknowledged.size > 10);

    server = await startServer(env);
    for (const [token, seq] of acknowledged) {
      const res = await fetch(`${server.url}/client-session?clientToken=${token}`, { headers: h });
      assert.equal(res.status, 200, `an acknowledged session is missing after the restart`);
      const session = (await res.json()) as { metadata: { seq: number } };
      // A later write may have committed without its answer arriving; an acknowledged one is never lost.
      assert.ok(session.metadata.seq >= seq, `acknowledged seq ${seq}, found ${session.metadata.seq}`);
    }
    const check = new Database(db, { readonly: true });
    assert.deepEqual(check.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    assert.deepEqual(check.pragma('foreign_key_check'), []);
    check.close();
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
