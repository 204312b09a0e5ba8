// engines: sqlite, postgres
// The server's Payments API (docs/payments.md): scopes, API versions, the failed-request limit and
// KASSA_PAYMENTS=off. Calls carry X-Api-Key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SCOPES } from '../../src/merchants/merchants.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import {
  api,
  assertError,
  CARDS,
  errorPaths,
  NOT_A_RESUME_TOKEN,
  ORDER,
  pay,
  post,
  PROCESSOR,
  read,
  type Res,
  scopedKey,
  sdk,
  tokenFor,
} from './support.ts';

describe('Payments API', () => {
  // One app for the whole file (each test makes its own payments).
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(async () => {
    await t.close();
  });

  describe('scopes', () => {
    test('each route needs its scope: a key without it gets 403 Forbidden, a key with it does not', async () => {
      const { payment, token } = await pay(t);
      const routes: [string, () => [method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown]][] = [
        ['transactions:authorize', () => ['POST', '/payments', { paymentMethodToken: token }]],
        ['transactions:authorize', () => ['POST', `/payments/${payment.id}/authorize`, { processor: PROCESSOR }]],
        ['transactions:authorize', () => ['POST', `/payments/${payment.id}/resume`, { resumeToken: NOT_A_RESUME_TOKEN }]],
        ['transactions:authorize', () => ['POST', `/payments/${payment.id}/adjust-authorization`, { amount: 5 }]],
        ['transactions:authorize', () => ['POST', `/kassa/sandbox/payments/${payment.id}/advance`]],
        ['transactions:capture', () => ['POST', `/payments/${payment.id}/capture`, { amount: 1, final: false }]],
        ['transactions:cancel', () => ['POST', `/payments/${payment.id}/cancel`, {}]],
        ['transactions:refund', () => ['POST', `/payments/${payment.id}/refund`, {}]],
        ['transactions:retrieve', () => ['GET', `/payments/${payment.id}`]],
        ['transactions:retrieve', () => ['GET', '/payments']],
        ['payment_instrument:read', () => ['GET', '/payment-instruments?customer_id=c']],
        ['payment_instrument:write', () => ['POST', `/payment-instruments/${token}/vault`, { customerId: 'c' }]],
        ['payment_instrument:write', () => ['DELETE', '/payment-instruments/tok_unknown']],
        ['payment_instrument:write', () => ['POST', '/payment-instruments/tok_unknown/default']],
      ];
      // Two keys that split the payment scopes between them: for every route one lacks its scope, the other has it.
      const split = ['transactions:capture', 'transactions:cancel', 'transactions:refund', 'payment_instrument:write'];
      const [first, second] = await Promise.all([
        scopedKey(
          t,
          SCOPES.filter((s) => !split.includes(s)),
        ),
        scopedKey(
          t,
          SCOPES.filter((s) => split.includes(s) || (!s.startsWith('transactions:') && !s.startsWith('payment_instrument:'))),
        ),
      ]);
      for (const [scope, route] of routes) {
        const [method, url, body] = route();
        const [without, withIt] = split.includes(scope) ? [first, second] : [second, first];
        const error = assertError(await api(t, method, url, body, { key: without }), 403, 'Forbidden');
        assert.match(error.description, new RegExp(scope), url);
        const allowed = await api(t, method, url, body, { key: withIt });
        assert.notEqual(allowed.statusCode, 403, `${method} ${url} with ${scope}: ${allowed.body}`);
      }
    });
  });

  describe('API versions', () => {
    test('2.4-only fields are 422 naming 2.4 below it', async () => {
      const { payment } = await pay(t);
      const cases: [string, Res][] = [
        ['$.final', await post(t, payment.id, 'capture', { amount: 1, final: false }, { version: '2.3' })],
        ['$.expand', await post(t, payment.id, 'capture', { amount: 1, expand: ['transactions.events'] }, { version: '2.3' })],
        ['$.transactionEventId', await post(t, payment.id, 'refund', { transactionEventId: NOT_A_RESUME_TOKEN }, { version: '2.3' })],
        ['$.expand', await api(t, 'GET', `/payments/${payment.id}?expand=transactions.events`, undefined, { version: '2.3' })],
      ];
      for (const [option, value] of [
        ['vaultOnAgreement', true],
        ['firstPaymentReason', 'CardOnFile'],
      ] as const) {
        const s = await tokenFor(t);
        const res = await api(
          t,
          'POST',
          '/payments',
          { paymentMethodToken: s.token, paymentMethod: { [option]: value } },
          { version: '2.3' },
        );
        cases.push([`$.paymentMethod.${option}`, res]);
      }
      const s = await tokenFor(t);
      cases.push([
        '$.expand',
        await api(t, 'POST', '/payments', { paymentMethodToken: s.token, expand: ['transactions.events'] }, { version: '2.2' }),
      ]);
      for (const [path, res] of cases) {
        assert.deepEqual(errorPaths(res), [path], res.body);
        assert.match(res.body, /2\.4/);
      }
      assert.equal((await read(t, payment.id)).processor.amountCaptured, 0);
      // The 422s used nothing: the token still pays.
      assert.equal((await api(t, 'POST', '/payments', { paymentMethodToken: s.token }, { version: '2.2' })).json().status, 'AUTHORIZED');
    });

    test('GATEWAY_TIMEOUT is shown as APPLICATION_ERROR below 2.4', async () => {
      const { payment } = await pay(t, CARDS.gatewayTimeout);
      assert.equal(payment.statusReason.type, 'GATEWAY_TIMEOUT');
      for (const version of ['2.1', '2.2', '2.3']) {
        const old = (await api(t, 'GET', `/payments/${payment.id}`, undefined, { version })).json();
        assert.equal(old.statusReason.type, 'APPLICATION_ERROR', version);
        assert.equal(old.transactions[0].processorStatusReason.type, 'APPLICATION_ERROR', version);
      }
      const created = (await pay(t, CARDS.gatewayTimeout, { version: '2.3' })).payment;
      assert.equal(created.statusReason.type, 'APPLICATION_ERROR');
      assert.equal((await read(t, created.id)).statusReason.type, 'GATEWAY_TIMEOUT');
    });

    test('paymentType below 2.4: UNSCHEDULED for a MULTI_USE token, else ECOMMERCE; from 2.4 blank unless sent', async () => {
      const single = (await pay(t)).payment;
      assert.equal(single.paymentMethod.paymentType, undefined);
      assert.equal(
        (await api(t, 'GET', `/payments/${single.id}`, undefined, { version: '2.3' })).json().paymentMethod.paymentType,
        'ECOMMERCE',
      );
      const s = await tokenFor(t);
      const vaulted = (await api(t, 'POST', `/payment-instruments/${s.token}/vault`, { customerId: 'cust-ver' })).json();
      const multi = await api(t, 'POST', '/payments', { paymentMethodToken: vaulted.token, ...ORDER }, { version: '2.2' });
      assert.equal(multi.json().paymentMethod.paymentType, 'UNSCHEDULED');
      assert.equal((await read(t, multi.json().id)).paymentMethod.paymentType, undefined);
      const sent = (await pay(t, CARDS.visa, { body: { paymentMethod: { paymentType: 'SUBSCRIPTION' } }, version: '2.3' })).payment;
      assert.equal(sent.paymentMethod.paymentType, 'SUBSCRIPTION');
    });
  });

  describe('the failed-request limit', () => {
    test('100 refused capture, cancel and refund calls, then 409 PaymentRequestLimitExceeded on each, even a valid one', async () => {
      const { payment } = await pay(t);
      const other = (await pay(t)).payment;
      // AUTHORIZED: every refund is refused. 99 refusals leave each call decided on its merits.
      for (let i = 0; i < 99; i++) assertError(await post(t, payment.id, 'refund', { amount: 1 }), 400, 'InvalidPaymentStatus');
      const captured = (await post(t, payment.id, 'capture', { amount: 100, final: false })).json();
      assert.equal(captured.status, 'PARTIALLY_SETTLED');
      // PARTIALLY_SETTLED: a refund above what was captured is refused too, the 100th.
      assertError(await post(t, payment.id, 'refund', { amount: 500 }), 422, 'UnprocessableRefundAmount');
      for (const [action, body] of [
        ['capture', {}],
        ['cancel', {}],
        ['refund', { amount: 1 }],
      ] as const) {
        const error = assertError(await post(t, payment.id, action, body), 409, 'PaymentRequestLimitExceeded');
        assert.equal(error.paymentId, payment.id);
        assert.equal(error.paymentStatus, 'PARTIALLY_SETTLED');
      }
      // The payment is unchanged and reads still work; another payment is not affected.
      assert.equal((await read(t, payment.id)).processor.amountCaptured, 100);
      assert.equal((await post(t, other.id, 'capture')).json().status, 'SETTLED');
    });

    test('capture and cancel refusals count as well', async () => {
      const { payment } = await pay(t, CARDS.decline);
      // 97 refusals already, as if made before.
      await t.query('UPDATE payments SET failed_requests = 97 WHERE id = ?', [payment.id]);
      assertError(await post(t, payment.id, 'capture'), 400, 'InvalidPaymentStatus');
      assertError(await post(t, payment.id, 'cancel'), 400, 'InvalidPaymentStatus');
      assertError(await post(t, payment.id, 'capture'), 400, 'InvalidPaymentStatus');
      assertError(await post(t, payment.id, 'cancel'), 409, 'PaymentRequestLimitExceeded');
    });
  });
});

