// engines: sqlite, postgres
// Webhooks over HTTP, in process (docs/webhooks.md): the endpoints API (scope webhooks:write), what a
// receiver gets (the body, the signatures, X-Kassa-Delivery-Id), the retry schedule, redelivery,
// secret rotation, subscriptions, the outbox (a change and its deliveries commit together), a
// payment's and a session's history, and the metrics. A local node:http server is the receiver; the
// dispatcher sends when a test calls runDue(), on the test's clock.
import assert from 'node:assert/strict';
import pino from 'pino';
import { describe, test, type TestContext } from 'node:test';
import { SCOPES } from '../../src/merchants/merchants.ts';
import { createMetrics } from '../../src/lib/metrics.ts';
import { Sealer } from '../../src/lib/seal.ts';
import { startDispatcher } from '../../src/webhooks/dispatcher.ts';
import { WEBHOOK_REFUNDS, WebhookService } from '../../src/webhooks/service.ts';
import { createSession } from '../support/app.ts';
import { api, assertError, CARDS, DATE, errorPaths, otherMerchant, pay, scopedKey, sdk, tokenize, UUID } from '../payments/support.ts';
import { headers, testApp, type TestApp } from '../support/app.ts';
import { expectedSignature, startReceiver, type Receiver } from '../support/webhook-receiver.ts';

const DAY = 86_400_000;
const DEFAULT_EVENTS = ['PAYMENT.STATUS', 'PAYMENT.REFUND'];

async function setup(ctx: TestContext, answer?: Receiver['answer']) {
  const [t, rx] = await Promise.all([testApp(), startReceiver(answer)]);
  ctx.after(async () => {
    await t.close();
    await rx.close();
  });
  return { t, rx };
}

async function addEndpoint(t: TestApp, body: Record<string, unknown>, key?: string) {
  const res = await api(t, 'POST', '/kassa/webhook-endpoints', body, key ? { key } : {});
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { id: string; secret: string; [k: string]: unknown };
}

/** The deliveries of the events written so far, made as the dispatcher's next tick makes them (the outbox). */
const fanOut = (t: TestApp) => t.store.webhooks.fanOut(1000);

async function deliveries(t: TestApp, query = '', key?: string) {
  await fanOut(t);
  const res = await api(t, 'GET', `/kassa/webhook-deliveries${query}`, undefined, key ? { key } : {});
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { data: Record<string, any>[] }).data;
}

/** Event ids: version 7, ordered by time. */
const TIME_ORDERED_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const send = (t: TestApp) => t.app.webhookDispatcher!.runDue();

/** Line values of /metrics for `name` (with labels), as numbers. */
async function metric(t: TestApp, name: string): Promise<number | undefined> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' });
  const line = res.body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('the endpoints API', { concurrency: 4 }, () => {
  test('POST makes an endpoint and shows its secret once; GET never shows it; the database keeps it sealed', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const made = await addEndpoint(t, { url: `${rx.url}/hooks`, description: 'Orders' });
    assert.match(made.id, UUID);
    assert.match(made.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(made, {
      id: made.id,
      url: `${rx.url}/hooks`,
      description: 'Orders',
      events: DEFAULT_EVENTS,
      version: '2.4',
      createdAt: '2026-11-24T09:00:00.123000',
      secret: made.secret,
    });
    const { secret, ...shown } = made;
    const one = await api(t, 'GET', `/kassa/webhook-endpoints/${made.id}`);
    assert.equal(one.statusCode, 200);
    assert.deepEqual(one.json(), shown);
    const list = await api(t, 'GET', '/kassa/webhook-endpoints');
    assert.deepEqual(list.json(), { data: [shown] });
    assert.ok(!list.body.includes(secret) && !one.body.includes(secret));
    const rows = await t.query('SELECT * FROM webhook_endpoints');
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(secret), 'the secret is not stored in clear');
    assert.ok(!JSON.stringify(rows).includes(secret.slice(6, 20)), 'no part of it either');
  });

  test('events and version are chosen at creation; the session events only when asked for', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const made = await addEndpoint(t, { url: rx.url, events: ['CLIENT_SESSION.UPDATED', 'PAYMENT.REFUND'], version: '2.1' });
    assert.deepEqual([made.events, made.version, made.url], [['CLIENT_SESSION.UPDATED', 'PAYMENT.REFUND'], '2.1', `${rx.url}/`]);
    assert.equal(made.description, undefined);
  });

  test('a URL that is not http(s) is refused at $.url; bad events and versions at theirs', async (ctx) => {
    const { t } = await setup(ctx);
    for (const url of [
      'ftp://example.com/hook',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'not a url',
      'https://user:pw@example.com/',
    ]) {
      assert.deepEqual(errorPaths(await api(t, 'POST', '/kassa/webhook-endpoints', { url })), ['$.url'], url);
    }
    assert.deepEqual(
      errorPaths(await api(t, 'POST', '/kassa/webhook-endpoints', { url: 'http://127.0.0.1/', events: ['PAYMENT.DISPUTE'] })),
      ['$.events'],
    );
    assert.deepEqual(errorPaths(await api(t, 'POST', '/kassa/webhook-endpoints', { url: 'http://127.0.0.1/', version: '3.0' })), [
      '$.version',
    ]);
    assert.equal((await api(t, 'POST', '/kassa/webhook-endpoints', {})).statusCode, 422);
    assert.deepEqual((await api(t, 'GET', '/kassa/webhook-endpoints')).json(), { data: [] }, 'nothing was made');
  });

  test('DELETE removes an endpoint: it is no longer listed or found, and a second DELETE is a 404', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const kept = await addEndpoint(t, { url: `${rx.url}/kept` });
    const gone = await addEndpoint(t, { url: `${rx.url}/gone` });
    const deleted = await api(t, 'DELETE', `/kassa/webhook-endpoints/${gone.id}`);
    assert.equal(deleted.statusCode, 200, deleted.body);
    assert.deepEqual(deleted.json(), { id: gone.id, deleted: true });
    assert.deepEqual(
      (await api(t, 'GET', '/kassa/webhook-endpoints')).json().data.map((e: { id: string }) => e.id),
      [kept.id],
    );
    assertError(await api(t, 'GET', `/kassa/webhook-endpoints/${gone.id}`), 404, 'NotFound');
    assertError(await api(t, 'DELETE', `/kassa/webhook-endpoints/${gone.id}`), 404, 'NotFound');
    assertError(await api(t, 'POST', `/kassa/webhook-endpoints/${gone.id}/rotate-secret`), 404, 'NotFound');
    // A deleted endpoint is sent nothing more.
    await pay(t);
    await send(t);
    assert.deepEqual(new Set(rx.received.map((r) => r.path)), new Set(['/kept']));
    assert.equal((await deliveries(t, `?endpoint_id=${gone.id}`)).length, 0);
  });

  test('every route needs scope webhooks:write: a key without it gets 403, a key with only it gets through', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const made = await addEndpoint(t, { url: rx.url });
    const without = await scopedKey(
      t,
      SCOPES.filter((s) => s !== 'webhooks:write'),
    );
    const only = await scopedKey(t, ['webhooks:write']);
    const calls: [Parameters<typeof api>[1], string, unknown?][] = [
      ['POST', '/kassa/webhook-endpoints', { url: rx.url }],
      ['GET', '/kassa/webhook-endpoints'],
      ['GET', `/kassa/webhook-endpoints/${made.id}`],
      ['POST', `/kassa/webhook-endpoints/${made.id}/rotate-secret`],
      ['POST', `/kassa/webhook-endpoints/${made.id}/test`],
      ['GET', '/kassa/webhook-deliveries'],
      ['POST', '/kassa/webhook-deliveries/00000000-0000-4000-8000-000000000000/redeliver'],
      ['DELETE', `/kassa/webhook-endpoints/${made.id}`],
    ];
    for (const [method, url, body] of calls) assertError(await api(t, method, url, body, { key: without }), 403, 'Forbidden');
    for (const [method, url, body] of calls) {
      const res = await api(t, method, url, body, { key: only });
      assert.ok(res.statusCode === 200 || (url.includes('redeliver') && res.statusCode === 404), `${method} ${url}: ${res.statusCode}`);
    }
  });

  test("another merchant's endpoints and deliveries answer as unknown ones and are not listed", async (ctx) => {
    const { t, rx } = await setup(ctx);
    const mine = await addEndpoint(t, { url: rx.url });
    await pay(t);
    const [delivery] = await deliveries(t);
    const other = await otherMerchant(t);
    const as = { key: other.key };
    assertError(await api(t, 'GET', `/kassa/webhook-endpoints/${mine.id}`, undefined, as), 404, 'NotFound');
    assertError(await api(t, 'DELETE', `/kassa/webhook-endpoints/${mine.id}`, undefined, as), 404, 'NotFound');
    assertError(await api(t, 'POST', `/kassa/webhook-endpoints/${mine.id}/rotate-secret`, undefined, as), 404, 'NotFound');
    assertError(await api(t, 'POST', `/kassa/webhook-endpoints/${mine.id}/test`, undefined, as), 404, 'NotFound');
    assertError(await api(t, 'POST', `/kassa/webhook-deliveries/${delivery!.id}/redeliver`, undefined, as), 404, 'NotFound');
    assert.deepEqual((await api(t, 'GET', '/kassa/webhook-endpoints', undefined, as)).json(), { data: [] });
    assert.deepEqual(await deliveries(t, '', other.key), []);
    assert.equal(rx.received.length, 0, 'the test call was not sent');
    // The other merchant's own endpoint gets its payments only.
    await addEndpoint(t, { url: `${rx.url}/other` }, other.key);
    await pay(t, CARDS.visa, { key: other.key });
    await send(t);
    const paths = rx.received.map((r) => [r.path, r.body.notificationConfig.id]);
    assert.equal(paths.filter(([p]) => p === '/other').length, 2);
    assert.equal(paths.filter(([, id]) => id === mine.id).length, 2, 'mine got my two events, not theirs');
  });
});

