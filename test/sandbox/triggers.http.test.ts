// engines: sqlite, postgres
// POST /kassa/sandbox/events (docs/sandbox.md, "Triggers"): an event Kassa sends, for an existing
// payment or session, with the object as it is: 201 with the event, marked triggered in the history,
// delivered signed (with Kassa-Triggered: true) to the endpoints that take its type; the object does
// not change. Every type of WEBHOOK_EVENT_TYPES can be triggered; refusals are Primer's envelope and
// write nothing; another merchant's object is not found; the rate is bounded per merchant.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { TRIGGERS_PER_MINUTE } from '../../src/sandbox/events/service.ts';
import { WEBHOOK_EVENT_TYPES } from '../../src/webhooks/webhook.store.ts';
import { api, assertError, otherMerchant, pay, post } from '../payments/support.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import { expectedSignature, startReceiver } from '../support/webhook-receiver.ts';

async function setup(ctx: TestContext, events: readonly string[] = WEBHOOK_EVENT_TYPES) {
  const [t, rx] = await Promise.all([testApp(), startReceiver()]);
  ctx.after(async () => {
    await t.close();
    await rx.close();
  });
  const res = await api(t, 'POST', '/kassa/webhook-endpoints', { url: `${rx.url}/e`, events });
  assert.equal(res.statusCode, 200, res.body);
  return { t, rx, endpoint: res.json() as { id: string; secret: string } };
}

const trigger = (t: TestApp, body: Record<string, unknown>, key?: string) =>
  api(t, 'POST', '/kassa/sandbox/events', body, key ? { key } : {});

/** A new session's id, as its CLIENT_SESSION.CREATED delivery names it (the endpoint takes every type). */
async function newSession(t: TestApp, rx: { received: { body: Record<string, any> }[] }, body: Record<string, unknown>) {
  await createSession(t, body);
  await t.app.webhookDispatcher!.runDue();
  const created = rx.received.find(
    (r) => r.body.eventType === 'CLIENT_SESSION.CREATED' && r.body.clientSession.changes.orderId === body.orderId,
  );
  return { id: created!.body.clientSession.id as string };
}

/** What the receiver got since `from`, once the dispatcher has sent what is due. */
async function sent(
  t: TestApp,
  rx: { received: { body: Record<string, any>; headers: Record<string, unknown>; raw: string }[] },
  from: number,
) {
  await t.app.webhookDispatcher!.runDue();
  return rx.received.slice(from);
}

