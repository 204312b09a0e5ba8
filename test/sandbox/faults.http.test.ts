// engines: sqlite, postgres
// Sandbox faults (docs/sandbox.md, "Faults"): a merchant's next requests to an operation answered with
// an error, before they are served (nothing written) or after they committed (the answer replaced).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_FAULTS } from '../../src/sandbox/faults/service.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import { api, assertError, CARDS, ORDER, otherMerchant, sdk, card, tokenFor } from '../payments/support.ts';

const fault = (t: TestApp, body: Record<string, unknown>, key?: string) =>
  api(t, 'POST', '/kassa/sandbox/faults', body, key ? { key } : {});
const sessions = async (t: TestApp) => Number((await t.query('SELECT COUNT(*) AS n FROM sessions'))[0]!.n);
const payments = async (t: TestApp) => Number((await t.query('SELECT COUNT(*) AS n FROM payments'))[0]!.n);

describe('sandbox faults', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  test('POST answers 201 with the fault, GET lists it, DELETE removes one or all', async () => {
    const res = await fault(t, { operation: 'POST /payments/{id}/capture', status: 502, times: 2, phase: 'after' });
    assert.equal(res.statusCode, 201, res.body);
    const made = res.json();
    assert.match(made.id, /^flt_/);
    assert.deepEqual(made, {
      id: made.id,
      operation: 'POST /payments/{id}/capture',
      status: 502,
      phase: 'after',
      times: 2,
      timesLeft: 2,
      delayMs: 0,
      createdAt: new Date(t.clock.now).toISOString(),
    });
    const timeout = (await fault(t, { operation: 'GET /client-session', status: 'timeout' })).json();
    assert.equal(timeout.delayMs, 5000, 'a timeout holds 5 s unless told');
    assert.equal(timeout.phase, 'before');
    assert.deepEqual((await api(t, 'GET', '/kassa/sandbox/faults')).json(), { data: [made, timeout] });
    assert.deepEqual((await api(t, 'DELETE', `/kassa/sandbox/faults/${made.id}`)).json(), { id: made.id, deleted: true });
    assertError(await api(t, 'DELETE', `/kassa/sandbox/faults/${made.id}`), 404, 'NotFound');
    assert.deepEqual((await api(t, 'DELETE', '/kassa/sandbox/faults')).json(), { deleted: 1 });
    assert.deepEqual((await api(t, 'GET', '/kassa/sandbox/faults')).json(), { data: [] });
  });

  test('an operation the server does not serve is 400 naming the form; the sandbox controls cannot be faulted', async () => {
    for (const operation of ['POST /nowhere', 'payments', 'PUT /payments', 'POST /kassa/sandbox/faults', 'DELETE /kassa/sandbox/faults']) {
      const error = assertError(await fault(t, { operation, status: 503 }), 400, 'UnknownOperation');
      assert.match(error.description, /"POST \/payments"/);
    }
    // Fastify's spelling of a parameter is taken as the document's.
    const res = await fault(t, { operation: 'post /payments/:id/capture', status: 503 });
    assert.equal(res.json().operation, 'POST /payments/{id}/capture');
    await api(t, 'DELETE', '/kassa/sandbox/faults');
  });

  test('the body is checked: status, times, phase and delayMs out of bounds are 422, and nothing is made', async () => {
    for (const body of [
      { operation: 'POST /payments', status: 404 },
      { operation: 'POST /payments', status: 503, times: 0 },
      { operation: 'POST /payments', status: 503, times: 1001 },
      { operation: 'POST /payments', status: 503, phase: 'during' },
      { operation: 'POST /payments', status: 'timeout', delayMs: 30_001 },
    ]) {
      assertError(await fault(t, body), 422, 'RequestValidationError');
    }
    assert.deepEqual((await api(t, 'GET', '/kassa/sandbox/faults')).json(), { data: [] });
  });

  test(`a merchant has at most ${MAX_FAULTS} faults: one more is 409 and nothing is made`, async () => {
    const { merchantId, key } = await otherMerchant(t);
    for (let i = 0; i < MAX_FAULTS; i++) {
      const made = await t.store.faults.insert(
        {
          id: `flt_bulk${i}`,
          merchantId,
          operation: 'POST /payments',
          status: 503,
          phase: 'before',
          times: 1,
          timesLeft: 1,
          delayMs: 0,
          createdAt: t.clock.now,
        },
        MAX_FAULTS,
      );
      assert.ok(made);
    }
    assertError(await fault(t, { operation: 'POST /payments', status: 503 }, key), 409, 'FaultLimitExceeded');
    assert.equal((await api(t, 'GET', '/kassa/sandbox/faults', undefined, { key })).json().data.length, MAX_FAULTS);
    assert.equal(await t.store.faults.deleteAll(merchantId), MAX_FAULTS);
  });

  test('phase before: the next `times` requests get the fault with Kassa-Fault, and nothing is written; then the operation works', async () => {
    const made = (await fault(t, { operation: 'POST /client-session', status: 503, times: 2 })).json();
    const before = await sessions(t);
    for (let i = 0; i < 2; i++) {
      const res = await api(t, 'POST', '/client-session', ORDER);
      const error = assertError(res, 503, 'ServiceUnavailable');
      assert.equal(res.headers['kassa-fault'], made.id);
      assert.equal(res.headers['retry-after'], '1');
      assert.equal(error.diagnosticsId, res.headers['x-request-id']);
      if (i === 0) assert.equal((await api(t, 'GET', '/kassa/sandbox/faults')).json().data[0].timesLeft, 1);
    }
    assert.equal(await sessions(t), before, 'no session was made');
    assert.deepEqual((await api(t, 'GET', '/kassa/sandbox/faults')).json(), { data: [] }, 'a used-up fault is gone');
    const ok = await api(t, 'POST', '/client-session', ORDER);
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers['kassa-fault'], undefined);
  });

  test('each status answers its errorId in the envelope', async () => {
    const expected = {
      429: 'TooManyRequests',
      500: 'InternalServerError',
      502: 'BadGateway',
      503: 'ServiceUnavailable',
      504: 'GatewayTimeout',
    };
    for (const [status, errorId] of Object.entries(expected)) {
      await fault(t, { operation: 'GET /kassa/webhook-endpoints', status: Number(status) });
      const res = await api(t, 'GET', '/kassa/webhook-endpoints');
      assertError(res, Number(status), errorId);
      assert.equal(res.headers['retry-after'], status === '429' || status === '503' ? '1' : undefined);
    }
  });

  test("only the merchant's own requests get its faults, by API key or by a client token of its sessions", async () => {
    const other = await otherMerchant(t);
    const mine = await tokenFor(t);
    const theirs = await tokenFor(t, CARDS.visa, ORDER, other.key);
    const made = (await fault(t, { operation: 'POST /payment-instruments', status: 500 })).json();
    const tokenize = (accessToken: string) => sdk(t, accessToken, 'POST', '/payment-instruments', { paymentInstrument: card(CARDS.visa) });
    assert.equal((await tokenize(theirs.accessToken)).statusCode, 200, "another merchant's session is not faulted");
    const res = await tokenize(mine.accessToken);
    assertError(res, 500, 'InternalServerError');
    assert.equal(res.headers['kassa-fault'], made.id);
    assert.equal((await tokenize(mine.accessToken)).statusCode, 200);
    // The other merchant cannot see or delete it.
    await fault(t, { operation: 'POST /payment-instruments', status: 500 });
    assert.deepEqual((await api(t, 'GET', '/kassa/sandbox/faults', undefined, { key: other.key })).json(), { data: [] });
    assert.deepEqual((await api(t, 'DELETE', '/kassa/sandbox/faults', undefined, { key: other.key })).json(), { deleted: 0 });
    assert.equal((await api(t, 'DELETE', '/kassa/sandbox/faults')).json().deleted, 1);
  });

  test('phase after on POST /payments: the payment commits, the answer is replaced; the same key then names it, no key makes a second', async () => {
    const { token } = await tokenFor(t);
    const made = (await fault(t, { operation: 'POST /payments', status: 502, phase: 'after' })).json();
    const count = await payments(t);
    const res = await api(t, 'POST', '/payments', { paymentMethodToken: token }, { idempotencyKey: 'pay-1' });
    assertError(res, 502, 'BadGateway');
    assert.equal(res.headers['kassa-fault'], made.id);
    assert.equal(await payments(t), count + 1, 'the payment was made');
    const again = await api(t, 'POST', '/payments', { paymentMethodToken: token }, { idempotencyKey: 'pay-1' });
    const error = assertError(again, 409, 'IdempotencyKeyAlreadyExists');
    const [row] = await t.query('SELECT id FROM payments ORDER BY created_at DESC, id DESC LIMIT 1');
    assert.equal(error.paymentId, row!.id, 'the retry names the committed payment');
    const second = await tokenFor(t);
    assert.equal((await api(t, 'POST', '/payments', { paymentMethodToken: second.token })).statusCode, 200);
    assert.equal(await payments(t), count + 2, 'a retry without a key makes a second');
  });

  test('phase after on POST /client-session: a retry with the same key gets the committed session replayed', async () => {
    await fault(t, { operation: 'POST /client-session', status: 500, phase: 'after' });
    const count = await sessions(t);
    const first = await api(t, 'POST', '/client-session', ORDER, { idempotencyKey: 'cs-1' });
    assertError(first, 500, 'InternalServerError');
    assert.equal(first.headers.etag, undefined);
    assert.equal(await sessions(t), count + 1);
    const replayed = await api(t, 'POST', '/client-session', ORDER, { idempotencyKey: 'cs-1' });
    assert.equal(replayed.statusCode, 200, replayed.body);
    assert.equal(replayed.headers['idempotent-replayed'], 'true');
    assert.equal(await sessions(t), count + 1, 'the retry made nothing');
    const fresh = await api(t, 'POST', '/client-session', ORDER);
    assert.equal(fresh.statusCode, 200);
    assert.equal(await sessions(t), count + 2);
  });

  test('faults are counted by operation, status and phase, never by merchant', async () => {
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /kassa_sandbox_faults_total\{operation="POST \/client-session",status="503",phase="before"\} 2/);
    assert.match(metrics, /kassa_sandbox_faults_total\{operation="POST \/payments",status="502",phase="after"\} 1/);
    assert.doesNotMatch(metrics, /kassa_sandbox_faults_total\{[^}]*mer_/);
  });

  test('a merchant without faults costs no storage read per request', async () => {
    const faults = t.store.faults;
    const calls = { take: 0, operations: 0 };
    const take = faults.take;
    const operations = faults.operations;
    faults.take = (...args) => {
      calls.take++;
      return take(...args);
    };
    faults.operations = () => {
      calls.operations++;
      return operations();
    };
    try {
      await fault(t, { operation: 'POST /client-session', status: 503 }, (await otherMerchant(t)).key);
      for (let i = 0; i < 50; i++) assert.equal((await api(t, 'GET', '/kassa/webhook-endpoints')).statusCode, 200);
      for (let i = 0; i < 5; i++) await createSession(t, ORDER);
      assert.equal(calls.take, 0, 'no fault was looked for');
      // The view is read again at most every 100 ms of real time, whatever the number of requests.
      assert.ok(calls.operations < 20, `${calls.operations} reads of the view`);
    } finally {
      faults.take = take;
      faults.operations = operations;
    }
  });
});
