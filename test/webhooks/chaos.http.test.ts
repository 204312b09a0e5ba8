// engines: sqlite, postgres
// Webhook chaos (docs/sandbox.md, "Webhook chaos"): PATCH /kassa/webhook-endpoints/{id} with chaos,
// shown on the endpoint, off by default and with null or {}; each knob against a real receiver:
// duplicate (same delivery id twice), failFirst (attempts recorded failed, not sent, then retried),
// delayMs (a due time: the delivery waits on the clock, holding no slot) and shuffle (out of order).
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { api, assertError } from '../payments/support.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

async function setup(ctx: TestContext, chaos?: Record<string, unknown>, env: Record<string, string> = {}) {
  const [t, rx] = await Promise.all([testApp({ env }), startReceiver()]);
  ctx.after(async () => {
    await t.close();
    await rx.close();
  });
  const made = await api(t, 'POST', '/kassa/webhook-endpoints', { url: `${rx.url}/hook`, events: ['CLIENT_SESSION.CREATED'] });
  assert.equal(made.statusCode, 200, made.body);
  const id = made.json().id as string;
  if (chaos) assert.equal((await patch(t, id, { chaos })).statusCode, 200);
  return { t, rx, id };
}

const patch = (t: TestApp, id: string, body: unknown) =>
  t.app.inject({
    method: 'PATCH',
    url: `/kassa/webhook-endpoints/${id}`,
    headers: { 'x-api-key': t.apiKey, 'content-type': 'application/json' },
    payload: body as object,
  });
const send = (t: TestApp) => t.app.webhookDispatcher!.runDue();
/** The orderId of each session whose CLIENT_SESSION.CREATED the receiver got, in arrival order. */
const orderIds = (rx: Receiver) => rx.received.map((r) => r.body.clientSession.changes.orderId as string);

