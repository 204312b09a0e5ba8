// engines: sqlite, postgres
// POST /kassa/sandbox/payments/{id}/dispute (docs/sandbox.md, "Disputes and failure events"): a dispute
// opens on a settled payment only, moves along its lifecycle, refuses other steps in Primer's envelope
// without changing anything, and each step sends DISPUTE.OPENED / DISPUTE.STATUS in Primer's shapes and
// enters the payment's history. Another merchant's payment is not found.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { testApp, type TestApp } from '../support/app.ts';
import { startReceiver } from '../support/webhook-receiver.ts';
import { api, assertError, otherMerchant, pay, post } from './support.ts';

async function setup(ctx: TestContext) {
  const [t, rx] = await Promise.all([testApp(), startReceiver()]);
  ctx.after(async () => {
    await t.close();
    await rx.close();
  });
  const res = await api(t, 'POST', '/kassa/webhook-endpoints', { url: `${rx.url}/d`, events: ['DISPUTE.OPENED', 'DISPUTE.STATUS'] });
  assert.equal(res.statusCode, 200, res.body);
  return { t, rx };
}

async function settled(t: TestApp) {
  const { payment } = await pay(t);
  assert.equal((await post(t, payment.id, 'capture')).json().status, 'SETTLED');
  return payment.id as string;
}

const dispute = (t: TestApp, id: string, body: Record<string, unknown>, key?: string) =>
  api(t, 'POST', `/kassa/sandbox/payments/${id}/dispute`, body, key ? { key } : {});

