// engines: sqlite, postgres
// A merchant's endpoints on a shared server, and the delivery log, over HTTP in process (docs/webhooks.md,
// "Endpoints", "Disabled endpoints", "The delivery log"): the cap on endpoints per merchant, an endpoint
// disabled after failing for days and enabled again, and each attempt as GET /kassa/webhook-deliveries/{id}
// shows it. A local receiver answers; the dispatcher sends when a test calls runDue(), on the test clock.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { DISABLE_AFTER_FAILURES } from '../../src/webhooks/endpoint-health.ts';
import { api, assertError, otherMerchant } from '../payments/support.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

const HOUR = 3_600_000;

async function setup(ctx: TestContext, answer?: Receiver['answer'], env: Record<string, string> = {}) {
  const [t, rx] = await Promise.all([testApp({ env }), startReceiver(answer)]);
  ctx.after(async () => {
    await t.close();
    await rx.close();
  });
  return { t, rx };
}

async function addEndpoint(t: TestApp, body: Record<string, unknown>) {
  const res = await api(t, 'POST', '/kassa/webhook-endpoints', body);
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { id: string; secret: string; [k: string]: unknown };
}

const send = (t: TestApp) => t.app.webhookDispatcher!.runDue();
const primer = (ms: number) => new Date(ms).toISOString().replace('Z', '000');