describe('triggers', { concurrency: 4 }, () => {
  test('PAYMENT.STATUS for a payment: 201, the payment as it is, delivered signed with Kassa-Triggered, marked in the history', async (ctx) => {
    const { t, rx, endpoint } = await setup(ctx, ['PAYMENT.STATUS']);
    const { payment } = await pay(t);
    await t.app.webhookDispatcher!.runDue();
    const before = rx.received.length;
    const version = (await api(t, 'GET', `/payments/${payment.id}`)).json().dateUpdated;
    const res = await trigger(t, { type: 'PAYMENT.STATUS', paymentId: payment.id });
    assert.equal(res.statusCode, 201, res.body);
    const event = res.json();
    assert.deepEqual(event, {
      id: event.id,
      type: 'PAYMENT.STATUS',
      paymentId: payment.id,
      date: '2026-11-24T09:00:00.123000',
      status: 'AUTHORIZED',
      version: event.version,
      requestId: res.headers['x-request-id'],
      changes: { amount: 1000, amountCaptured: 0, amountRefunded: 0 },
      triggered: true,
    });
    const got = await sent(t, rx, before);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.body.eventType, 'PAYMENT.STATUS');
    assert.equal(got[0]!.body.payment.status, 'AUTHORIZED');
    assert.equal(got[0]!.body.triggered, undefined, "the body is Primer's");
    assert.equal(got[0]!.headers['kassa-triggered'], 'true');
    assert.equal(got[0]!.headers['x-signature-primary'], expectedSignature(got[0]!.raw, endpoint.secret));
    const history = (await api(t, 'GET', `/kassa/payments/${payment.id}/events`)).json().data as Record<string, any>[];
    const last = history.at(-1)!;
    assert.equal(last.id, event.id);
    assert.equal(last.triggered, true);
    assert.equal(last.deliveries.length, 1);
    assert.ok(history.slice(0, -1).every((e) => e.triggered === undefined));
    assert.equal((await api(t, 'GET', `/payments/${payment.id}`)).json().dateUpdated, version, 'the payment did not change');
  });

  test('every event type Kassa sends can be triggered for an object that has what it is about', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const { payment } = await pay(t);
    await post(t, payment.id, 'capture');
    await post(t, payment.id, 'refund', { amount: 100 });
    assert.equal((await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/dispute`, { status: 'OPEN' })).statusCode, 200);
    const session = await newSession(t, rx, { orderId: 'o-trig', currencyCode: 'EUR', amount: 700 });
    const before = rx.received.length;
    for (const type of WEBHOOK_EVENT_TYPES) {
      const subject = type.startsWith('CLIENT_SESSION.') ? { clientSessionId: session.id } : { paymentId: payment.id };
      const res = await trigger(t, { type, ...subject });
      assert.equal(res.statusCode, 201, `${type}: ${res.body}`);
    }
    const got = await sent(t, rx, before);
    assert.deepEqual(got.map((r) => r.body.eventType).sort(), [...WEBHOOK_EVENT_TYPES].sort());
    const session_ = got.find((r) => r.body.eventType === 'CLIENT_SESSION.UPDATED')!.body.clientSession;
    assert.deepEqual(session_.changes, { orderId: 'o-trig', currencyCode: 'EUR', amount: 700 });
    assert.equal(got.find((r) => r.body.eventType === 'DISPUTE.STATUS')!.body.status, 'OPEN');
    assert.equal(got.find((r) => r.body.eventType === 'PAYMENT.REFUND')!.body.payment.transactions.at(-1).amount, 100);
    const sessionHistory = (await api(t, 'GET', `/kassa/client-sessions/${session.id}/events`)).json().data as Record<string, any>[];
    assert.deepEqual(
      sessionHistory.map((e) => `${e.type}${e.triggered ? ' triggered' : ''}`),
      [
        'CLIENT_SESSION.CREATED',
        'CLIENT_SESSION.CREATED triggered',
        'CLIENT_SESSION.UPDATED triggered',
        'CLIENT_SESSION.EXPIRED triggered',
      ],
    );
  });

  test('refusals: an unknown type, the wrong object, what the object lacks — 400 in the envelope, nothing written', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const { payment } = await pay(t);
    const session = await newSession(t, rx, { orderId: 'o-trig-1' });
    const count = async () => (await api(t, 'GET', `/kassa/payments/${payment.id}/events`)).json().data.length;
    const before = await count();
    assert.match(
      assertError(await trigger(t, { type: 'PAYMENT.NOPE', paymentId: payment.id }), 400, 'InvalidEventTrigger').description,
      /sends no PAYMENT.NOPE/,
    );
    assertError(await trigger(t, { type: 'PAYMENT.STATUS', clientSessionId: session.id }), 400, 'InvalidEventTrigger');
    assertError(
      await trigger(t, { type: 'PAYMENT.STATUS', paymentId: payment.id, clientSessionId: session.id }),
      400,
      'InvalidEventTrigger',
    );
    assertError(await trigger(t, { type: 'CLIENT_SESSION.UPDATED', paymentId: payment.id }), 400, 'InvalidEventTrigger');
    assertError(await trigger(t, { type: 'PAYMENT.REFUND', paymentId: payment.id }), 400, 'InvalidEventTrigger');
    assertError(await trigger(t, { type: 'DISPUTE.STATUS', paymentId: payment.id }), 400, 'InvalidEventTrigger');
    assertError(await trigger(t, { type: 'PAYMENT.STATUS', paymentId: payment.id, extra: true }), 422, 'RequestValidationError');
    assert.equal(await count(), before);
  });

  test('another merchant’s payment or session is not found; a key without sandbox:write is refused', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const { payment } = await pay(t);
    const session = await newSession(t, rx, { orderId: 'o-trig-1' });
    const other = await otherMerchant(t);
    assertError(await trigger(t, { type: 'PAYMENT.STATUS', paymentId: payment.id }, other.key), 404, 'PaymentNotFoundError');
    assertError(await trigger(t, { type: 'CLIENT_SESSION.UPDATED', clientSessionId: session.id }, other.key), 404, 'SessionNotFound');
    assertError(await trigger(t, { type: 'PAYMENT.STATUS', paymentId: 'pay_nope' }), 404, 'PaymentNotFoundError');
    const limited = await otherMerchant(t, ['transactions:authorize']);
    assertError(await trigger(t, { type: 'PAYMENT.STATUS', paymentId: payment.id }, limited.key), 403, 'Forbidden');
  });

  test(`at most ${TRIGGERS_PER_MINUTE} a minute per merchant: then 429 with Retry-After; another merchant is not held back`, async (ctx) => {
    const { t } = await setup(ctx, ['PAYMENT.STATUS']);
    const { payment } = await pay(t);
    for (let i = 0; i < TRIGGERS_PER_MINUTE; i++)
      assert.equal((await trigger(t, { type: 'PAYMENT.STATUS', paymentId: payment.id })).statusCode, 201);
    const refused = await trigger(t, { type: 'PAYMENT.STATUS', paymentId: payment.id });
    assertError(refused, 429, 'TooManyRequests');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    const other = await otherMerchant(t);
    assertError(await trigger(t, { type: 'PAYMENT.STATUS', paymentId: payment.id }, other.key), 404, 'PaymentNotFoundError');
    t.clock.advance(60_000);
    assert.equal((await trigger(t, { type: 'PAYMENT.STATUS', paymentId: payment.id })).statusCode, 201);
  });
});
