// engines: sqlite, postgres
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { loggerOptions } from '../../src/http/observability.ts';
import { headers, testApp } from '../support/app.ts';

test('a full create/get/patch flow, with errors, replays and 429s, writes no API key, client token or access token to the log', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  // The production logger options, at the most verbose level.
  const logger = pino(loggerOptions('trace'), sink);
  const t = await testApp({ logger, env: { KASSA_RATE_LIMIT: 'key:1000/s,token:3/s' } });
  try {
    const h = { ...headers(t.apiKey), 'x-idempotency-key': 'log-flow-1' };
    const created = await t.app.inject({
      method: 'POST',
      url: '/client-session',
      headers: h,
      payload: { orderId: 'log-1', currencyCode: 'GBP', amount: 10 },
    });
    assert.equal(created.statusCode, 200);
    const replayed = await t.app.inject({
      method: 'POST',
      url: '/client-session',
      headers: h,
      payload: { orderId: 'log-1', currencyCode: 'GBP', amount: 10 },
    });
    assert.equal(replayed.headers['idempotent-replayed'], 'true');
    const token: string = created.json().clientToken;
    const accessToken = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).accessToken as string;
    assert.match(accessToken, /^[0-9a-f]{40}$/);

    const got = await t.app.inject({ method: 'GET', url: `/client-session?clientToken=${token}`, headers: headers(t.apiKey) });
    assert.equal(got.statusCode, 200);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/client-session',
      headers: { ...headers(t.apiKey), 'if-match': String(got.headers.etag) },
      payload: { clientToken: token, orderId: 'log-2' },
    });
    assert.equal(patched.statusCode, 200);
    // Error cases: a bad If-Match, a schema error, a 429 on the token, an unknown key, a server fault.
    assert.equal(
      (
        await t.app.inject({
          method: 'PATCH',
          url: '/client-session',
          headers: { ...headers(t.apiKey), 'if-match': '"old"' },
          payload: { clientToken: token },
        })
      ).statusCode,
      412,
    );
    assert.equal(
      (await t.app.inject({ method: 'GET', url: `/client-session?clientToken=${token}`, headers: headers(t.apiKey) })).statusCode,
      429,
    );
    assert.equal(
      (await t.app.inject({ method: 'POST', url: '/client-session', headers: headers(`${t.apiKey}x`), payload: {} })).statusCode,
      401,
    );
    assert.equal(
      (
        await t.app.inject({
          method: 'POST',
          url: '/client-session',
          headers: headers(t.apiKey),
          payload: { clientToken: token, amount: -1 },
        })
      ).statusCode,
      422,
    );
    const { findByAccessTokenHash, versionOf } = t.store.sessions;
    t.store.sessions.findByAccessTokenHash = t.store.sessions.versionOf = async () => {
      throw new Error('storage exploded');
    };
    t.clock.advance(1000);
    const fault = await t.app.inject({ method: 'GET', url: `/client-session?clientToken=${token}`, headers: headers(t.apiKey) });
    Object.assign(t.store.sessions, { findByAccessTokenHash, versionOf });
    assert.equal(fault.statusCode, 500);

    const log = lines.join('');
    assert.ok(lines.length >= 9, 'the flow was logged');
    assert.ok(log.includes('storage exploded'), 'the fault itself was logged');
    for (const [name, secret] of [
      ['API key', t.apiKey],
      ['client token', token],
      ['client token signature', token.split('.')[2]!],
      ['client token payload', token.split('.')[1]!],
      ['access token', accessToken],
      ['idempotency key', 'log-flow-1'],
    ] as const) {
      assert.ok(!log.includes(secret), `the log contains the ${name}`);
    }
  } finally {
    await t.close();
  }
});