describe('what a receiver gets', { concurrency: 4 }, () => {
  test("a payment's events are signed with the documented recipe and carry the payment as it was, without order and requiredAction", async (ctx) => {
    const { t, rx } = await setup(ctx);
    const made = await addEndpoint(t, { url: `${rx.url}/hook`, description: 'Orders' });
    // A 3DS challenge: the payment waits, with a required action the webhook body must not carry.
    const { payment } = await pay(t, CARDS.challenge, {
      session: { orderId: 'ord-1', currencyCode: 'EUR', amount: 1000, order: { countryCode: 'NL' } },
    });
    assert.ok(payment.requiredAction, 'the API shows the action');
    const listed = await deliveries(t);
    assert.equal(listed.length, 1);
    assert.equal(await send(t), 1);
    assert.equal(rx.received.length, 1);
    const [got] = rx.received;
    assert.equal(got!.headers['content-type'], 'application/json');
    assert.equal(got!.headers['x-signature-primary'], expectedSignature(got!.raw, made.secret));
    assert.equal(got!.headers['x-signature-secondary'], undefined, 'no rotation, no second signature');
    assert.equal(got!.headers['x-kassa-delivery-id'], listed[0]!.id);
    const { payment: sent, ...envelope } = got!.body;
    assert.deepEqual(envelope, {
      eventType: 'PAYMENT.STATUS',
      date: '2026-11-24T09:00:00.123000',
      notificationConfig: { id: made.id, description: 'Orders' },
      version: '2.4',
      signedAt: String(Math.floor(t.clock.now / 1000)),
    });
    const read = (await api(t, 'GET', `/payments/${payment.id}`)).json();
    const { order: _order, requiredAction: _action, ...expected } = read;
    assert.ok(!('order' in sent) && !('requiredAction' in sent));
    assert.deepEqual(sent, expected, 'the payment as GET /payments/{id} shows it, less order and requiredAction');
    const [afterSend] = await deliveries(t);
    assert.deepEqual(afterSend, {
      id: listed[0]!.id,
      endpointId: made.id,
      eventId: afterSend!.eventId,
      eventType: 'PAYMENT.STATUS',
      paymentId: payment.id,
      status: 'DELIVERED',
      attempts: 1,
      lastStatusCode: 200,
      createdAt: '2026-11-24T09:00:00.123000',
      deliveredAt: '2026-11-24T09:00:00.123000',
    });
    assert.equal(await send(t), 0, 'delivered once');
  });

  test('each event is the payment at that event: PENDING, then AUTHORIZED, SETTLED; PAYMENT.REFUND omits dateUpdated', async (ctx) => {
    const { t, rx } = await setup(ctx);
    await addEndpoint(t, { url: rx.url });
    const { payment } = await pay(t);
    t.clock.advance(1000);
    assert.equal((await api(t, 'POST', `/payments/${payment.id}/capture`, {})).statusCode, 200);
    t.clock.advance(1000);
    assert.equal((await api(t, 'POST', `/payments/${payment.id}/refund`, { amount: 300 })).statusCode, 200);
    await send(t);
    const byType = (type: string) => rx.received.filter((r) => r.body.eventType === type).map((r) => r.body);
    const statuses = byType('PAYMENT.STATUS').sort((a, b) => a.payment.processor.amountCaptured - b.payment.processor.amountCaptured);
    assert.deepEqual(statuses.map((b) => b.payment.status).sort(), ['AUTHORIZED', 'PENDING', 'SETTLED']);
    for (const b of statuses) {
      assert.match(b.payment.dateUpdated, DATE);
      assert.equal(b.payment.processor.amountRefunded, 0, 'the refund came later');
    }
    const settled = statuses.find((b) => b.payment.status === 'SETTLED')!;
    assert.equal(settled.date, '2026-11-24T09:00:01.123000');
    assert.equal(settled.payment.processor.amountCaptured, 1000);
    const [refund] = byType('PAYMENT.REFUND');
    assert.ok(refund);
    assert.equal(refund.date, '2026-11-24T09:00:02.123000');
    assert.equal('dateUpdated' in refund.payment, false, "Primer's PAYMENT.REFUND payment has no dateUpdated");
    assert.equal(refund.payment.processor.amountRefunded, 300);
    assert.equal(refund.payment.status, 'SETTLED');
  });

  test(`a PAYMENT.* body carries the SALE and the newest ${WEBHOOK_REFUNDS} refunds, however many there are; GET /payments/{id} has them all`, async (ctx) => {
    const { t, rx } = await setup(ctx);
    await addEndpoint(t, { url: rx.url, events: ['PAYMENT.REFUND'] });
    const { payment } = await pay(t);
    assert.equal((await api(t, 'POST', `/payments/${payment.id}/capture`, {})).statusCode, 200);
    const refunds = WEBHOOK_REFUNDS + 5;
    for (let i = 1; i <= refunds; i++) {
      t.clock.advance(1);
      assert.equal((await api(t, 'POST', `/payments/${payment.id}/refund`, { amount: i })).statusCode, 200);
    }
    await fanOut(t);
    await send(t);
    const bodies = rx.received.map((r) => r.body.payment).sort((a, b) => a.processor.amountRefunded - b.processor.amountRefunded);
    assert.equal(bodies.length, refunds);
    bodies.forEach((body, i) => {
      const made = i + 1;
      const amounts = body.transactions.map((tx: { type: string; amount: number }) => `${tx.type}:${tx.amount}`);
      const kept = Array.from(
        { length: Math.min(made, WEBHOOK_REFUNDS) },
        (_, k) => `REFUND:${made - Math.min(made, WEBHOOK_REFUNDS) + k + 1}`,
      );
      assert.deepEqual(amounts, ['SALE:1000', ...kept], `the body of refund ${made}`);
      assert.equal(body.processor.amountRefunded, (made * (made + 1)) / 2, 'the amounts count every refund');
    });
    const full = (await api(t, 'GET', `/payments/${payment.id}`)).json();
    assert.equal(full.transactions.length, 1 + refunds);
  });

  test('a body with characters outside ASCII is signed over its UTF-8 bytes, as sent', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const made = await addEndpoint(t, { url: rx.url, events: ['CLIENT_SESSION.CREATED'] });
    await createSession(t, { orderId: 'commande-Zoë-€-日本', currencyCode: 'EUR', amount: 1000 });
    await send(t);
    const [got] = rx.received;
    assert.equal(got!.body.clientSession.changes.orderId, 'commande-Zoë-€-日本');
    assert.equal(Number(got!.headers['content-length']), Buffer.byteLength(got!.raw));
    assert.equal(got!.headers['x-signature-primary'], expectedSignature(got!.raw, made.secret));
  });

  test("the body is in the endpoint's version: 2.3 calls a gateway timeout APPLICATION_ERROR, 2.4 GATEWAY_TIMEOUT", async (ctx) => {
    const { t, rx } = await setup(ctx);
    await addEndpoint(t, { url: `${rx.url}/v23`, version: '2.3' });
    await addEndpoint(t, { url: `${rx.url}/v24`, version: '2.4' });
    await pay(t, CARDS.gatewayTimeout);
    await send(t);
    const failed = (path: string) => rx.received.find((r) => r.path === path && r.body.payment.status === 'FAILED')!.body;
    assert.equal(failed('/v23').payment.statusReason.type, 'APPLICATION_ERROR');
    assert.equal(failed('/v24').payment.statusReason.type, 'GATEWAY_TIMEOUT');
    assert.equal(failed('/v24').version, '2.4');
  });

  test('endpoints get only the event types they subscribed to (default: PAYMENT.STATUS and PAYMENT.REFUND)', async (ctx) => {
    const { t, rx } = await setup(ctx);
    await addEndpoint(t, { url: `${rx.url}/default` });
    await addEndpoint(t, { url: `${rx.url}/refunds`, events: ['PAYMENT.REFUND'] });
    await addEndpoint(t, { url: `${rx.url}/sessions`, events: ['CLIENT_SESSION.CREATED', 'CLIENT_SESSION.UPDATED'] });
    await addEndpoint(t, { url: `${rx.url}/created`, events: ['CLIENT_SESSION.CREATED'] });
    const { payment, clientToken } = await pay(t);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/client-session',
      headers: headers(t.apiKey),
      payload: { clientToken, amount: 1000, metadata: { a: 1 } },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    await api(t, 'POST', `/payments/${payment.id}/capture`, {});
    await api(t, 'POST', `/payments/${payment.id}/refund`, { amount: 100 });
    await send(t);
    const types = (path: string) =>
      rx.received
        .filter((r) => r.path === path)
        .map((r) => r.body.eventType as string)
        .sort();
    assert.deepEqual(types('/default'), ['PAYMENT.REFUND', 'PAYMENT.STATUS', 'PAYMENT.STATUS', 'PAYMENT.STATUS']);
    assert.deepEqual(types('/refunds'), ['PAYMENT.REFUND']);
    assert.deepEqual(types('/sessions'), ['CLIENT_SESSION.CREATED', 'CLIENT_SESSION.UPDATED']);
    assert.deepEqual(types('/created'), ['CLIENT_SESSION.CREATED']);
    const updated = rx.received.find((r) => r.body.eventType === 'CLIENT_SESSION.UPDATED')!.body;
    assert.deepEqual(updated.clientSession.changes, { metadata: { to: { a: 1 } } });
    assert.equal(updated.clientSession.version, 2);
  });

  test('a change that is rolled back (a refused capture) creates no event and no delivery', async (ctx) => {
    const { t, rx } = await setup(ctx);
    await addEndpoint(t, { url: rx.url });
    const { payment } = await pay(t, CARDS.decline);
    assert.equal(payment.status, 'DECLINED');
    const before = await deliveries(t);
    assert.equal(before.length, 2);
    assertError(await api(t, 'POST', `/payments/${payment.id}/capture`, {}), 400, 'InvalidPaymentStatus');
    assertError(await api(t, 'POST', `/payments/${payment.id}/refund`, {}), 400, 'InvalidPaymentStatus');
    assert.deepEqual(await deliveries(t), before);
    const history = (await api(t, 'GET', `/kassa/payments/${payment.id}/events`)).json().data;
    assert.deepEqual(
      history.map((e: { status: string }) => e.status),
      ['PENDING', 'DECLINED'],
    );
  });
});

