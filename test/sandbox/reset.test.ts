// engines: sqlite, postgres
// POST /kassa/sandbox/reset (docs/sandbox.md, "Reset"): the calling merchant's sessions, payments, tokens,
// events, deliveries and idempotency records go, counted per kind; the merchant, its keys and its
// endpoints stay; another merchant's data is untouched; nothing removed is served afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSession, getSession, testApp, type TestApp } from '../support/app.ts';
import { api, assertError, CARDS, ORDER, otherMerchant, pay, scopedKey } from '../payments/support.ts';

/** Each table a reset empties, and the kind its rows are counted as. */
const TABLES = {
  sessions: 'sessions',
  session_events: 'events',
  payments: 'payments',
  payment_events: 'events',
  payment_tokens: 'tokens',
  webhook_deliveries: 'deliveries',
  idempotency_keys: 'idempotencyRecords',
  paypal_orders: 'paypalOrders',
  sandbox_faults: 'faults',
  sandbox_clocks: 'clocks',
} as const;

describe('POST /kassa/sandbox/reset', () => {
  let t: TestApp;
  let other: { merchantId: string; key: string };

  async function rows(merchantId: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const table of [...Object.keys(TABLES), 'payment_jobs', 'webhook_attempts', 'api_keys', 'webhook_endpoints', 'merchants']) {
      const column = table === 'merchants' ? 'id' : 'merchant_id';
      const [row] = await t.query(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`, [merchantId]);
      out[table] = Number(row!.n);
    }
    return out;
  }
  /** What a reset of the merchant should answer: its rows, by kind. */
  function expected(before: Record<string, number>) {
    const kinds: Record<string, number> = {
      sessions: 0,
      payments: 0,
      tokens: 0,
      events: 0,
      deliveries: 0,
      idempotencyRecords: 0,
      paypalOrders: 0,
      faults: 0,
      clocks: 0,
    };
    for (const [table, kind] of Object.entries(TABLES)) kinds[kind]! += before[table]!;
    return kinds;
  }
  /** A merchant's day of sandbox data: an endpoint, sessions, payments (one waiting on 3DS, one async), a saved card, an idempotent call. */
  async function activity(key: string) {
    const endpoint = await api(
      t,
      'POST',
      '/kassa/webhook-endpoints',
      { url: 'http://127.0.0.1:9/hook', events: ['PAYMENT.STATUS', 'CLIENT_SESSION.CREATED'] },
      { key },
    );
    assert.equal(endpoint.statusCode, 200, endpoint.body);
    const paid = await pay(t, CARDS.visa, { key, idempotencyKey: `pay-${key}` });
    await pay(t, CARDS.challenge, { key });
    await pay(t, CARDS.asyncAuthorized, { key });
    const vaulted = await api(t, 'POST', `/payment-instruments/${paid.token}/vault`, { customerId: 'cust-1' }, { key });
    assert.equal(vaulted.statusCode, 200, vaulted.body);
    await t.app.webhookDispatcher!.runDue();
    const fault = await api(
      t,
      'POST',
      '/kassa/sandbox/faults',
      { operation: 'POST /payments/{id}/capture', status: 503, times: 5, phase: 'before' },
      { key },
    );
    assert.equal(fault.statusCode, 201, fault.body);
    const advanced = await api(t, 'POST', '/kassa/sandbox/clock', { advanceSeconds: 60 }, { key });
    assert.equal(advanced.statusCode, 200, advanced.body);
    return paid;
  }

  before(async () => {
    t = await testApp();
    other = await otherMerchant(t);
  });
  after(() => t.close());

  test("empties the merchant's data, answers the counts per kind, keeps its keys and endpoints, and leaves another merchant's alone", async () => {
    const mine = await activity(t.apiKey);
    await activity(other.key);
    // An advance sends what is due without waiting for it: the snapshots come after that pass and one more.
    await t.app.webhookDispatcher!.runDue();
    const otherBefore = await rows(other.merchantId);
    const before = await rows('mer_default');
    assert.equal((await getSession(t, mine.clientToken)).statusCode, 200, 'the answer is cached');
    for (const table of [
      'sessions',
      'session_events',
      'payments',
      'payment_events',
      'payment_tokens',
      'webhook_deliveries',
      'idempotency_keys',
      'payment_jobs',
      'webhook_attempts',
      'sandbox_faults',
      'sandbox_clocks',
    ])
      assert.ok(before[table]! > 0, `${table} has rows before the reset`);

    const res = await api(t, 'POST', '/kassa/sandbox/reset', {});
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { merchantId: 'mer_default', removed: expected(before) });

    const afterReset = await rows('mer_default');
    for (const table of [...Object.keys(TABLES), 'payment_jobs', 'webhook_attempts']) assert.equal(afterReset[table], 0, table);
    assert.deepEqual(
      { merchants: afterReset.merchants, api_keys: afterReset.api_keys, webhook_endpoints: afterReset.webhook_endpoints },
      { merchants: 1, api_keys: before.api_keys, webhook_endpoints: 1 },
    );
    // The other merchant's undelivered events keep being retried meanwhile: its attempts only grow.
    const otherAfter = await rows(other.merchantId);
    assert.ok(otherAfter.webhook_attempts! >= otherBefore.webhook_attempts!);
    assert.deepEqual({ ...otherAfter, webhook_attempts: 0 }, { ...otherBefore, webhook_attempts: 0 });

    // Nothing removed is served: not the session (its answer was cached), the payment or the saved card.
    assertError(await getSession(t, mine.clientToken), 400, 'ClientSessionValidationError');
    assertError(await api(t, 'GET', `/payments/${mine.payment.id}`), 400, 'PaymentError');
    assert.deepEqual((await api(t, 'GET', '/payment-instruments?customer_id=cust-1')).json(), { data: [] });
    // The idempotency key is free again: the same request makes a new payment.
    const again = await pay(t, CARDS.visa, { idempotencyKey: `pay-${t.apiKey}` });
    assert.notEqual(again.payment.id, mine.payment.id);
    // The clock is the server's again.
    assert.equal((await api(t, 'GET', '/kassa/sandbox/clock')).json().offsetSeconds, 0);
    // The other merchant's payment is still there.
    const theirs = (await api(t, 'GET', '/payments', undefined, { key: other.key })).json() as { data: unknown[] };
    assert.equal(theirs.data.length, 3);
    // The endpoint stays, and still gets new events.
    const endpoints = (await api(t, 'GET', '/kassa/webhook-endpoints')).json() as { data: unknown[] };
    assert.equal(endpoints.data.length, 1);
  });

  test('a second reset removes nothing more', async () => {
    await api(t, 'POST', '/kassa/sandbox/reset', {});
    const res = await api(t, 'POST', '/kassa/sandbox/reset');
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      merchantId: 'mer_default',
      removed: {
        sessions: 0,
        payments: 0,
        tokens: 0,
        events: 0,
        deliveries: 0,
        idempotencyRecords: 0,
        paypalOrders: 0,
        faults: 0,
        clocks: 0,
      },
    });
    await createSession(t, ORDER);
    assert.equal((await rows('mer_default')).sessions, 1, 'the merchant works on after a reset');
  });

  test('needs the sandbox:write scope, and refuses a body with fields', async () => {
    const key = await scopedKey(t, ['client_tokens:write', 'transactions:retrieve']);
    const error = assertError(await api(t, 'POST', '/kassa/sandbox/reset', {}, { key }), 403, 'Forbidden');
    assert.match(error.description, /sandbox:write/);
    assert.equal((await rows('mer_default')).sessions, 1, 'a refused reset removes nothing');
    assertError(await api(t, 'POST', '/kassa/sandbox/reset', { merchantId: other.merchantId }), 422, 'RequestValidationError');
    assert.equal((await rows(other.merchantId)).sessions, 3);
    assertError(await api(t, 'POST', '/kassa/sandbox/reset', {}, { key: 'not-a-key-0123456789abcdef' }), 401, 'Unauthorized');
  });
});
