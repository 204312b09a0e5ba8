// engines: sqlite, postgres
// Failed payment operations (docs/webhooks.md, "Events"; docs/payments.md, "Test cards"): the cards
// whose capture, cancel, refund or authorization adjustment fails leave the payment's status as it
// was, record PAYMENT.*.FAILED in its history and send it in Primer's minimal body; the refund-fail card
// sends PAYMENT.REFUND (the refund's final state) and PAYMENT.REFUND.FAILED. Failures count towards the
// payment's failed requests, as Primer's do.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { api, pay, post } from '../payments/support.ts';
import { testApp, type TestApp } from '../support/app.ts';
import { expectedSignature, startReceiver } from '../support/webhook-receiver.ts';

const FAILURES = [
  'PAYMENT.CAPTURE.FAILED',
  'PAYMENT.REFUND.FAILED',
  'PAYMENT.CANCELLATION.FAILED',
  'PAYMENT.AUTHORIZATION_ADJUSTMENT.FAILED',
];

async function setup(ctx: TestContext) {
  const [t, rx] = await Promise.all([testApp(), startReceiver()]);
  ctx.after(async () => {
    await t.close();
    await rx.close();
  });
  const res = await api(t, 'POST', '/kassa/webhook-endpoints', { url: `${rx.url}/hooks`, events: ['PAYMENT.REFUND', ...FAILURES] });
  assert.equal(res.statusCode, 200, res.body);
  return { t, rx, endpoint: res.json() as { id: string; secret: string } };
}

const history = async (t: TestApp, id: string) =>
  (await api(t, 'GET', `/kassa/payments/${id}/events`)).json().data as Record<string, any>[];

