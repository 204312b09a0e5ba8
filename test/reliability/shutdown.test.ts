// End to end: the real server process, real HTTP over loopback, SIGTERM.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { startKassa as startServer } from '../support/process.ts';

const KEY = 'kassa_e2e_key_0123456789abcdef';

test('SIGTERM: the server stops accepting, finishes the request in flight, closes storage and exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-term-'));
  const db = join(dir, 'kassa.db');
  const server = await startServer({ DATABASE_URL: `sqlite:${db}`, KASSA_API_KEY: KEY, KASSA_RATE_LIMIT: 'off' });
  try {
    const body = JSON.stringify({ orderId: 'in-flight-order', currencyCode: 'EUR', amount: 1234 });
    const socket = connect(server.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const waitReceived = async (pattern: RegExp) => {
      for (let i = 0; i < 2000 && !pattern.test(received); i++) await new Promise((r) => setTimeout(r, 5));
      assert.match(received, pattern);
    };
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    // Expect: 100-continue makes the server say when it has the request: from then on it is in flight.
    socket.write(
      'POST /client-session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Api-Version: 2.4\r\n' +
        `X-Api-Key: ${KEY}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await waitReceived(/HTTP\/1\.1 100 Continue/);
    socket.write(body.slice(0, 10));

    server.child.kill('SIGTERM');
    await server.waitFor(/shutting down/);
    // No new connections are accepted.
    const refused = await fetch(`${server.url}/health`).then(
      () => false,
      () => true,
    );
    assert.ok(refused, 'a new connection was accepted during shutdown');

    socket.write(body.slice(10));
    await waitReceived(/HTTP\/1\.1 200 OK[\s\S]*\r\n\r\n[\s\S]*"clientToken"/);
    assert.match(received, /"amount":1234/);
    socket.end();
    await closed;

    const { code } = await server.exited;
    assert.equal(code, 0);
    assert.ok(server.lines.some((l) => /"msg":"stopped"/.test(l)));
    const check = new Database(db, { readonly: true });
    const rows = check.prepare("SELECT data FROM sessions WHERE data LIKE '%in-flight-order%'").all();
    check.close();
    assert.equal(rows.length, 1);
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM: the wait is bounded: a request that never finishes is cut after KASSA_SHUTDOWN_TIMEOUT_MS', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-term-'));
  const server = await startServer({
    DATABASE_URL: `sqlite:${join(dir, 'kassa.db')}`,
    KASSA_API_KEY: KEY,
    KASSA_SHUTDOWN_TIMEOUT_MS: '300',
  });
  try {
    const socket = connect(server.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    socket.write(
      'POST /client-session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `X-Api-Key: ${KEY}\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n{"orderId":`,
    );
    for (let i = 0; i < 2000 && !/100 Continue/.test(received); i++) await new Promise((r) => setTimeout(r, 5));
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    assert.equal(code, 1, 'a forced shutdown says so in its exit code');
    assert.ok(server.lines.some((l) => /shutdown wait ran out/.test(l)));
    socket.destroy();
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
