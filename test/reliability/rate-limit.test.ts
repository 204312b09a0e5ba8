import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, DEFAULT_RATE_LIMIT, loadConfig, parseRateLimit } from '../../src/config.ts';
import { headers, testApp } from '../support/app.ts';

describe('KASSA_RATE_LIMIT', () => {
  test('parses the rates, off, and keeps defaults for a part left out', () => {
    assert.deepEqual(parseRateLimit('key:200/s,token:20/s,address:7/s,failures:5/min'), {
      perKey: 200,
      perToken: 20,
      perAddress: 7,
      failuresPerMinute: 5,
    });
    assert.deepEqual(parseRateLimit('off'), { perKey: null, perToken: null, perAddress: null, failuresPerMinute: null });
    assert.deepEqual(parseRateLimit('token:5/s'), { ...DEFAULT_RATE_LIMIT, perToken: 5 });
    assert.deepEqual(parseRateLimit('key:off,failures:off'), { ...DEFAULT_RATE_LIMIT, perKey: null, failuresPerMinute: null });
    for (const bad of ['fast', 'key:0/s', 'key:10/m', 'key:10/min', 'failures:5/s', 'key:1/s,key:2/s', 'user:1/s', '']) {
      assert.equal(typeof parseRateLimit(bad), 'string', bad);
    }
    assert.throws(
      () => loadConfig({ KASSA_RATE_LIMIT: 'lots' }),
      (e: unknown) => e instanceof ConfigError && /KASSA_RATE_LIMIT/.test(e.message),
    );
  });

  test('the default allows a busy merchant backend: 500 requests in one second per key', () => {
    assert.deepEqual(loadConfig({}).rateLimit, { perKey: 500, perToken: 50, perAddress: 50, failuresPerMinute: 30 });
  });
});

describe('rate limits', () => {
  test('per API key: over the rate is 429 TooManyRequests with Retry-After; the bucket refills with time', async () => {
    const t = await testApp({ env: { KASSA_RATE_LIMIT: 'key:3/s,token:off' } });
    try {
      const create = () => t.app.inject({ method: 'POST', url: '/client-session', headers: headers(t.apiKey), payload: { orderId: 'x' } });
      for (let i = 0; i < 3; i++) assert.equal((await create()).statusCode, 200);
      const before = (await t.store.sessions.listByMerchant('mer_default', { limit: 100 })).length;
      const limited = await create();
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.json().error.errorId, 'TooManyRequests');
      assert.equal(limited.headers['retry-after'], '1');
      assert.equal((await t.store.sessions.listByMerchant('mer_default', { limit: 100 })).length, before);
      // Another key has its own bucket (an unknown key is still a 401, not a 429).
      const other = await t.app.inject({
        method: 'POST',
        url: '/client-session',
        headers: headers('some_other_key_0123456789'),
        payload: {},
      });
      assert.equal(other.statusCode, 401);
      t.clock.advance(1000);
      assert.equal((await create()).statusCode, 200);
    } finally {
      await t.close();
    }
  });

  test('per client token: reads of one token are limited, other tokens are not', async () => {
    const t = await testApp({ env: { KASSA_RATE_LIMIT: 'key:off,token:2/s' } });
    try {
      const token = async () =>
        (await t.app.inject({ method: 'POST', url: '/client-session', headers: headers(t.apiKey), payload: { orderId: 'x' } })).json()
          .clientToken as string;
      const a = await token();
      const b = await token();
      const get = (tk: string) => t.app.inject({ method: 'GET', url: `/client-session?clientToken=${tk}`, headers: headers(t.apiKey) });
      const patch = (tk: string) =>
        t.app.inject({ method: 'PATCH', url: '/client-session', headers: headers(t.apiKey), payload: { clientToken: tk, orderId: 'y' } });
      assert.equal((await get(a)).statusCode, 200);
      assert.equal((await get(a)).statusCode, 200);
      const limited = await patch(a);
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.json().error.errorId, 'TooManyRequests');
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      assert.equal((await get(b)).statusCode, 200);
      // The refused PATCH changed nothing.
      t.clock.advance(1000);
      assert.equal((await get(a)).json().orderId, 'x');
    } finally {
      await t.close();
    }
  });

  test('off disables limiting', async () => {
    const t = await testApp({ env: { KASSA_RATE_LIMIT: 'off' } });
    try {
      for (let i = 0; i < 600; i++) {
        const res = await t.app.inject({ method: 'GET', url: '/client-session?clientToken=x', headers: headers(t.apiKey) });
        assert.equal(res.statusCode, 400);
      }
    } finally {
      await t.close();
    }
  });
});