describe('failed operations', { concurrency: 4 }, () => {
  test('a capture that fails: 200 with the payment still AUTHORIZED, and PAYMENT.CAPTURE.FAILED in Primer’s shape', async (ctx) => {
    const { t, rx, endpoint } = await setup(ctx);
    const { payment } = await pay(t, '4000000000007080');
    const res = await post(t, payment.id, 'capture', { amount: 600 });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'AUTHORIZED');
    assert.equal(res.json().processor?.amountCaptured ?? 0, 0);
    const events = await history(t, payment.id);
    const failed = events.at(-1)!;
    assert.equal(failed.type, 'PAYMENT.CAPTURE.FAILED');
    assert.equal(failed.status, 'AUTHORIZED');
    assert.equal(failed.changes.requestAmount, 600);
    await t.app.webhookDispatcher!.runDue();
    assert.equal(rx.received.length, 1);
    const got = rx.received[0]!;
    assert.deepEqual(Object.keys(got.body), [
      'eventType',
      'date',
      'notificationConfig',
      'version',
      'signedAt',
      'payment',
      'requestAmount',
      'transactionEvent',
    ]);
    assert.deepEqual(got.body, {
      eventType: 'PAYMENT.CAPTURE.FAILED',
      date: failed.date,
      notificationConfig: { id: endpoint.id, description: '' },
      version: '2.4',
      signedAt: got.body.signedAt,
      payment: { id: payment.id, amount: 1000, currencyCode: 'EUR', orderId: 'ord-1' },
      requestAmount: 600,
      transactionEvent: { id: failed.changes.transactionEventId },
    });
    assert.equal(got.headers['x-signature-primary'], expectedSignature(got.raw, endpoint.secret));
    assert.equal(got.headers['kassa-triggered'], undefined);
    // The card only fails captures: cancelling still works.
    assert.equal((await post(t, payment.id, 'cancel')).json().status, 'CANCELLED');
  });

  test('a capture the status machine refuses stays a refusal: no failure event', async (ctx) => {
    const { t } = await setup(ctx);
    const { payment } = await pay(t, '4000000000007080');
    const res = await post(t, payment.id, 'capture', { amount: 5000 });
    assert.equal(res.statusCode, 422, res.body);
    assert.ok(!(await history(t, payment.id)).some((e) => e.type === 'PAYMENT.CAPTURE.FAILED'));
  });

  test('a cancel that fails: the payment stays AUTHORIZED; PAYMENT.CANCELLATION.FAILED asks for the whole amount', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const { payment } = await pay(t, '4000000000007098');
    const res = await post(t, payment.id, 'cancel', { reason: 'out of stock' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'AUTHORIZED');
    await t.app.webhookDispatcher!.runDue();
    assert.deepEqual(
      rx.received.map((r) => [r.body.eventType, r.body.requestAmount]),
      [['PAYMENT.CANCELLATION.FAILED', 1000]],
    );
    // Captures still work on this card.
    assert.equal((await post(t, payment.id, 'capture')).json().status, 'SETTLED');
  });

  test('an authorization adjustment that fails: the amount stays; PAYMENT.AUTHORIZATION_ADJUSTMENT.FAILED asks for the new one', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const { payment } = await pay(t, '4000000000007106', { body: { paymentMethod: { authorizationType: 'ESTIMATED' } } });
    const res = await post(t, payment.id, 'adjust-authorization', { amount: 1500 });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().amount, 1000);
    await t.app.webhookDispatcher!.runDue();
    assert.deepEqual(
      rx.received.map((r) => [r.body.eventType, r.body.requestAmount, r.body.payment.amount]),
      [['PAYMENT.AUTHORIZATION_ADJUSTMENT.FAILED', 1500, 1000]],
    );
  });

  test('the refund-fail card sends PAYMENT.REFUND (the FAILED refund) and PAYMENT.REFUND.FAILED naming that refund', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const { payment } = await pay(t, '4000000000007072');
    await post(t, payment.id, 'capture');
    const refunded = (await post(t, payment.id, 'refund', { amount: 300 })).json();
    const refund = refunded.transactions.at(-1);
    assert.equal(refund.status, 'FAILED');
    await t.app.webhookDispatcher!.runDue();
    const byType = new Map(rx.received.map((r) => [r.body.eventType as string, r.body]));
    assert.deepEqual([...byType.keys()].sort(), ['PAYMENT.REFUND', 'PAYMENT.REFUND.FAILED']);
    assert.equal(byType.get('PAYMENT.REFUND')!.payment.transactions.at(-1).processorStatus, 'FAILED');
    assert.deepEqual(byType.get('PAYMENT.REFUND.FAILED')!.transactionEvent, { id: refund.id });
    assert.equal(byType.get('PAYMENT.REFUND.FAILED')!.requestAmount, 300);
  });

  test('failed attempts count towards the payment’s failed requests: the 101st is refused with PaymentRequestLimitExceeded', async (ctx) => {
    const { t } = await setup(ctx);
    const { payment } = await pay(t, '4000000000007098');
    for (let i = 0; i < 100; i++) assert.equal((await post(t, payment.id, 'cancel')).statusCode, 200);
    const res = await post(t, payment.id, 'cancel');
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(res.json().error.errorId, 'PaymentRequestLimitExceeded');
  });

  test('an endpoint that names no events gets none of the failure events (Primer’s defaults stay PAYMENT.STATUS and PAYMENT.REFUND)', async (ctx) => {
    const [t, rx] = await Promise.all([testApp(), startReceiver()]);
    ctx.after(async () => {
      await t.close();
      await rx.close();
    });
    await api(t, 'POST', '/kassa/webhook-endpoints', { url: `${rx.url}/all` });
    const { payment } = await pay(t, '4000000000007080');
    await post(t, payment.id, 'capture');
    await t.app.webhookDispatcher!.runDue();
    assert.deepEqual(rx.received.map((r) => `${r.body.eventType} ${r.body.payment?.status}`).sort(), [
      'PAYMENT.STATUS AUTHORIZED',
      'PAYMENT.STATUS PENDING',
    ]);
  });
});
