// engines: sqlite, postgres
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { purgeExpired, startPurger } from '../../src/storage/purge.ts';
import { api, pay } from '../payments/support.ts';
import { headers, testApp, type TestApp } from '../support/app.ts';

const HOUR = 3600 * 1000;

describe('expired sessions', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { KASSA_RATE_LIMIT: 'off', KASSA_TOKEN_TTL_SECONDS: '3600' } });
  });
  after(() => t.close());

  const create = async (orderId: string) =>
    (
      await t.app.inject({
        method: 'POST',
        url: '/client-session',
        headers: { ...headers(t.apiKey), 'x-idempotency-key': orderId },
        payload: { orderId },
      })
    ).json().clientToken as string;
  const all = () => t.store.sessions.listByMerchant('mer_default', { limit: 100_000 });

  test('GET and PATCH on an expired token answer ClientSessionValidationError and change nothing', async () => {
    const token = await create('exp-1');
    t.clock.advance(HOUR);
    const get = await t.app.inject({ method: 'GET', url: `/client-session?clientToken=${token}`, headers: headers(t.apiKey) });
    assert.equal(get.statusCode, 400);
    assert.equal(get.json().error.errorId, 'ClientSessionValidationError');
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/client-session',
      headers: headers(t.apiKey),
      payload: { clientToken: token, orderId: 'late' },
    });
    assert.equal(patch.statusCode, 400);
    assert.equal(patch.json().error.errorId, 'ClientSessionValidationError');
    assert.equal(
      (await all()).find((s) => s.data.orderId === 'late'),
      undefined,
    );
  });

  test('a session whose stored expiry has passed is refused even if the token still verifies', async () => {
    const token = await create('exp-2');
    const stored = (await all()).find((s) => s.data.orderId === 'exp-2')!;
    // The store is the authority: shorten the stored expiry under a token that is still valid.
    await t.query('UPDATE sessions SET expires_at = ? WHERE id = ?', [t.clock.now, stored.id]);
    const get = await t.app.inject({ method: 'GET', url: `/client-session?clientToken=${token}`, headers: headers(t.apiKey) });
    assert.equal(get.json().error.errorId, 'ClientSessionValidationError');
  });

  test('purgeExpired deletes only sessions past expiry + retention, in batches, and expired idempotency records', async () => {
    const start = t.clock.now;
    for (let i = 0; i < 7; i++) await create(`purge-${i}`);
    t.clock.advance(HOUR + 1); // the 7 have expired
    await create('still-live');
    const before = (await all()).length;

    // Within retention: nothing goes.
    let result = await purgeExpired(t.store, { now: t.clock.now, retentionMs: 2 * HOUR, batchSize: 3 });
    assert.equal(result.sessions, 0);

    t.clock.advance(2.5 * HOUR); // the 7 are past expiry + retention; 'still-live' expired but within retention
    result = await purgeExpired(t.store, { now: t.clock.now, retentionMs: 2 * HOUR, batchSize: 3 });
    const left = await all();
    assert.ok(result.sessions >= 7, `purged ${result.sessions}`);
    assert.equal(left.length, before - result.sessions);
    assert.ok(left.every((s) => s.expiresAt >= t.clock.now - 2 * HOUR));
    assert.ok(left.some((s) => s.data.orderId === 'still-live'));
    assert.equal(result.idempotencyRecords, 0); // their 24 h have not passed

    t.clock.advance(24 * HOUR);
    result = await purgeExpired(t.store, { now: t.clock.now, retentionMs: 1000 * HOUR, batchSize: 3 });
    assert.equal(result.sessions, 0);
    assert.ok(result.idempotencyRecords >= 8, `purged ${result.idempotencyRecords} records`);
    assert.ok(start < t.clock.now);

    // A limited run stops after maxBatches.
    for (let i = 0; i < 5; i++) await create(`later-${i}`);
    t.clock.advance(100 * HOUR);
    const limited = await purgeExpired(t.store, { now: t.clock.now, retentionMs: 0, batchSize: 2, maxBatches: 1 });
    assert.equal(limited.sessions, 2);
  });

  test('the background purger runs on its timer and stops cleanly', async () => {
    for (let i = 0; i < 4; i++) await create(`bg-${i}`);
    t.clock.advance(1000 * HOUR);
    const purger = startPurger({
      store: t.store,
      clock: () => t.clock.now,
      logger: pino({ level: 'silent' }),
      intervalMs: 1,
      retentionMs: 0,
      batchSize: 2,
    });
    for (let i = 0; i < 1000 && (await all()).length > 0; i++) await new Promise((r) => setTimeout(r, 5));
    await purger.stop();
    assert.equal((await all()).length, 0);
  });

  test("the background purger purges payments past the payment retention it is given (the server gives config.purge's)", async () => {
    const { payment } = await pay(t);
    assert.equal((await api(t, 'POST', `/payments/${payment.id}/cancel`, {})).statusCode, 200);
    t.clock.advance(2 * HOUR);
    const purger = startPurger({
      store: t.store,
      clock: () => t.clock.now,
      logger: pino({ level: 'silent' }),
      intervalMs: 1,
      retentionMs: 1000 * HOUR,
      batchSize: 2,
      paymentRetentionMs: HOUR,
      deliveryRetentionMs: HOUR,
    });
    for (let i = 0; i < 1000 && (await t.store.payments.findById('mer_default', payment.id)); i++)
      await new Promise((r) => setTimeout(r, 5));
    await purger.stop();
    assert.equal(await t.store.payments.findById('mer_default', payment.id), undefined);
  });
});