describe('webhook chaos', () => {
  test('off by default; PATCH sets it and the endpoint shows it; null and {} turn it off; other fields can change too', async (ctx) => {
    const { t, id } = await setup(ctx);
    const read = async () => (await api(t, 'GET', `/kassa/webhook-endpoints/${id}`)).json();
    assert.equal((await read()).chaos, undefined);
    const chaos = { duplicate: 0.5, shuffle: true, failFirst: 2, delayMs: 500 };
    const res = await patch(t, id, { chaos });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().chaos, chaos);
    assert.deepEqual((await read()).chaos, chaos);
    assert.deepEqual(
      (await patch(t, id, { chaos: { failFirst: 0, shuffle: false, duplicate: 1 } })).json().chaos,
      { duplicate: 1 },
      'knobs at 0 are off',
    );
    assert.equal((await patch(t, id, { chaos: null })).json().chaos, undefined);
    await patch(t, id, { chaos });
    assert.equal((await patch(t, id, { chaos: {} })).json().chaos, undefined);
    const changed = (await patch(t, id, { description: 'CI', events: ['CLIENT_SESSION.UPDATED'] })).json();
    assert.equal(changed.description, 'CI');
    assert.deepEqual(changed.events, ['CLIENT_SESSION.UPDATED']);
    assert.equal(changed.chaos, undefined);
  });

  test('bad chaos is 422; an unknown endpoint is 404; another merchant cannot change it', async (ctx) => {
    const { t, id } = await setup(ctx);
    for (const chaos of [{ duplicate: 1.5 }, { failFirst: 11 }, { delayMs: 30_001 }, { shuffle: 'yes' }, { explode: true }]) {
      assertError(await patch(t, id, { chaos }), 422, 'RequestValidationError');
    }
    assertError(await patch(t, id, { events: ['NOPE'] }), 422, 'RequestValidationError');
    assertError(await patch(t, '00000000-0000-4000-8000-000000000000', { chaos: { shuffle: true } }), 404, 'NotFound');
    assert.equal((await api(t, 'GET', `/kassa/webhook-endpoints/${id}`)).json().chaos, undefined);
  });

  test('without chaos each delivery is sent once', async (ctx) => {
    const { t, rx } = await setup(ctx);
    await createSession(t, { orderId: 'o-1' });
    await send(t);
    assert.equal(rx.received.length, 1);
  });

  test('duplicate 1: every delivery is sent twice with the same delivery id, signed alike, and is DELIVERED once', async (ctx) => {
    const { t, rx } = await setup(ctx, { duplicate: 1 });
    for (let i = 0; i < 3; i++) await createSession(t, { orderId: `o-${i}` });
    await send(t);
    const byId = rx.byDeliveryId();
    assert.equal(byId.size, 3);
    for (const [, copies] of byId) {
      assert.equal(copies.length, 2);
      assert.equal(copies[0]!.raw, copies[1]!.raw);
      assert.equal(copies[0]!.headers['x-signature-primary'], copies[1]!.headers['x-signature-primary']);
    }
    const deliveries = (await api(t, 'GET', '/kassa/webhook-deliveries')).json().data;
    assert.deepEqual(
      deliveries.map((d: { status: string; attempts: number }) => [d.status, d.attempts]),
      [
        ['DELIVERED', 1],
        ['DELIVERED', 1],
        ['DELIVERED', 1],
      ],
    );
  });

  test('failFirst 2: the first two attempts are recorded failed and not sent; the retry after them is sent and delivered', async (ctx) => {
    const { t, rx } = await setup(ctx, { failFirst: 2 });
    await createSession(t, { orderId: 'o-1' });
    await send(t);
    assert.equal(rx.received.length, 0);
    let [delivery] = (await api(t, 'GET', '/kassa/webhook-deliveries')).json().data;
    assert.equal(delivery.status, 'PENDING');
    assert.equal(delivery.attempts, 1);
    assert.match(delivery.lastError, /chaos: attempt 1 of the first 2/);
    for (let i = 0; i < 2; i++) {
      t.clock.advance(60 * 60_000);
      await send(t);
    }
    assert.equal(rx.received.length, 1, 'only the third attempt reached the receiver');
    delivery = (await api(t, 'GET', `/kassa/webhook-deliveries/${delivery.id}`)).json();
    assert.equal(delivery.status, 'DELIVERED');
    assert.equal(delivery.attempts, 3);
    assert.deepEqual(
      delivery.attemptLog.map((a: { outcome: string }) => a.outcome.startsWith('Webhook chaos')),
      [true, true, false],
    );
    const endpoint = (await api(t, 'GET', '/kassa/webhook-endpoints')).json().data[0];
    assert.equal(endpoint.failures, undefined, "chaos's failures are not held against the endpoint's health");
  });

  test("delayMs: the delivery is due delayMs after its event, and waits on the clock without holding the endpoint's slots", async (ctx) => {
    const { t, rx } = await setup(ctx, { delayMs: 5000 });
    const plain = await startReceiver();
    ctx.after(() => plain.close());
    await api(t, 'POST', '/kassa/webhook-endpoints', { url: `${plain.url}/plain`, events: ['CLIENT_SESSION.CREATED'] });
    for (let i = 0; i < 3; i++) await createSession(t, { orderId: `o-${i}` });
    await send(t);
    assert.equal(rx.received.length, 0, 'not yet');
    assert.equal(plain.received.length, 3, 'another endpoint is not held up');
    const pending = (await api(t, 'GET', '/kassa/webhook-deliveries?status=PENDING')).json().data;
    assert.equal(pending.length, 3);
    for (const d of pending) assert.equal(d.attempts, 0);
    t.clock.advance(4999);
    await send(t);
    assert.equal(rx.received.length, 0);
    t.clock.advance(1);
    await send(t);
    assert.equal(rx.received.length, 3);
  });

  test('shuffle: deliveries leave in random order, each once', async (ctx) => {
    const { t, rx } = await setup(ctx, { shuffle: true });
    const made: string[] = [];
    // All at one instant: each first attempt is put off at least 1 ms, so none is due yet.
    for (let i = 0; i < 8; i++) {
      await createSession(t, { orderId: `o-${i}` });
      made.push(`o-${i}`);
    }
    await send(t);
    assert.equal(rx.received.length, 0, 'each waits its random turn');
    for (let waited = 0; waited <= 2100; waited += 50) {
      t.clock.advance(50);
      await send(t);
    }
    const got = orderIds(rx);
    assert.deepEqual([...got].sort(), [...made].sort(), 'each once');
    // 8 deliveries keep their order by chance once in 40,320 runs.
    assert.notDeepEqual(got, made);
  });

  test('KASSA_MODE=production: chaos cannot be set', async (ctx) => {
    const { t, id } = await setup(ctx, undefined, { KASSA_MODE: 'production' });
    assertError(await patch(t, id, { chaos: { duplicate: 1 } }), 422, 'RequestValidationError');
    assert.equal((await patch(t, id, { chaos: null })).statusCode, 200);
  });
});
