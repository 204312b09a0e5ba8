// engines: sqlite, postgres
// The merchant's sandbox clock (docs/sandbox.md, "Clock"): GET and POST /kassa/sandbox/clock, and what
// advancing does at once to that merchant's data, and only to that merchant's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSession, getSession, START, testApp, type TestApp } from '../support/app.ts';
import { sha256 } from '../../src/lib/ids.ts';
import { purgeExpired } from '../../src/storage/purge.ts';
import { act, sdkHeaders } from '../checkout/support.ts';
import { api, assertError, CARDS, otherMerchant, pay, read, scopedKey } from '../payments/support.ts';

const DAY = 86_400;
/** An SDK route: the checkout configuration, which needs only the session's access token. */
const configuration = (t: TestApp, accessToken: string) =>
  t.app.inject({ method: 'GET', url: '/client-sdk/configuration', headers: sdkHeaders(accessToken) });
const clockOf = async (t: TestApp, key = t.apiKey) => {
  const res = await api(t, 'GET', '/kassa/sandbox/clock', undefined, { key });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { now: string; offsetSeconds: number };
};
const advance = async (t: TestApp, advanceSeconds: number, key = t.apiKey) => {
  const res = await api(t, 'POST', '/kassa/sandbox/clock', { advanceSeconds }, { key });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { now: string; offsetSeconds: number };
};

