// engines: sqlite, postgres
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ConfigError, DEFAULT_RATE_LIMIT, loadConfig, parseRateLimit } from '../../src/config.ts';
import { TokenBuckets } from '../../src/http/rate-limit.ts';
import { sdkHeaders } from '../checkout/support.ts';
import { createSession, headers, testApp } from '../support/app.ts';

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

describe('TokenBuckets', () => {
  const op = fc.oneof(
    fc.constant('take' as const),
    fc.constant('charge' as const),
    fc.constant('reserve' as const),
    fc.integer({ min: 1, max: 90_000 }),
  );

  test('property: a reservation given back leaves the bucket as it was, and debt never reaches past one window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom(1000, 60_000),
        fc.array(op, { maxLength: 80 }),
        (capacity, windowMs, ops) => {
          let now = 0;
          const plain = new TokenBuckets(capacity, windowMs, () => now);
          const reserving = new TokenBuckets(capacity, windowMs, () => now);
          for (const o of ops) {
            if (typeof o === 'number') now += o;
            else if (o === 'reserve') {
              // Reserved and given back: as if the request had never come.
              if (reserving.take('a') === 0) reserving.giveBack('a');
            } else {
              plain[o]('a');
              reserving[o]('a');
            }
            const [p, r] = [plain.available('a'), reserving.available('a')];
            assert.ok(Math.abs(r - p) < 1e-9, `${r} ${p}`);
            assert.ok(p >= -capacity && p <= capacity, String(p));
          }
        },
      ),
    );
  });

  test('failures counted on an empty bucket put it into debt: the wait grows with them, up to one more window', () => {
    let now = 0;
    const buckets = new TokenBuckets(30, 60_000, () => now);
    for (let i = 0; i < 30; i++) assert.equal(buckets.take('a'), 0);
    assert.equal(buckets.peek('a'), 2);
    for (let i = 0; i < 15; i++) buckets.charge('a');
    assert.equal(buckets.peek('a'), 32);
    for (let i = 0; i < 100; i++) buckets.charge('a');
    assert.equal(buckets.peek('a'), 62);
    now += 60_000;
    assert.equal(buckets.peek('a'), 2);
    now += 2000;
    assert.equal(buckets.take('a'), 0);
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

  test('per client address: SDK requests whose token names no session count against the address, as requests without one do; a valid token keeps its own bucket', async () => {
    const t = await testApp({ env: { KASSA_RATE_LIMIT: 'key:off,token:50/s,address:5/s' } });
    try {
      const { accessToken, clientToken } = await createSession(t, { orderId: 'o-1' });
      const sdk = (token: string | undefined, remoteAddress: string) => {
        const h: Record<string, string> = sdkHeaders(token ?? '');
        if (token === undefined) delete h['primer-client-token'];
        return t.app.inject({ method: 'GET', url: '/client-sdk/configuration', headers: h, remoteAddress });
      };
      const random = () => randomBytes(20).toString('hex');
      // Seen to work once (from anywhere): the process knows this token names a session.
      assert.equal((await sdk(accessToken, '198.51.100.20')).statusCode, 200);

      // Unknown, malformed (too long), not an access token (the JWT), none at all, sent at once.
      const guesses = [random(), 'x'.repeat(300), clientToken, undefined, ...Array.from({ length: 16 }, random)];
      const answers = await Promise.all(guesses.map((token) => sdk(token, '198.51.100.7')));
      const statuses = answers.map((r) => r.statusCode);
      assert.equal(statuses.filter((s) => s === 400).length, 5, statuses.join(' '));
      assert.equal(statuses.filter((s) => s === 429).length, 15, statuses.join(' '));
      const limited = answers.find((r) => r.statusCode === 429)!;
      assert.equal(limited.json().error.description, 'Too many requests from this address.');
      assert.equal(limited.headers['retry-after'], '1');
      assert.equal((await sdk(random(), '198.51.100.7')).statusCode, 429);
      // The valid token is not refused with its address: it has its own bucket.
      for (let i = 0; i < 10; i++) assert.equal((await sdk(accessToken, '198.51.100.7')).statusCode, 200);

      // Another address: the valid token's requests take nothing from it; five guesses do.
      for (let i = 0; i < 10; i++) assert.equal((await sdk(accessToken, '203.0.113.9')).statusCode, 200);
      for (let i = 0; i < 5; i++) assert.equal((await sdk(random(), '203.0.113.9')).statusCode, 400);
      assert.equal((await sdk(random(), '203.0.113.9')).statusCode, 429);

      // A new valid token's first request from an address is answered, and gives its reservation back.
      const second = await createSession(t, { orderId: 'o-2' });
      for (let i = 0; i < 5; i++) assert.equal((await sdk(random(), '192.0.2.1')).statusCode, 400, `guess ${i}`);
      t.clock.advance(200); // one request's worth
      assert.equal((await sdk(second.accessToken, '192.0.2.1')).statusCode, 200);
      assert.equal((await sdk(random(), '192.0.2.1')).statusCode, 400);
      assert.equal((await sdk(random(), '192.0.2.1')).statusCode, 429);
      t.clock.advance(1000);
      assert.equal((await sdk(random(), '198.51.100.7')).statusCode, 400);
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
