// engines: sqlite
// startKassa's sandbox helpers against the controls' contracts (docs/sandbox.md): advanceClock, fault,
// trigger and reset, through the package's name as a merchant's suite uses them. They call the routes
// of the clock, faults, triggers and reset, and pass once those are in the built server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KassaApiError, startKassa, type Kassa } from 'kassa/testing';
import { cardPayment } from '../support/card-payment.ts';

describe('startKassa: the sandbox controls', () => {
  let kassa: Kassa;
  before(async () => {
    kassa = await startKassa();
  });
  after(() => kassa.close());

  test('advanceClock moves the merchant clock forward and answers it', async () => {
    const before = await kassa.api<{ now: string; offsetSeconds: number }>('GET', '/kassa/sandbox/clock');
    const moved = await kassa.advanceClock(3600);
    assert.equal(moved.offsetSeconds, before.offsetSeconds + 3600);
    assert.ok(Date.parse(moved.now) - Date.parse(before.now) >= 3600_000);
  });

  test('fault: the next matching request gets the fault, in the envelope, then the route works again', async () => {
    const fault = await kassa.fault({ operation: 'POST /client-session', status: 503, times: 1, phase: 'before' });
    assert.equal(typeof fault.id, 'string');
    const refused = await kassa.createSession().catch((error: unknown) => error);
    assert.ok(refused instanceof KassaApiError, String(refused));
    assert.equal(refused.status, 503);
    assert.ok(refused.errorId);
    const session = await kassa.createSession();
    assert.ok(session.clientToken);
  });

  test('trigger: the event is recorded and delivered, signed, to the receiver', async () => {
    const payment = await cardPayment(kassa);
    await kassa.webhooks.waitFor((e) => e.body.payment?.id === payment.id && e.body.payment.status === 'AUTHORIZED');
    const seen = kassa.webhooks.events.length;
    await kassa.trigger({ type: 'PAYMENT.STATUS', paymentId: payment.id });
    // The payment's own deliveries may still arrive in any order: the triggered one is marked.
    const triggered = await kassa.webhooks.waitFor(
      (e) => kassa.webhooks.events.indexOf(e) >= seen && e.body.payment?.id === payment.id && e.headers['kassa-triggered'] === 'true',
    );
    assert.equal(triggered.eventType, 'PAYMENT.STATUS');
    assert.equal(triggered.body.payment.status, 'AUTHORIZED');
  });

  test('reset empties the merchant sessions and answers the counts, keeping the key and the endpoint', async () => {
    const session = await kassa.createSession();
    const counts = await kassa.reset();
    assert.equal(counts.merchantId, kassa.merchantId);
    assert.ok(counts.removed.sessions! >= 1);
    assert.equal(counts.removed.clocks, 1, 'the clock advanced by the first test is reset');
    assert.ok(Object.values(counts.removed).every((n) => typeof n === 'number'));
    const gone = await kassa.api('GET', `/client-session?clientToken=${encodeURIComponent(session.clientToken)}`).catch((e: unknown) => e);
    assert.ok(gone instanceof KassaApiError && gone.status >= 400 && gone.status < 500, String(gone));
    const clock = await kassa.api<{ offsetSeconds: number }>('GET', '/kassa/sandbox/clock');
    assert.equal(clock.offsetSeconds, 0);
    const endpoints = await kassa.api<{ data: { url: string }[] }>('GET', '/kassa/webhook-endpoints');
    assert.ok(endpoints.data.some((e) => e.url === kassa.webhooks.url));
  });
});