describe('the sandbox clock', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  test('GET shows the merchant time; POST moves it forward and answers the same shape; advances add up', async (c) => {
    const other = await otherMerchant(t);
    assert.deepEqual(await clockOf(t, other.key), { now: new Date(START).toISOString(), offsetSeconds: 0 });
    assert.deepEqual(await advance(t, 3600, other.key), { now: new Date(START + 3_600_000).toISOString(), offsetSeconds: 3600 });
    assert.deepEqual(await advance(t, 60, other.key), { now: new Date(START + 3_660_000).toISOString(), offsetSeconds: 3660 });
    t.clock.advance(1000);
    c.after(() => t.clock.advance(-1000));
    assert.deepEqual(await clockOf(t, other.key), { now: new Date(START + 3_661_000).toISOString(), offsetSeconds: 3660 });
    // Another merchant's clock did not move.
    assert.equal((await clockOf(t)).offsetSeconds, 0);
  });

  test('time never goes back: zero, negative, fractional, too far are 400 in the envelope, and nothing changes', async () => {
    const other = await otherMerchant(t);
    await advance(t, 10, other.key);
    for (const bad of [0, -5, 1.5, 10 * 365 * DAY + 1, Number.MAX_SAFE_INTEGER]) {
      const res = await api(t, 'POST', '/kassa/sandbox/clock', { advanceSeconds: bad }, { key: other.key });
      assertError(res, 400, 'InvalidClockAdvance');
    }
    // The bound is on the total: ten years in all.
    await advance(t, 10 * 365 * DAY - 10, other.key);
    assertError(await api(t, 'POST', '/kassa/sandbox/clock', { advanceSeconds: 1 }, { key: other.key }), 400, 'InvalidClockAdvance');
    assertError(await api(t, 'POST', '/kassa/sandbox/clock', { advanceSeconds: '60' }, { key: other.key }), 422, 'RequestValidationError');
    assertError(await api(t, 'POST', '/kassa/sandbox/clock', {}, { key: other.key }), 422, 'RequestValidationError');
    assert.equal((await clockOf(t, other.key)).offsetSeconds, 10 * 365 * DAY);
  });

  test('a key without sandbox:write is refused (403), and the clock does not move', async () => {
    const key = await scopedKey(t, ['client_tokens:write']);
    assertError(await api(t, 'POST', '/kassa/sandbox/clock', { advanceSeconds: 60 }, { key }), 403, 'Forbidden');
    assertError(await api(t, 'GET', '/kassa/sandbox/clock', undefined, { key }), 403, 'Forbidden');
  });

  test("client tokens past their exp are refused on server and SDK routes, for that merchant only; a new token carries the merchant's time", async () => {
    const a = await otherMerchant(t);
    const b = await otherMerchant(t);
    const sa = await createSession(t, { orderId: 'a' }, { key: a.key });
    const sb = await createSession(t, { orderId: 'b' }, { key: b.key });
    const ttl = t.config.tokenTtlSeconds;
    await advance(t, ttl - 1, a.key);
    assert.equal((await getSession(t, sa.clientToken, a.key)).statusCode, 200, 'one second left');
    await advance(t, 1, a.key);
    assertError(await getSession(t, sa.clientToken, a.key), 400, 'ClientSessionValidationError');
    assertError(await act(t, sa.accessToken, []), 400, 'ClientSessionValidationError');
    // B's token, made at the same instant, still works on both.
    assert.equal((await getSession(t, sb.clientToken, b.key)).statusCode, 200);
    assert.notEqual((await act(t, sb.accessToken, [])).statusCode, 400);
    // A session made now expires a TTL after A's time, not the system's.
    const fresh = await createSession(t, { orderId: 'a2' }, { key: a.key });
    assert.equal(fresh.claims.exp, Math.floor((START + 2 * ttl * 1000) / 1000));
    assert.equal((await getSession(t, fresh.clientToken, a.key)).statusCode, 200);
  });

  test('sessions past their retention are purged at once, only the merchant’s', async () => {
    const a = await otherMerchant(t);
    const b = await otherMerchant(t);
    const sa = await createSession(t, { orderId: 'a' }, { key: a.key });
    const sb = await createSession(t, { orderId: 'b' }, { key: b.key });
    const idOf = async (s: { accessToken: string }) => (await t.store.sessions.findByAccessTokenHash(sha256(s.accessToken)))?.id;
    assert.ok(await idOf(sa));
    await advance(t, t.config.tokenTtlSeconds + t.config.purge.retentionMs / 1000 - 1, a.key);
    assert.ok(await idOf(sa), 'expired, still within its retention');
    await advance(t, 2, a.key);
    assert.equal(await idOf(sa), undefined);
    assert.ok(await idOf(sb));
  });

  test('idempotency records expire on the merchant clock', async () => {
    const a = await otherMerchant(t);
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: '/client-session',
        headers: { 'x-api-key': a.key, 'x-api-version': '2.4', 'content-type': 'application/json', 'x-idempotency-key': 'k-1' },
        payload: { orderId: 'idem' },
      });
    const first = await send();
    assert.equal(first.statusCode, 200, first.body);
    assert.equal((await send()).json().clientToken, first.json().clientToken, 'replayed');
    await advance(t, t.config.idempotencyTtlMs / 1000, a.key);
    const later = await send();
    assert.equal(later.statusCode, 200, later.body);
    assert.notEqual(later.json().clientToken, first.json().clientToken, 'a new session: the record expired');
  });
});

describe('the sandbox clock and payments', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  test('a pending 3DS challenge past its validity ends as an abandoned one does, with its webhook event', async () => {
    const { payment } = await pay(t, CARDS.challenge);
    assert.equal(payment.status, 'PENDING');
    await advance(t, 60 * 60);
    const after = await read(t, payment.id);
    assert.equal(after.status, 'FAILED');
    const events = await t.store.payments.events('mer_default', payment.id);
    assert.deepEqual(
      events.filter((e) => e.type === 'PAYMENT.STATUS').map((e) => e.status),
      ['PENDING', 'FAILED'],
    );
  });

  test('a pending asynchronous step runs at the advance', async () => {
    const { payment } = await pay(t, CARDS.asyncAuthorized);
    await t.app.paymentJobs!.runDue();
    assert.equal((await read(t, payment.id)).status, 'PENDING', 'not due on the system clock');
    await advance(t, 60);
    assert.equal((await read(t, payment.id)).status, 'AUTHORIZED');
  });
});

