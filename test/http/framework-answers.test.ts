// engines: sqlite, postgres
// The answers given before any route runs — by the router (414, 400) and by Node's HTTP parser and
// timers (400, 408, 431) — are Primer's envelope with a diagnosticsId, logged (never with the raw
// request, at any level) and counted, like every other answer. Real sockets: the parser's errors
// only happen on them.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import pino from 'pino';
import { loggerOptions } from '../../src/http/observability.ts';
import { testApp, type TestApp } from '../support/app.ts';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJhY2Nlc3NUb2tlbiI6InNlY3JldCJ9.c2lnbmF0dXJlLXNlY3JldA';

async function listening(env: Record<string, string> = {}) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const t = await testApp({ logger: pino(loggerOptions('trace'), sink), env });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return { t, lines, port: (t.app.server.address() as AddressInfo).port };
}

/** Sends raw bytes (optionally in timed pieces) and resolves with everything received until the server closes. */
function raw(port: number, pieces: (string | { wait: number })[]): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('error', () => {});
    const deadline = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, 10_000);
    socket.on('close', () => {
      clearTimeout(deadline);
      resolve({ text, closed: true });
    });
    socket.on('connect', async () => {
      try {
        for (const piece of pieces) {
          // Once the server has closed the connection the rest is not sent (nor waited for).
          if (socket.destroyed) break;
          if (typeof piece === 'string') socket.write(piece);
          else await new Promise((r) => setTimeout(r, piece.wait));
        }
      } catch (error) {
        reject(error);
      }
    });
  });
}

function envelopeOf(text: string) {
  const [head, body] = text.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head ?? '')?.[1]);
  const requestId = /\r\nX-Request-Id: ([^\r]+)/i.exec(head ?? '')?.[1];
  return { status, requestId, head: head ?? '', body: JSON.parse(body ?? '{}') as { error: Record<string, string> } };
}

async function requestsCounted(t: TestApp, status: number): Promise<number> {
  const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  return [...metrics.matchAll(new RegExp(`^kassa_http_requests_total\\{[^}]*status="${status}"[^}]*\\} (\\d+)`, 'gm'))].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

describe('answers given before any route runs', () => {
  test('a path part over 100 characters: 414 envelope, X-Request-Id, the path not echoed, logged and counted', async () => {
    const { t, lines } = await listening();
    try {
      const long = `${'a'.repeat(150)}.svg`;
      const res = await t.app.inject({ method: 'GET', url: `/assets/icons/${long}` });
      assert.equal(res.statusCode, 414);
      assert.equal(res.json().error.errorId, 'UriTooLong');
      assert.equal(res.json().error.diagnosticsId, res.headers['x-request-id']);
      assert.ok(!res.body.includes('aaaaaaaaaa'), 'the path is not echoed');
      assert.ok(lines.some((l) => l.includes(`"requestId":"${res.headers['x-request-id']}"`) && l.includes('"status":414')));
      assert.equal(await requestsCounted(t, 414), 1);
      const bad = await t.app.inject({ method: 'GET', url: '/assets/icons/%E0%A4%A' });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.errorId, 'BadRequest');
    } finally {
      await t.close();
    }
  });

  test('a request the HTTP parser rejects: 400 envelope, and at LOG_LEVEL=trace no line holds its raw bytes (API key, token)', async () => {
    const { t, lines, port } = await listening();
    try {
      const { text, closed } = await raw(port, [
        `GET /client-session?clientToken=${TOKEN} HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${t.apiKey}\r\nBad Header Line\r\n\r\n`,
      ]);
      assert.ok(closed);
      const answer = envelopeOf(text);
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error.errorId, 'BadRequest');
      assert.equal(answer.body.error.diagnosticsId, answer.requestId);
      assert.match(answer.head, /Connection: close/i);
      const log = lines.join('');
      assert.ok(
        lines.some((l) => l.includes(`"requestId":"${answer.requestId}"`) && l.includes('"status":400')),
        'logged',
      );
      for (const secret of [t.apiKey, TOKEN, TOKEN.split('.')[2]!]) assert.ok(!log.includes(secret), 'a secret reached the log');
      assert.ok(!log.includes('rawPacket'));
      assert.equal(await requestsCounted(t, 400), 1);
    } finally {
      await t.close();
    }
  });

  test('headers too large: 431 envelope', async () => {
    const { t, port } = await listening();
    try {
      const { text } = await raw(port, [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`]);
      const answer = envelopeOf(text);
      assert.equal(answer.status, 431);
      assert.equal(answer.body.error.errorId, 'RequestHeaderFieldsTooLarge');
    } finally {
      await t.close();
    }
  });

  test('a body trickled slower than KASSA_REQUEST_TIMEOUT_MS allows is cut: 408 envelope, connection closed', async () => {
    const { t, port } = await listening({ KASSA_REQUEST_TIMEOUT_MS: '1000' });
    try {
      const pieces: (string | { wait: number })[] = [
        `POST /client-session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Api-Key: ${t.apiKey}\r\nContent-Length: 100\r\n\r\n`,
      ];
      // One byte every 200 ms would take 20 s.
      for (let i = 0; i < 100; i++) pieces.push('{', { wait: 200 });
      const started = Date.now();
      const { text, closed } = await raw(port, pieces);
      assert.ok(closed, 'the connection was still open after 10 s');
      const answer = envelopeOf(text);
      assert.equal(answer.status, 408, text);
      assert.equal(answer.body.error.errorId, 'RequestTimeout');
      assert.ok(Date.now() - started < 10_000);
      assert.equal(await requestsCounted(t, 408), 1);
    } finally {
      await t.close();
    }
  });
});