describe('KASSA_PAYMENTS=off', () => {
  test('every payments route answers 404 NotFound', async (c) => {
    const t = await testApp({ env: { KASSA_PAYMENTS: 'off' } });
    c.after(() => t.close());
    const s = await createSession(t, ORDER);
    const calls: Promise<Res>[] = [
      api(t, 'POST', '/payments', { paymentMethodToken: 'tok_x' }),
      api(t, 'GET', '/payments'),
      api(t, 'GET', '/payments/pay_0000000000000000'),
      ...['authorize', 'capture', 'cancel', 'refund', 'resume', 'adjust-authorization'].map((a) => post(t, 'pay_0000000000000000', a, {})),
      api(t, 'POST', '/payment-instruments/tok_x/vault', { customerId: 'c' }),
      api(t, 'GET', '/payment-instruments?customer_id=c'),
      api(t, 'DELETE', '/payment-instruments/tok_x'),
      api(t, 'POST', '/payment-instruments/tok_x/default'),
      api(t, 'POST', '/kassa/sandbox/payments/pay_0000000000000000/3ds', { outcome: 'AUTH_SUCCESS' }),
      api(t, 'POST', '/kassa/sandbox/payments/pay_0000000000000000/advance'),
      sdk(t, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: { number: CARDS.visa } }),
      sdk(t, s.accessToken, 'GET', '/payment-instruments'),
      sdk(t, s.accessToken, 'DELETE', '/payment-instruments/vpm_x/vault'),
      sdk(t, s.accessToken, 'POST', '/payment-instruments/vpm_x/exchange', {}),
      sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: 'tok_x' }),
      sdk(t, s.accessToken, 'POST', '/payments/pay_x/resume', { resumeToken: NOT_A_RESUME_TOKEN }),
      sdk(t, s.accessToken, 'POST', '/3ds/tok_x/continue', {}),
      sdk(t, s.accessToken, 'POST', '/3ds/tok_x/auth', {}),
      sdk(t, s.accessToken, 'GET', '/v1/bin-data/424242'),
      sdk(t, s.accessToken, 'GET', '/v1/bin-data/424242/networks'),
      t.app.inject({ method: 'GET', url: '/kassa/sandbox/3ds/abc' }),
    ];
    for (const res of await Promise.all(calls)) assertError(res, 404, 'NotFound');
  });
});