// Alone, so that no other test keeps the event loop busy.
describe('the dispatcher of an idle process', () => {
  test('a tick of a process that is not busy sends group after group while more wait, not one group of 50', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const made = await addEndpoint(t, { url: rx.url });
    // 30 payments, two events each: more than one group of 50.
    for (let i = 0; i < 30; i++) await pay(t);
    // Its own dispatcher, whose timer never fires during the test: the tick is run by hand.
    const dispatcher = startDispatcher(t.store.webhooks, t.app.webhooks!, () => t.clock.now, pino({ level: 'silent' }), 600_000);
    ctx.after(() => dispatcher.stop());
    // The process idle for a moment, as between requests (the tick looks at the event loop's recent load).
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await dispatcher.tick(), 60);
    assert.equal(rx.received.length, 60);
    assert.ok(rx.received.every((r) => r.body.notificationConfig.id === made.id));
    assert.equal(await t.app.webhookDispatcher!.runDue(), 0, 'nothing left');
  });
});

// Alone too: real timers, and receivers that hang.
describe('fairness across merchants', () => {
  test("merchant B's 50 endpoints hang until the timeout: merchant A's deliveries all arrive while B's are still hanging", async (ctx) => {
    // B's receivers hold every request far past the test; a safety net, not a measurement.
    const t = await testApp({ env: { KASSA_WEBHOOK_TIMEOUT_MS: '60000', KASSA_WEBHOOK_ENDPOINTS_MAX: '50' } });
    const [fast, hanging] = await Promise.all([startReceiver(), startReceiver(() => null)]);
    let dispatcher: ReturnType<typeof startDispatcher> | undefined;
    ctx.after(async () => {
      // The hanging receiver goes first, so the sends in progress end and stop() returns.
      await hanging.close();
      await dispatcher?.stop();
      await fast.close();
      await t.close();
    });
    const b = await otherMerchant(t);
    const events = ['CLIENT_SESSION.CREATED'];
    for (let i = 0; i < 50; i++) await addEndpoint(t, { url: `${hanging.url}/b/${i}`, events }, b.key);
    await addEndpoint(t, { url: `${fast.url}/a`, events });
    // B's events first (older: oldest first alone would send all of B's before A's), then A's.
    for (let i = 0; i < 3; i++) {
      const res = await api(t, 'POST', '/client-session', { orderId: `b-${i}`, currencyCode: 'EUR', amount: 100 }, { key: b.key });
      assert.equal(res.statusCode, 200, res.body);
    }
    t.clock.advance(1_000);
    for (let i = 0; i < 5; i++) await createSession(t, { orderId: `a-${i}` });
    // A dispatcher on its timer, as a server runs it (the test clock stands still: everything is due).
    dispatcher = startDispatcher(t.store.webhooks, t.app.webhooks!, () => t.clock.now, pino({ level: 'silent' }), 20);
    const until = Date.now() + 50_000;
    while (fast.received.length < 5 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(fast.received.length, 5, "A's five deliveries");
    // B's are in progress (held open by its receiver), none has ended: A did not wait for them.
    const bDeliveries = (await t.store.webhooks.deliveries(b.merchantId, {}, 1000)).filter((d) => d.eventType === 'CLIENT_SESSION.CREATED');
    assert.equal(bDeliveries.length, 150);
    assert.ok(hanging.received.length >= 1, 'B was being sent to');
    assert.ok(hanging.received.length <= 32, `at most 32 of B's at once (got ${hanging.received.length})`);
    assert.deepEqual(new Set(bDeliveries.map((d) => `${d.status} ${d.attempts}`)), new Set(['PENDING 0']), "no attempt of B's has ended");
    // At most two sends at once to any one endpoint.
    const perEndpoint = new Map<string, number>();
    for (const r of hanging.received) perEndpoint.set(r.path, (perEndpoint.get(r.path) ?? 0) + 1);
    assert.ok(Math.max(...perEndpoint.values()) <= 2, JSON.stringify([...perEndpoint]));
  });
});

describe('delivery: retries, failure, redelivery', { concurrency: 4 }, () => {
  test('a failing receiver gets the schedule (10 s, 60 s, 5, 10, 15 min ±10 %) with the same delivery id, each attempt signed afresh; then FAILED', async (ctx) => {
    const { t, rx } = await setup(ctx, () => 503);
    const made = await addEndpoint(t, { url: rx.url, events: ['CLIENT_SESSION.CREATED'] });
    await createSession(t, { orderId: 'o-1', currencyCode: 'EUR', amount: 1000 });
    const start = t.clock.now;
    const [d] = await deliveries(t);
    assert.equal(await send(t), 1);
    const bases = [10_000, 60_000, 300_000, 600_000, 900_000];
    for (const [i, base] of bases.entries()) {
      const [pending] = await deliveries(t);
      assert.equal(pending!.status, 'PENDING');
      assert.equal(pending!.attempts, i + 1);
      assert.equal(pending!.lastStatusCode, 503);
      assert.equal(pending!.lastError, 'The receiver answered 503.');
      const wait = Date.parse(`${pending!.nextAttemptAt}Z`) - t.clock.now;
      assert.ok(wait >= base * 0.9 && wait <= base * 1.1, `retry ${i + 1} after ${wait} ms, not ${base} ±10 %`);
      t.clock.advance(wait - 1);
      assert.equal(await send(t), 0, 'not before its time');
      t.clock.advance(1);
      assert.equal(await send(t), 1);
    }
    assert.equal(rx.received.length, 6);
    const [failed] = await deliveries(t);
    assert.deepEqual(failed, {
      id: d!.id,
      endpointId: made.id,
      eventId: d!.eventId,
      eventType: 'CLIENT_SESSION.CREATED',
      clientSessionId: d!.clientSessionId,
      status: 'FAILED',
      attempts: 6,
      lastStatusCode: 503,
      lastError: 'The receiver answered 503.',
      createdAt: '2026-11-24T09:00:00.123000',
    });
    t.clock.advance(DAY);
    assert.equal(await send(t), 0, 'nothing after the last retry');
    assert.deepEqual(new Set(rx.received.map((r) => r.headers['x-kassa-delivery-id'])), new Set([d!.id]));
    const signedAt = rx.received.map((r) => Number(r.body.signedAt));
    assert.equal(signedAt[0], Math.floor(start / 1000));
    for (let i = 1; i < signedAt.length; i++) assert.ok(signedAt[i]! > signedAt[i - 1]!, `attempt ${i + 1} has a later signedAt`);
    for (const r of rx.received) assert.equal(r.headers['x-signature-primary'], expectedSignature(r.raw, made.secret));
    assert.equal(new Set(rx.received.map((r) => r.headers['x-signature-primary'])).size, 6, 'each attempt signs its own body');
    assert.deepEqual(
      [
        await metric(t, 'kassa_webhook_deliveries_total{outcome="retry"}'),
        await metric(t, 'kassa_webhook_deliveries_total{outcome="failed"}'),
      ],
      [5, 1],
    );
  });

  test('a receiver that recovers gets the delivery on a retry: DELIVERED, with the attempts it took', async (ctx) => {
    let failures = 2;
    const { t, rx } = await setup(ctx, () => (failures-- > 0 ? 500 : 202));
    await addEndpoint(t, { url: rx.url, events: ['CLIENT_SESSION.CREATED'] });
    await createSession(t, { orderId: 'o-1' });
    await send(t);
    t.clock.advance(11_000);
    await send(t);
    t.clock.advance(66_000);
    await send(t);
    const [d] = await deliveries(t);
    assert.deepEqual([d!.status, d!.attempts, d!.lastStatusCode, d!.lastError], ['DELIVERED', 3, 202, undefined]);
    assert.equal(d!.deliveredAt, '2026-11-24T09:01:17.123000');
    assert.equal(rx.received.length, 3);
  });

  test('any 2xx is a success; a redirect is not followed and fails, as do 4xx and 5xx', async (ctx) => {
    const { t, rx } = await setup(ctx, (r) => {
      if (r.path === '/redirect') return { status: 302, headers: { location: '/target' } };
      if (r.path === '/target') return 200;
      return Number(r.path.slice(1));
    });
    const codes = [200, 201, 202, 204, 299, 301, 302, 304, 400, 404, 410, 500, 503];
    const ids = new Map<string, number>();
    for (const code of codes) ids.set((await addEndpoint(t, { url: `${rx.url}/${code}`, events: ['CLIENT_SESSION.CREATED'] })).id, code);
    const redirect = await addEndpoint(t, { url: `${rx.url}/redirect`, events: ['CLIENT_SESSION.CREATED'] });
    await createSession(t, { orderId: 'o-1' });
    assert.equal(await send(t), codes.length + 1);
    for (const d of await deliveries(t)) {
      if (d.endpointId === redirect.id) {
        assert.deepEqual([d.status, d.lastStatusCode], ['PENDING', 302], 'a redirect is a failure');
        continue;
      }
      const code = ids.get(d.endpointId)!;
      assert.equal(d.lastStatusCode, code);
      assert.equal(d.status, code < 300 ? 'DELIVERED' : 'PENDING', `${code}`);
    }
    assert.equal(rx.received.filter((r) => r.path === '/target').length, 0, 'the redirect was not followed');
  });

  test('an unreachable receiver, a deleted endpoint and a receiver that does not answer in time are failures', async (ctx) => {
    const { t, rx } = await setup(ctx, () => 200);
    const closed = await startReceiver();
    await closed.close();
    const unreachable = await addEndpoint(t, { url: `${closed.url}/x`, events: ['CLIENT_SESSION.CREATED'] });
    const deleted = await addEndpoint(t, { url: rx.url, events: ['CLIENT_SESSION.CREATED'] });
    await createSession(t, { orderId: 'o-1' });
    await fanOut(t);
    // Deleted once its delivery exists (deleted before, it would get none).
    await api(t, 'DELETE', `/kassa/webhook-endpoints/${deleted.id}`);
    await send(t);
    const byEndpoint = new Map((await deliveries(t)).map((d) => [d.endpointId, d]));
    assert.equal(byEndpoint.get(unreachable.id)!.status, 'PENDING');
    assert.equal(byEndpoint.get(unreachable.id)!.lastError, 'The connection was refused.');
    assert.deepEqual(
      [byEndpoint.get(deleted.id)!.status, byEndpoint.get(deleted.id)!.lastError],
      ['FAILED', 'The endpoint was deleted.'],
      'no retries for an endpoint that is gone',
    );
    assert.equal(rx.received.length, 0);

    // No answer within the time limit (10 s in the server; shortened here) fails the attempt.
    const silent = await startReceiver(() => null);
    ctx.after(() => silent.close());
    const service = new WebhookService({
      store: t.store,
      clock: () => t.clock.now,
      sealer: new Sealer((await t.store.signingKeys.list()).map((k) => k.secret)),
      metrics: createMetrics(),
      retryScale: 1,
      timeoutMs: 300,
    });
    const slow = await service.createEndpoint('mer_default', { url: silent.url, events: ['CLIENT_SESSION.UPDATED'] });
    const { clientToken } = await createSession(t, { orderId: 'o-2' });
    await t.app.inject({ method: 'PATCH', url: '/client-session', headers: headers(t.apiKey), payload: { clientToken, orderId: 'o-3' } });
    await fanOut(t);
    const [pending] = (await t.store.webhooks.dueDeliveries(t.clock.now, 10)).filter((d) => d.endpointId === slow.id);
    assert.ok(pending);
    const result = await service.deliver(pending);
    assert.deepEqual([result.status, result.attempts, result.lastError], ['PENDING', 1, 'No answer within 0.3 s.']);
  });

  test("KASSA_WEBHOOK_TIMEOUT_MS is the wait for an answer, and a claim's lease one of it, at least 15 s (a dead process's lapse then)", async (ctx) => {
    const [t, silent] = await Promise.all([testApp({ env: { KASSA_WEBHOOK_TIMEOUT_MS: '300' } }), startReceiver(() => null)]);
    ctx.after(async () => {
      await t.close();
      await silent.close();
    });
    await addEndpoint(t, { url: silent.url, events: ['CLIENT_SESSION.CREATED'] });
    await createSession(t, { orderId: 'o-1' });
    // Watch the real store's claims.
    const claims: Array<[number, number]> = [];
    const claim = t.store.webhooks.claimDelivery.bind(t.store.webhooks);
    t.store.webhooks.claimDelivery = (id, now, until) => {
      claims.push([now, until]);
      return claim(id, now, until);
    };
    assert.equal(await send(t), 1);
    assert.deepEqual(
      claims.map(([now, until]) => until - now),
      [15_000],
    );
    const [delivery] = await deliveries(t);
    assert.deepEqual([delivery!.status, delivery!.lastError], ['PENDING', 'No answer within 0.3 s.']);
  });

  test('redeliver sends a FAILED (or DELIVERED) delivery again now, with the same id; unknown ids are 404', async (ctx) => {
    let answer = 500;
    const { t, rx } = await setup(ctx, () => answer);
    await addEndpoint(t, { url: rx.url, events: ['CLIENT_SESSION.CREATED'] });
    await createSession(t, { orderId: 'o-1' });
    await send(t);
    for (const wait of [11_000, 66_000, 330_000, 660_000, 990_000]) {
      t.clock.advance(wait);
      await send(t);
    }
    const [failed] = await deliveries(t, '?status=FAILED');
    assert.ok(failed);
    answer = 200;
    const res = await api(t, 'POST', `/kassa/webhook-deliveries/${failed.id}/redeliver`);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      ...failed,
      status: 'PENDING',
      nextAttemptAt: new Date(t.clock.now).toISOString().replace('Z', '000'),
    });
    assert.equal(await send(t), 1);
    const [delivered] = await deliveries(t);
    assert.deepEqual([delivered!.id, delivered!.status, delivered!.attempts], [failed.id, 'DELIVERED', 7]);
    assert.equal(rx.received.at(-1)!.headers['x-kassa-delivery-id'], failed.id);
    // A receiver that lost a delivered one can have it again.
    assert.equal((await api(t, 'POST', `/kassa/webhook-deliveries/${failed.id}/redeliver`)).statusCode, 200);
    assert.equal(await send(t), 1);
    assert.equal(rx.received.length, 8);
    assertError(await api(t, 'POST', '/kassa/webhook-deliveries/00000000-0000-4000-8000-000000000000/redeliver'), 404, 'NotFound');
  });

  test('the delivery list filters by status, endpoint, payment and session, newest first, with a limit', async (ctx) => {
    const { t, rx } = await setup(ctx, (r) => (r.path === '/down' ? 500 : 200));
    const up = await addEndpoint(t, { url: `${rx.url}/up`, events: ['PAYMENT.STATUS', 'CLIENT_SESSION.CREATED'] });
    const down = await addEndpoint(t, { url: `${rx.url}/down` });
    const first = await pay(t);
    t.clock.advance(1000);
    const second = await pay(t, CARDS.decline);
    await send(t);
    const all = await deliveries(t);
    assert.equal(all.length, 2 * 2 + 2 * 2 + 2);
    assert.deepEqual(
      all.map((d) => d.createdAt),
      [...all.map((d) => d.createdAt)].sort().reverse(),
    );
    assert.deepEqual(new Set((await deliveries(t, '?status=PENDING')).map((d) => d.endpointId)), new Set([down.id]));
    assert.equal((await deliveries(t, '?status=DELIVERED')).length, 6);
    assert.deepEqual(new Set((await deliveries(t, `?endpoint_id=${up.id}`)).map((d) => d.endpointId)), new Set([up.id]));
    const ofSecond = await deliveries(t, `?payment_id=${second.payment.id}`);
    assert.deepEqual(new Set(ofSecond.map((d) => d.paymentId)), new Set([second.payment.id]));
    assert.equal(ofSecond.length, 4);
    const sessionId = all.find(
      (d) => d.eventType === 'CLIENT_SESSION.CREATED' && d.createdAt.startsWith('2026-11-24T09:00:00'),
    )!.clientSessionId;
    const ofSession = await deliveries(t, `?client_session_id=${sessionId}`);
    assert.deepEqual(
      ofSession.map((d) => d.eventType),
      ['CLIENT_SESSION.CREATED'],
    );
    assert.equal((await deliveries(t, `?payment_id=${first.payment.id}&endpoint_id=${down.id}&status=PENDING`)).length, 2);
    assert.equal((await deliveries(t, '?limit=3')).length, 3);
    assert.equal((await api(t, 'GET', '/kassa/webhook-deliveries?status=LOST')).statusCode, 422);
    for (const limit of ['0', '101', '-1', 'x']) {
      assert.equal((await api(t, 'GET', `/kassa/webhook-deliveries?limit=${limit}`)).statusCode, 422, limit);
    }
    assert.equal((await deliveries(t, '?limit=100')).length, all.length);
  });
});