describe('disputes', { concurrency: 4 }, () => {
  test('open, challenge, win: each step answers the dispute, sends its webhooks and enters the history', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const id = await settled(t);
    const opened = await dispute(t, id, { status: 'OPEN' });
    assert.equal(opened.statusCode, 200, opened.body);
    const d = opened.json();
    assert.match(d.id, /^dsp_[0-9a-f]{32}$/);
    assert.deepEqual(d, {
      id: d.id,
      paymentId: id,
      type: 'DISPUTE',
      status: 'OPEN',
      amount: 1000,
      currencyCode: 'EUR',
      reasonCode: '10.4',
      reason: 'Other Fraud - Card Absent Environment',
      openedAt: '2026-11-24T09:00:00.123000',
      receivedAt: '2026-11-24T09:00:00.123000',
      challengeRequiredBy: '2026-12-01T09:00:00.123000',
    });
    t.clock.advance(3_600_000);
    const challenged = (await dispute(t, id, { status: 'CHALLENGED' })).json();
    assert.equal(challenged.id, d.id);
    assert.equal(challenged.challengeRequiredBy, undefined);
    assert.equal((await dispute(t, id, { status: 'WON' })).json().status, 'WON');

    await t.app.webhookDispatcher!.runDue();
    const bodies = rx.received.map((r) => r.body).sort((a, b) => (a.receivedAt ?? '').localeCompare(b.receivedAt ?? ''));
    assert.equal(bodies.length, 4);
    const openedBody = bodies.find((b) => b.eventType === 'DISPUTE.OPENED')!;
    const payment = (await api(t, 'GET', `/payments/${id}`)).json();
    assert.deepEqual(openedBody, {
      eventType: 'DISPUTE.OPENED',
      version: '2.4',
      primerAccountId: openedBody.primerAccountId,
      transactionId: openedBody.transactionId,
      orderId: 'ord-1',
      processorId: payment.processor.name,
      processorDisputeId: d.id,
      paymentId: id,
    });
    const statuses = bodies.filter((b) => b.eventType === 'DISPUTE.STATUS');
    assert.deepEqual(statuses.map((b) => b.status).sort(), ['CHALLENGED', 'OPEN', 'WON']);
    const open = statuses.find((b) => b.status === 'OPEN')!;
    assert.deepEqual(open, {
      eventType: 'DISPUTE.STATUS',
      version: '2.4',
      type: 'DISPUTE',
      status: 'OPEN',
      primerAccountId: openedBody.primerAccountId,
      transactionId: openedBody.transactionId,
      orderId: 'ord-1',
      paymentId: id,
      paymentMethod: { paymentMethodType: 'PAYMENT_CARD', paymentMethodData: { network: 'VISA' } },
      processor: payment.processor.name,
      processorDisputeId: d.id,
      receivedAt: '2026-11-24T09:00:00.123Z',
      challengeRequiredBy: '2026-12-01T09:00:00.123Z',
      reason: 'Other Fraud - Card Absent Environment',
      reasonCode: '10.4',
      processorReason: 'Other Fraud - Card Absent Environment',
      amount: 1000,
      currency: 'EUR',
      merchantId: payment.processor.processorMerchantId,
    });

    const history = (await api(t, 'GET', `/kassa/payments/${id}/events`)).json().data as Record<string, any>[];
    assert.deepEqual(
      history.filter((e) => e.type.startsWith('DISPUTE.')).map((e) => `${e.type} ${e.changes.disputeType} ${e.changes.disputeStatus}`),
      ['DISPUTE.OPENED DISPUTE OPEN', 'DISPUTE.STATUS DISPUTE OPEN', 'DISPUTE.STATUS DISPUTE CHALLENGED', 'DISPUTE.STATUS DISPUTE WON'],
    );
    // The dispute is the sandbox's: the payment's status and amounts stay, and the Payments API shows no dispute.
    assert.equal(payment.status, 'SETTLED');
    assert.equal(payment.dispute, undefined);
  });

  test('a step the lifecycle does not allow: 409 naming the allowed steps, and nothing changes', async (ctx) => {
    const { t } = await setup(ctx);
    const id = await settled(t);
    const before = (await api(t, 'GET', `/kassa/payments/${id}/events`)).json().data.length;
    const error = assertError(await dispute(t, id, { status: 'WON' }), 409, 'DisputeTransitionNotAllowed');
    assert.match(error.description, /allowed: RETRIEVAL OPEN, DISPUTE OPEN/);
    await dispute(t, id, { status: 'OPEN' });
    await dispute(t, id, { status: 'ACCEPTED' });
    const over = assertError(await dispute(t, id, { status: 'CHALLENGED' }), 409, 'DisputeTransitionNotAllowed');
    assert.match(over.description, /none: the dispute is over/);
    assertError(await dispute(t, id, { status: 'OPEN' }), 409, 'DisputeTransitionNotAllowed');
    const after = (await api(t, 'GET', `/kassa/payments/${id}/events`)).json().data.length;
    assert.equal(after, before + 3, 'OPENED, STATUS OPEN, STATUS ACCEPTED');
  });

  test('a retrieval escalates to a dispute; a partial amount and a reason are given when it opens only', async (ctx) => {
    const { t } = await setup(ctx);
    const id = await settled(t);
    const r = (
      await dispute(t, id, { status: 'OPEN', type: 'RETRIEVAL', amount: 400, reasonCode: '13.1', reason: 'Merchandise not received' })
    ).json();
    assert.deepEqual([r.type, r.status, r.amount, r.reasonCode], ['RETRIEVAL', 'OPEN', 400, '13.1']);
    assertError(await dispute(t, id, { status: 'OPEN', amount: 10 }), 409, 'DisputeTransitionNotAllowed');
    const escalated = (await dispute(t, id, { status: 'OPEN' })).json();
    assert.deepEqual(
      [escalated.id, escalated.type, escalated.amount, escalated.reason],
      [r.id, 'DISPUTE', 400, 'Merchandise not received'],
    );
  });

  test('only a settled payment with something captured and not refunded can be disputed', async (ctx) => {
    const { t } = await setup(ctx);
    const { payment } = await pay(t);
    const error = assertError(await dispute(t, payment.id, { status: 'OPEN' }), 409, 'PaymentNotDisputable');
    assert.equal(error.paymentStatus, 'AUTHORIZED');
    await post(t, payment.id, 'capture');
    await post(t, payment.id, 'refund');
    assertError(await dispute(t, payment.id, { status: 'OPEN' }), 409, 'PaymentNotDisputable');
    const id = await settled(t);
    assertError(await dispute(t, id, { status: 'OPEN', amount: 1001 }), 409, 'DisputeTransitionNotAllowed');
  });

  test('unknown status, unknown fields: 422; another merchant’s payment, or none: 404; a key without sandbox:write: 403', async (ctx) => {
    const { t } = await setup(ctx);
    const id = await settled(t);
    assertError(await dispute(t, id, { status: 'OPENED' }), 422, 'RequestValidationError');
    assertError(await dispute(t, id, { status: 'OPEN', extra: 1 }), 422, 'RequestValidationError');
    assertError(await dispute(t, 'pay_nope', { status: 'OPEN' }), 404, 'PaymentNotFoundError');
    const other = await otherMerchant(t);
    assertError(await dispute(t, id, { status: 'OPEN' }, other.key), 404, 'PaymentNotFoundError');
    const limited = await otherMerchant(t, ['transactions:authorize']);
    assertError(await dispute(t, id, { status: 'OPEN' }, limited.key), 403, 'Forbidden');
  });
});