async function deliveries(t: TestApp, query = '') {
  await t.store.webhooks.fanOut(1000);
  const res = await api(t, 'GET', `/kassa/webhook-deliveries${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { data: Record<string, any>[] }).data;
}

describe('the cap on endpoints per merchant', { concurrency: 2 }, () => {
  test('past KASSA_WEBHOOK_ENDPOINTS_MAX a POST is 409 WebhookEndpointLimitExceeded and makes nothing; a deleted one frees a place', async (ctx) => {
    const { t, rx } = await setup(ctx, undefined, { KASSA_WEBHOOK_ENDPOINTS_MAX: '2' });
    const first = await addEndpoint(t, { url: `${rx.url}/1` });
    await addEndpoint(t, { url: `${rx.url}/2` });
    const refused = assertError(
      await api(t, 'POST', '/kassa/webhook-endpoints', { url: `${rx.url}/3` }),
      409,
      'WebhookEndpointLimitExceeded',
    );
    assert.match(JSON.stringify(refused), /at most 2 webhook endpoints/);
    assert.equal((await t.query('SELECT id FROM webhook_endpoints')).length, 2, 'nothing written');
    // Another merchant has places of its own.
    const other = await otherMerchant(t, ['webhooks:write']);
    assert.equal((await api(t, 'POST', '/kassa/webhook-endpoints', { url: rx.url }, { key: other.key })).statusCode, 200);
    assert.equal((await api(t, 'DELETE', `/kassa/webhook-endpoints/${first.id}`)).statusCode, 200);
    await addEndpoint(t, { url: `${rx.url}/3` });
  });

  test('creations at once cannot overshoot the cap', async (ctx) => {
    const { t, rx } = await setup(ctx, undefined, { KASSA_WEBHOOK_ENDPOINTS_MAX: '3' });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api(t, 'POST', '/kassa/webhook-endpoints', { url: `${rx.url}/${i}` })),
    );
    assert.deepEqual(answers.map((r) => r.statusCode).sort(), [200, 200, 200, 409, 409, 409, 409, 409, 409, 409]);
    assert.equal(((await api(t, 'GET', '/kassa/webhook-endpoints')).json() as { data: unknown[] }).data.length, 3);
  });
});

describe('disabled endpoints', { concurrency: 2 }, () => {
  test('an endpoint failing for 3 days and 10 attempts is disabled with time and reason; then it gets no deliveries; enable brings them back', async (ctx) => {
    let answer = 500;
    const { t, rx } = await setup(ctx, () => answer);
    const made = await addEndpoint(t, { url: rx.url, events: ['CLIENT_SESSION.CREATED'] });
    await createSession(t, { orderId: 'o-1' });
    await send(t);
    const [delivery] = await deliveries(t);
    // Redelivered every 8 hours: 10 failed attempts over 72 hours.
    for (let i = 1; i < DISABLE_AFTER_FAILURES; i++) {
      t.clock.advance(8 * HOUR);
      assert.equal((await api(t, 'POST', `/kassa/webhook-deliveries/${delivery!.id}/redeliver`)).statusCode, 200);
      assert.equal(await send(t), 1);
    }
    const disabledAt = t.clock.now;
    const shown = (await api(t, 'GET', `/kassa/webhook-endpoints/${made.id}`)).json() as Record<string, unknown>;
    assert.deepEqual(shown, {
      id: made.id,
      url: `${rx.url}/`,
      events: ['CLIENT_SESSION.CREATED'],
      version: '2.4',
      createdAt: made.createdAt,
      failingSince: primer(disabledAt - 72 * HOUR),
      failures: 10,
      disabledAt: primer(disabledAt),
      disabledReason: 'Every attempt failed for 3 days (10 or more in a row).',
    });
    // A new event makes no delivery; a pending one fails without a send.
    await createSession(t, { orderId: 'o-2' });
    assert.equal((await deliveries(t)).length, 1);
    assert.equal((await api(t, 'POST', `/kassa/webhook-deliveries/${delivery!.id}/redeliver`)).statusCode, 200);
    const sent = rx.received.length;
    await send(t);
    assert.equal(rx.received.length, sent, 'nothing sent to a disabled endpoint');
    const [failedNow] = await deliveries(t);
    assert.deepEqual([failedNow!.status, failedNow!.lastError], ['FAILED', 'The endpoint is disabled.']);

    answer = 200;
    const other = await otherMerchant(t, ['webhooks:write']);
    assertError(await api(t, 'POST', `/kassa/webhook-endpoints/${made.id}/enable`, undefined, { key: other.key }), 404, 'NotFound');
    assertError(await api(t, 'POST', '/kassa/webhook-endpoints/00000000-0000-4000-8000-000000000000/enable'), 404, 'NotFound');
    const enabled = await api(t, 'POST', `/kassa/webhook-endpoints/${made.id}/enable`);
    assert.equal(enabled.statusCode, 200, enabled.body);
    assert.deepEqual(enabled.json(), {
      id: made.id,
      url: `${rx.url}/`,
      events: ['CLIENT_SESSION.CREATED'],
      version: '2.4',
      createdAt: made.createdAt,
    });
    await createSession(t, { orderId: 'o-3' });
    await send(t);
    assert.equal(rx.received.length, sent + 1, 'the next event is sent');
    assert.deepEqual(rx.received.at(-1)!.body.clientSession.changes, { orderId: 'o-3' });
  });

  test('a 2xx ends a failure streak: the endpoint is not disabled however long it failed before', async (ctx) => {
    let answer = 500;
    const { t, rx } = await setup(ctx, () => answer);
    const made = await addEndpoint(t, { url: rx.url, events: ['CLIENT_SESSION.CREATED'] });
    await createSession(t, { orderId: 'o-1' });
    await send(t);
    const [delivery] = await deliveries(t);
    // Failures from T0 to 64 h, a 2xx at 72 h, then 9 more failures to 144 h: never 10 in a row.
    for (let i = 1; i < 2 * DISABLE_AFTER_FAILURES - 1; i++) {
      t.clock.advance(8 * HOUR);
      answer = i === DISABLE_AFTER_FAILURES - 1 ? 204 : 500;
      await api(t, 'POST', `/kassa/webhook-deliveries/${delivery!.id}/redeliver`);
      await send(t);
    }
    const shown = (await api(t, 'GET', `/kassa/webhook-endpoints/${made.id}`)).json() as Record<string, unknown>;
    assert.equal(shown.disabledAt, undefined);
    assert.equal(shown.failures, DISABLE_AFTER_FAILURES - 1);
  });
});

describe('the delivery log', { concurrency: 2 }, () => {
  test('GET /kassa/webhook-deliveries/{id} shows each attempt: time, duration, request, the answer, the outcome; and the next attempt', async (ctx) => {
    let answer = 503;
    const { t, rx } = await setup(ctx, () => (answer === 503 ? { status: 503, headers: { 'retry-after': '5' } } : answer));
    const made = await addEndpoint(t, { url: rx.url, events: ['CLIENT_SESSION.CREATED'] });
    await createSession(t, { orderId: 'o-1' });
    const firstAt = t.clock.now;
    await send(t);
    const [listed] = await deliveries(t);
    const one = await api(t, 'GET', `/kassa/webhook-deliveries/${listed!.id}`);
    assert.equal(one.statusCode, 200, one.body);
    const pending = one.json() as Record<string, any>;
    assert.equal(pending.status, 'PENDING');
    assert.equal(pending.nextAttemptAt, listed!.nextAttemptAt, 'the next attempt is shown');
    assert.equal(pending.attemptLog.length, 1);
    const [attempt] = pending.attemptLog;
    const received = rx.received[0]!;
    assert.deepEqual(Object.keys(attempt).sort(), ['attempt', 'date', 'durationMs', 'outcome', 'request', 'response']);
    assert.deepEqual([attempt.attempt, attempt.date, attempt.outcome], [1, primer(firstAt), 'The receiver answered 503.']);
    assert.ok(Number.isInteger(attempt.durationMs) && attempt.durationMs >= 0);
    assert.equal(attempt.request.body, received.raw, 'the body as sent');
    for (const name of ['x-signature-primary', 'x-kassa-delivery-id', 'content-type']) {
      assert.equal(attempt.request.headers[name], received.headers[name], name);
    }
    assert.equal(attempt.response.statusCode, 503);
    // The receiver's answer as far as the log keeps it: its headers and the start of its body.
    assert.equal(attempt.response.headers['retry-after'], '5');
    assert.equal(attempt.response.body, 'ok');
    assert.ok(!one.body.includes(made.secret), 'never the secret');

    answer = 200;
    t.clock.advance(15_000);
    await send(t);
    const done = (await api(t, 'GET', `/kassa/webhook-deliveries/${listed!.id}`)).json() as Record<string, any>;
    assert.equal(done.status, 'DELIVERED');
    assert.equal(done.nextAttemptAt, undefined);
    assert.deepEqual(
      done.attemptLog.map((a: Record<string, any>) => [a.attempt, a.response.statusCode, a.outcome]),
      [
        [1, 503, 'The receiver answered 503.'],
        [2, 200, 'Delivered: the receiver answered 200.'],
      ],
    );
    const rows = await t.query('SELECT * FROM webhook_attempts');
    assert.ok(!JSON.stringify(rows).includes(made.secret), 'the log keeps no secret');
  });

  test("an unknown delivery, or another merchant's, is 404 NotFound", async (ctx) => {
    const { t, rx } = await setup(ctx);
    await addEndpoint(t, { url: rx.url, events: ['CLIENT_SESSION.CREATED'] });
    await createSession(t, { orderId: 'o-1' });
    await send(t);
    const [listed] = await deliveries(t);
    const other = await otherMerchant(t, ['webhooks:write']);
    assertError(await api(t, 'GET', `/kassa/webhook-deliveries/${listed!.id}`, undefined, { key: other.key }), 404, 'NotFound');
    assertError(await api(t, 'GET', '/kassa/webhook-deliveries/00000000-0000-4000-8000-000000000000'), 404, 'NotFound');
  });
});