describe('secrets: rotation and the test event', { concurrency: 4 }, () => {
  test('after a rotation both secrets sign for 24 h (X-Signature-Secondary with the old one), then only the new', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const made = await addEndpoint(t, { url: rx.url, events: ['CLIENT_SESSION.CREATED'] });
    const rotated = await api(t, 'POST', `/kassa/webhook-endpoints/${made.id}/rotate-secret`);
    assert.equal(rotated.statusCode, 200, rotated.body);
    const { secret, ...shown } = rotated.json();
    assert.match(secret, /^whsec_/);
    assert.notEqual(secret, made.secret);
    assert.deepEqual(shown, {
      id: made.id,
      url: `${rx.url}/`,
      events: ['CLIENT_SESSION.CREATED'],
      version: '2.4',
      createdAt: '2026-11-24T09:00:00.123000',
      previousSecretValidUntil: '2026-11-25T09:00:00.123000',
    });
    const read = await api(t, 'GET', `/kassa/webhook-endpoints/${made.id}`);
    assert.deepEqual(read.json(), shown, 'GET shows when the old secret stops, never a secret');
    assert.ok(!read.body.includes(secret) && !read.body.includes(made.secret));

    await createSession(t, { orderId: 'o-1' });
    await send(t);
    const [during] = rx.received;
    assert.equal(during!.headers['x-signature-primary'], expectedSignature(during!.raw, secret));
    assert.equal(during!.headers['x-signature-secondary'], expectedSignature(during!.raw, made.secret));

    t.clock.advance(DAY - 1);
    await createSession(t, { orderId: 'o-2' });
    await send(t);
    assert.equal(
      rx.received[1]!.headers['x-signature-secondary'],
      expectedSignature(rx.received[1]!.raw, made.secret),
      'still within 24 h',
    );

    t.clock.advance(1);
    await createSession(t, { orderId: 'o-3' });
    await send(t);
    const [, , after] = rx.received;
    assert.equal(after!.headers['x-signature-primary'], expectedSignature(after!.raw, secret));
    assert.equal(after!.headers['x-signature-secondary'], undefined, 'the old secret stopped after 24 h');
    assert.equal('previousSecretValidUntil' in (await api(t, 'GET', `/kassa/webhook-endpoints/${made.id}`)).json(), false);
  });

  test('POST .../test sends a signed KASSA.TEST event now and says how the receiver answered; nothing is stored', async (ctx) => {
    let answer = 200;
    const { t, rx } = await setup(ctx, () => answer);
    const made = await addEndpoint(t, { url: `${rx.url}/hook`, description: 'Orders' });
    const ok = await api(t, 'POST', `/kassa/webhook-endpoints/${made.id}/test`);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { delivered: true, statusCode: 200 });
    const [got] = rx.received;
    assert.deepEqual(got!.body, {
      eventType: 'KASSA.TEST',
      date: '2026-11-24T09:00:00.123000',
      notificationConfig: { id: made.id, description: 'Orders' },
      version: '2.4',
      signedAt: String(Math.floor(t.clock.now / 1000)),
    });
    assert.equal(got!.headers['x-signature-primary'], expectedSignature(got!.raw, made.secret));
    assert.match(String(got!.headers['x-kassa-delivery-id']), /^test-/);
    answer = 500;
    assert.deepEqual((await api(t, 'POST', `/kassa/webhook-endpoints/${made.id}/test`)).json(), {
      delivered: false,
      statusCode: 500,
      error: 'The receiver answered 500.',
    });
    assert.deepEqual(await deliveries(t), []);
    assertError(await api(t, 'POST', '/kassa/webhook-endpoints/00000000-0000-4000-8000-000000000000/test'), 404, 'NotFound');
  });
});