describe('the sandbox clock across processes and restarts', () => {
  test('SDK routes of another process refuse a token its advance expired, though no API-key request of the merchant reached them', async () => {
    const first = await testApp();
    try {
      const second = await testApp({ store: await first.another() });
      const other = await otherMerchant(first);
      const s = await createSession(first, { orderId: 'sdk' }, { key: other.key });
      // The first process has served the merchant's SDK routes at offset 0.
      assert.equal((await configuration(first, s.accessToken)).statusCode, 200);
      await advance(second, first.config.tokenTtlSeconds, other.key);
      assertError(await configuration(first, s.accessToken), 400, 'ClientSessionValidationError');
      // The offset it read with the session is the merchant's time now: a new session made here lives on it.
      const made = await createSession(first, { orderId: 'after' }, { key: other.key });
      assert.equal(made.claims.exp, Math.floor(START / 1000) + 2 * first.config.tokenTtlSeconds);
      // After a reset on the second process the first sees the server's time again at the next lookup
      // (holding the old offset, it would judge this session, made at START for a TTL, expired).
      const reset = await api(second, 'POST', '/kassa/sandbox/reset', {}, { key: other.key });
      assert.equal(reset.statusCode, 200, reset.body);
      const again = await createSession(second, { orderId: 'again' }, { key: other.key });
      assert.equal((await configuration(first, again.accessToken)).statusCode, 200);
      await second.app.close();
    } finally {
      await first.close();
    }
  });

  test("the timed purger judges each merchant's sessions on its time", async () => {
    const t = await testApp();
    try {
      const a = await otherMerchant(t);
      const b = await otherMerchant(t);
      const sa = await createSession(t, { orderId: 'a' }, { key: a.key });
      const sb = await createSession(t, { orderId: 'b' }, { key: b.key });
      const idOf = async (s: { accessToken: string }) => (await t.store.sessions.findByAccessTokenHash(sha256(s.accessToken)))?.id;
      const ttl = t.config.tokenTtlSeconds * 1000;
      const retention = t.config.purge.retentionMs;
      // A's clock is a day ahead: not yet past its retention at the advance.
      await advance(t, DAY, a.key);
      assert.ok(await idOf(sa));
      const purge = () => purgeExpired(t.store, { now: t.clock.now, retentionMs: retention, batchSize: 10 });
      t.clock.advance(ttl + retention - DAY * 1000);
      assert.equal((await purge()).sessions, 0, 'exactly at the end of its retention on its time: kept');
      t.clock.advance(1);
      assert.equal((await purge()).sessions, 1);
      assert.equal(await idOf(sa), undefined);
      assert.ok(await idOf(sb), "B's session is a day from its purge on the server's time");
      t.clock.advance(DAY * 1000);
      assert.equal((await purge()).sessions, 1);
      assert.equal(await idOf(sb), undefined);
    } finally {
      await t.close();
    }
  });

  test('another process sees an advance at its next request, and a restarted one keeps it', async () => {
    const first = await testApp();
    try {
      const second = await testApp({ store: await first.another() });
      const s = await createSession(first, { orderId: 'x' });
      // Both processes have seen the merchant at offset 0.
      assert.equal((await getSession(second, s.clientToken)).statusCode, 200);
      await advance(second, first.config.tokenTtlSeconds);
      assertError(await getSession(first, s.clientToken), 400, 'ClientSessionValidationError');
      assert.equal((await clockOf(first)).offsetSeconds, first.config.tokenTtlSeconds);
      await second.app.close();
      // A process started now learns the offset from storage.
      const third = await testApp({ store: await first.another() });
      assert.equal((await clockOf(third)).offsetSeconds, first.config.tokenTtlSeconds);
      const made = await createSession(third, { orderId: 'y' });
      assert.equal(made.claims.exp, Math.floor(START / 1000) + 2 * first.config.tokenTtlSeconds);
      await third.app.close();
    } finally {
      await first.close();
    }
  });
});
