// engines: sqlite, postgres
// The authorization validity (docs/payments.md, "Authorization validity"): an AUTHORIZED payment can be
// captured for KASSA_AUTHORIZATION_VALIDITY_SECONDS on its merchant's time; then the job runner cancels it, as
// Primer's expired authorizations end, whether the time passed or the sandbox clock was advanced.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { testApp, type TestApp } from '../support/app.ts';
import { api, assertError, CARDS, otherMerchant, pay, post, read, statusEvents } from '../payments/support.ts';

const DAY = 86_400;
const advance = async (t: TestApp, advanceSeconds: number, key = t.apiKey) => {
  const res = await api(t, 'POST', '/kassa/sandbox/clock', { advanceSeconds }, { key });
  assert.equal(res.statusCode, 200, res.body);
};
const sale = (payment: Record<string, any>) => (payment.transactions as Record<string, any>[]).find((t) => t.transactionType === 'SALE')!;

describe('the authorization validity (7 days by default)', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  test('at an advance: captured a second before it works; a second later the payment is CANCELLED, with its event, and a capture is refused', async () => {
    const early = (await pay(t, CARDS.visa)).payment;
    const late = (await pay(t, CARDS.visa)).payment;
    assert.equal(late.status, 'AUTHORIZED');
    // Its expiry is found from the payment's row: an authorization writes no job row.
    const [jobs] = await t.query('SELECT count(*) AS n FROM payment_jobs WHERE payment_id = ?', [late.id]);
    assert.equal(Number(jobs!.n), 0);
    await advance(t, 7 * DAY - 1);
    const captured = await post(t, early.id, 'capture');
    assert.equal(captured.statusCode, 200, captured.body);
    assert.equal(captured.json().status, 'SETTLED');
    assert.equal((await read(t, late.id)).status, 'AUTHORIZED');
    await advance(t, 1);
    const expired = await read(t, late.id);
    assert.equal(expired.status, 'CANCELLED');
    assert.equal(expired.statusReason, undefined, 'Primer gives a statusReason to DECLINED and FAILED only');
    assert.equal(sale(expired).reason, 'AUTHORIZATION_EXPIRED');
    assert.deepEqual(await statusEvents(t, late.id), ['PENDING', 'AUTHORIZED', 'CANCELLED']);
    const refused = assertError(await post(t, late.id, 'capture'), 400, 'InvalidPaymentStatus');
    assert.equal(refused.description, 'A payment with status CANCELLED cannot be captured.');
    // The settled payment is not touched by its (dropped) expiry.
    assert.equal((await read(t, early.id)).status, 'SETTLED');
    assert.deepEqual(await statusEvents(t, early.id), ['PENDING', 'AUTHORIZED', 'SETTLED']);
  });

  test('with the time passing: a capture past the validity before the job runner expired it is refused and changes nothing; the runner then cancels', async () => {
    const { payment } = await pay(t, CARDS.visa);
    t.clock.advance(7 * DAY * 1000);
    const refused = assertError(await post(t, payment.id, 'capture'), 400, 'InvalidPaymentStatus');
    assert.match(refused.description, /authorization expired at .+: it can no longer be captured\.$/);
    assert.equal(refused.paymentId, payment.id);
    assert.equal(refused.paymentStatus, 'AUTHORIZED');
    const unchanged = await read(t, payment.id);
    assert.equal(unchanged.status, 'AUTHORIZED');
    assert.equal(unchanged.dateUpdated, payment.dateUpdated);
    await t.app.paymentJobs!.runDue();
    assert.equal((await read(t, payment.id)).status, 'CANCELLED');
  });

  test('a partly captured authorization stops capturing when it expires, its status kept', async () => {
    const { payment } = await pay(t, CARDS.visa);
    const part = await post(t, payment.id, 'capture', { amount: 400, final: false });
    assert.equal(part.json().status, 'PARTIALLY_SETTLED');
    await advance(t, 7 * DAY);
    assert.equal((await read(t, payment.id)).status, 'PARTIALLY_SETTLED');
    assertError(await post(t, payment.id, 'capture', { amount: 100 }), 400, 'InvalidPaymentStatus');
    assert.deepEqual(await statusEvents(t, payment.id), ['PENDING', 'AUTHORIZED', 'PARTIALLY_SETTLED']);
  });

  test('an ESTIMATED authorization past its validity cannot be adjusted', async () => {
    const { payment } = await pay(t, CARDS.visa, { body: { paymentMethod: { authorizationType: 'ESTIMATED' } } });
    t.clock.advance(7 * DAY * 1000);
    const refused = assertError(await post(t, payment.id, 'adjust-authorization', { amount: 1500 }), 400, 'InvalidPaymentStatus');
    assert.match(refused.description, /can no longer be adjusted\.$/);
    assert.equal((await read(t, payment.id)).amount, 1000);
  });

  test("another merchant's authorizations keep the server's time", async () => {
    const a = await otherMerchant(t);
    const b = await otherMerchant(t);
    const pa = (await pay(t, CARDS.visa, { key: a.key })).payment;
    const pb = (await pay(t, CARDS.visa, { key: b.key })).payment;
    await advance(t, 7 * DAY, a.key);
    const status = async (key: string, id: string) => (await api(t, 'GET', `/payments/${id}`, undefined, { key })).json().status;
    assert.equal(await status(a.key, pa.id), 'CANCELLED');
    assert.equal(await status(b.key, pb.id), 'AUTHORIZED');
    const captured = await api(t, 'POST', `/payments/${pb.id}/capture`, {}, { key: b.key });
    assert.equal(captured.statusCode, 200, captured.body);
  });
});

describe('KASSA_AUTHORIZATION_VALIDITY_SECONDS', () => {
  let t: TestApp;
  const validity = 3600;
  before(async () => {
    t = await testApp({ env: { KASSA_AUTHORIZATION_VALIDITY_SECONDS: String(validity) } });
  });
  after(() => t.close());

  test('a capture d seconds after the authorization works exactly when d < the validity', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 0, max: 2 * validity }), fc.constantFrom(validity - 1, validity, validity + 1)),
        async (d) => {
          const { payment } = await pay(t, CARDS.visa);
          t.clock.advance(d * 1000);
          const res = await post(t, payment.id, 'capture');
          if (d < validity) assert.equal(res.statusCode, 200, `d = ${d}: ${res.body}`);
          else assertError(res, 400, 'InvalidPaymentStatus');
        },
      ),
      { numRuns: 12 },
    );
  });
});