describe("KASSA_WEBHOOK_URL's endpoint (made at start-up)", { concurrency: 4 }, () => {
  test('made once for the default merchant, with the configured secret; a restart finds it; a changed secret replaces the old', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const webhooks = t.app.webhooks!;
    const configured = 'whsec_configured_0123456789abcdef';
    assert.equal(
      await webhooks.ensureEndpoint('mer_default', `${rx.url}/kassa`, configured),
      undefined,
      'a configured secret is not printed',
    );
    assert.equal(await webhooks.ensureEndpoint('mer_default', `${rx.url}/kassa`, configured), undefined);
    const listed = (await api(t, 'GET', '/kassa/webhook-endpoints')).json().data;
    assert.deepEqual(
      listed.map((e: Record<string, unknown>) => [e.url, e.description, e.events]),
      [[`${rx.url}/kassa`, 'KASSA_WEBHOOK_URL', DEFAULT_EVENTS]],
    );
    await api(t, 'POST', `/kassa/webhook-endpoints/${listed[0].id}/test`);
    assert.equal(rx.received[0]!.headers['x-signature-primary'], expectedSignature(rx.received[0]!.raw, configured));
    const changed = 'whsec_changed_0123456789abcdefgh';
    await webhooks.ensureEndpoint('mer_default', `${rx.url}/kassa`, changed);
    await api(t, 'POST', `/kassa/webhook-endpoints/${listed[0].id}/test`);
    assert.equal(rx.received[1]!.headers['x-signature-primary'], expectedSignature(rx.received[1]!.raw, changed));
    assert.equal((await api(t, 'GET', '/kassa/webhook-endpoints')).json().data.length, 1);
  });

  test('without a secret one is made and returned once (the server prints it); the next start returns none', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const made = await t.app.webhooks!.ensureEndpoint('mer_default', rx.url, undefined);
    assert.match(made!, /^whsec_/);
    assert.equal(await t.app.webhooks!.ensureEndpoint('mer_default', rx.url, undefined), undefined);
    const [endpoint] = (await api(t, 'GET', '/kassa/webhook-endpoints')).json().data;
    await api(t, 'POST', `/kassa/webhook-endpoints/${endpoint.id}/test`);
    assert.equal(rx.received[0]!.headers['x-signature-primary'], expectedSignature(rx.received[0]!.raw, made!));
  });

  test('two processes starting together on one database leave one endpoint, not two (each event would go twice)', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const other = new WebhookService({
      store: await t.another(),
      clock: () => t.clock.now,
      sealer: new Sealer((await t.store.signingKeys.list()).map((k) => k.secret)),
      metrics: createMetrics(),
      retryScale: 1,
    });
    const secret = 'whsec_configured_0123456789abcdef';
    await Promise.all([t.app.webhooks!.ensureEndpoint('mer_default', rx.url, secret), other.ensureEndpoint('mer_default', rx.url, secret)]);
    assert.equal((await api(t, 'GET', '/kassa/webhook-endpoints')).json().data.length, 1);
    await createSession(t, { orderId: 'o-1' });
    await pay(t);
    await send(t);
    assert.equal(rx.received.length, 2, 'PENDING and AUTHORIZED, once each');
  });
});

describe('history and metrics', { concurrency: 4 }, () => {
  test("GET /kassa/payments/{id}/events: each change's event with its deliveries; another merchant's id answers as an unknown one", async (ctx) => {
    const { t, rx } = await setup(ctx);
    const made = await addEndpoint(t, { url: rx.url });
    const { payment } = await pay(t);
    t.clock.advance(1000);
    await api(t, 'POST', `/payments/${payment.id}/capture`, {});
    await send(t);
    const res = await api(t, 'GET', `/kassa/payments/${payment.id}/events`);
    assert.equal(res.statusCode, 200, res.body);
    const events = res.json().data as Record<string, any>[];
    assert.deepEqual(
      events.map((e) => [e.type, e.status, e.date]),
      [
        ['PAYMENT.STATUS', 'PENDING', '2026-11-24T09:00:00.123000'],
        ['PAYMENT.STATUS', 'AUTHORIZED', '2026-11-24T09:00:00.123000'],
        ['PAYMENT.STATUS', 'SETTLED', '2026-11-24T09:00:01.123000'],
      ],
    );
    for (const e of events) {
      assert.match(e.id, TIME_ORDERED_UUID);
      assert.equal(typeof e.changes, 'object');
      assert.equal(e.deliveries.length, 1);
      assert.deepEqual([e.deliveries[0].endpointId, e.deliveries[0].eventId, e.deliveries[0].status], [made.id, e.id, 'DELIVERED']);
    }
    const other = await otherMerchant(t);
    const foreign = await api(t, 'GET', `/kassa/payments/${payment.id}/events`, undefined, { key: other.key });
    const unknown = await api(t, 'GET', '/kassa/payments/pay_nonexistent00000/events');
    assert.equal(foreign.statusCode, unknown.statusCode);
    assert.ok(foreign.statusCode >= 400 && foreign.statusCode < 500);
    assert.equal(foreign.json().error.errorId, unknown.json().error.errorId);
  });

  test('an event made by a request sent with an Idempotency-Key shows the key, for sessions and payments; a replay adds no event', async (ctx) => {
    const { t } = await setup(ctx);
    const create = () =>
      t.app.inject({
        method: 'POST',
        url: '/client-session',
        headers: { ...headers(t.apiKey), 'idempotency-key': 'create-o-1' },
        payload: { orderId: 'o-1', currencyCode: 'EUR', amount: 1000 },
      });
    const created = await create();
    assert.equal(created.statusCode, 200, created.body);
    assert.equal((await create()).headers['idempotent-replayed'], 'true');
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/client-session',
      headers: headers(t.apiKey),
      payload: { clientToken: created.json().clientToken, amount: 1200 },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    const [session] = await t.query('SELECT id FROM sessions');
    const sessionEvents = (await api(t, 'GET', `/kassa/client-sessions/${session!.id}/events`)).json().data as Record<string, any>[];
    assert.deepEqual(
      sessionEvents.map((e) => [e.type, e.idempotencyKey]),
      [
        ['CLIENT_SESSION.CREATED', 'create-o-1'],
        ['CLIENT_SESSION.UPDATED', undefined],
      ],
    );
    const { payment } = await pay(t, CARDS.visa, { idempotencyKey: 'pay-o-2' });
    const paymentEvents = (await api(t, 'GET', `/kassa/payments/${payment.id}/events`)).json().data as Record<string, any>[];
    assert.deepEqual(
      paymentEvents.map((e) => [e.status, e.idempotencyKey]),
      [
        ['PENDING', 'pay-o-2'],
        ['AUTHORIZED', 'pay-o-2'],
      ],
    );
  });

  test("GET /kassa/client-sessions/{id}/events: CREATED, then UPDATED listing what changed {field: {from, to}}; another merchant's id is not found", async (ctx) => {
    const { t, rx } = await setup(ctx);
    await addEndpoint(t, { url: rx.url, events: ['CLIENT_SESSION.CREATED', 'CLIENT_SESSION.UPDATED'] });
    const { clientToken } = await createSession(t, { orderId: 'o-1', currencyCode: 'EUR', amount: 1000, customerId: 'c-1' });
    t.clock.advance(1000);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/client-session',
      headers: headers(t.apiKey),
      payload: { clientToken, amount: 2500, customerId: null, metadata: { cart: 7 } },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    await send(t);
    const sessionId = (await deliveries(t))[0]!.clientSessionId as string;
    const res = await api(t, 'GET', `/kassa/client-sessions/${sessionId}/events`);
    assert.equal(res.statusCode, 200, res.body);
    const events = res.json().data as Record<string, any>[];
    assert.deepEqual(
      events.map(({ id: _id, requestId: _r, deliveries: d, ...e }) => ({ ...e, delivered: d.map((x: any) => x.status) })),
      [
        {
          type: 'CLIENT_SESSION.CREATED',
          date: '2026-11-24T09:00:00.123000',
          version: 1,
          changes: { orderId: 'o-1', currencyCode: 'EUR', amount: 1000 },
          delivered: ['DELIVERED'],
        },
        {
          type: 'CLIENT_SESSION.UPDATED',
          date: '2026-11-24T09:00:01.123000',
          version: 2,
          changes: { amount: { from: 1000, to: 2500 }, customerId: { from: 'c-1' }, metadata: { to: { cart: 7 } } },
          delivered: ['DELIVERED'],
        },
      ],
    );
    assert.deepEqual(rx.received.find((r) => r.body.eventType === 'CLIENT_SESSION.UPDATED')!.body.clientSession, {
      id: sessionId,
      version: 2,
      changes: events[1]!.changes,
    });
    const other = await otherMerchant(t);
    assertError(await api(t, 'GET', `/kassa/client-sessions/${sessionId}/events`, undefined, { key: other.key }), 404, 'SessionNotFound');
    assertError(await api(t, 'GET', '/kassa/client-sessions/cs_nonexistent/events'), 404, 'SessionNotFound');
  });

  test('/metrics: attempts by outcome, the queue depth and the age of the oldest undelivered delivery', async (ctx) => {
    const { t, rx } = await setup(ctx, (r) => (r.path === '/down' ? 500 : 200));
    assert.equal(await metric(t, 'kassa_webhook_queue_depth'), 0);
    assert.equal(await metric(t, 'kassa_webhook_oldest_undelivered_seconds'), 0);
    await addEndpoint(t, { url: `${rx.url}/up` });
    await addEndpoint(t, { url: `${rx.url}/down` });
    await pay(t);
    assert.equal(await metric(t, 'kassa_webhook_queue_depth'), 2, 'two events awaiting their deliveries');
    await fanOut(t);
    assert.equal(await metric(t, 'kassa_webhook_queue_depth'), 4, 'two deliveries each');
    t.clock.advance(42_000);
    assert.equal(await metric(t, 'kassa_webhook_oldest_undelivered_seconds'), 42);
    await send(t);
    assert.equal(await metric(t, 'kassa_webhook_deliveries_total{outcome="delivered"}'), 2);
    assert.equal(await metric(t, 'kassa_webhook_deliveries_total{outcome="retry"}'), 2);
    assert.equal(await metric(t, 'kassa_webhook_queue_depth'), 2, 'the retries are still undelivered');
    assert.equal(await metric(t, 'kassa_webhook_oldest_undelivered_seconds'), 42);
  });

  test('SDK-side changes (a payment the SDK makes) fan out too', async (ctx) => {
    const { t, rx } = await setup(ctx);
    await addEndpoint(t, { url: rx.url });
    const { accessToken } = await createSession(t, { orderId: 'o-1', currencyCode: 'EUR', amount: 1000 });
    const { token } = await tokenize(t, accessToken);
    const paid = await sdk(t, accessToken, 'POST', '/payments', { paymentMethodToken: token });
    assert.equal(paid.statusCode, 200, paid.body);
    await send(t);
    assert.deepEqual(rx.received.map((r) => r.body.payment.status).sort(), ['AUTHORIZED', 'PENDING']);
    assert.ok(!rx.received.some((r) => r.raw.includes(CARDS.visa)), 'no card number in a webhook body');
  });
});
