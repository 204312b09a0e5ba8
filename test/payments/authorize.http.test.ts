// engines: sqlite, postgres
// The server's Payments API (docs/payments.md): authorize (authorizeOnCreate: false), adjust-authorization,
// resume, and the async steps and their jobs. Calls carry X-Api-Key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testApp, type TestApp } from '../support/app.ts';
import {
  api,
  assertError,
  CARDS,
  errorPaths,
  idleApp,
  NOT_A_RESUME_TOKEN,
  pay,
  post,
  PROCESSOR,
  read,
  statusEvents,
  UUID,
} from './support.ts';

describe('Payments API', () => {
  // One app for the whole file (each test makes its own payments), and one that does not authorize on create.
  let t: TestApp;
  let idle: TestApp;
  before(async () => {
    t = await testApp();
    idle = await idleApp();
  });
  after(async () => {
    await t.close();
    await idle.close();
  });

  describe('adjust-authorization', () => {
    test('an ESTIMATED authorization: the amount and the SALE amount change, with an AUTHORIZATION_ADJUSTMENT_SUCCEEDED event and no webhook', async () => {
      const { payment } = await pay(t, CARDS.visa, { body: { paymentMethod: { authorizationType: 'ESTIMATED' } } });
      assert.equal(payment.paymentMethod.authorizationType, 'ESTIMATED');
      const before = await statusEvents(t, payment.id);
      const res = await post(t, payment.id, 'adjust-authorization', { amount: 1500, expand: ['transactions.events'] });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.status, 'AUTHORIZED');
      assert.equal(body.amount, 1500);
      assert.equal(body.transactions[0].amount, 1500);
      assert.deepEqual(body.transactions[0].events.at(-1).type, 'AUTHORIZATION_ADJUSTMENT_SUCCEEDED');
      assert.equal(body.transactions[0].events.at(-1).amount, 1500);
      assert.deepEqual(await statusEvents(t, payment.id), before);
      // Capturing follows the new amount.
      assert.equal((await post(t, payment.id, 'capture')).json().processor.amountCaptured, 1500);
    });

    test('an amount below 1: 422', async () => {
      const { payment } = await pay(t, CARDS.visa, { body: { paymentMethod: { authorizationType: 'ESTIMATED' } } });
      assert.deepEqual(errorPaths(await post(t, payment.id, 'adjust-authorization', { amount: 0 })), ['$.amount']);
      assert.deepEqual(errorPaths(await post(t, payment.id, 'adjust-authorization', {})), ['$.amount']);
      assert.equal((await read(t, payment.id)).amount, 1000);
    });
  });

  describe('resume (server)', () => {
    test('the sandbox 3DS helper gives a resume token; resume applies it; AUTH_FAILED declines; a token of another payment is 400 PaymentError', async () => {
      const a = (await pay(t, CARDS.challenge)).payment;
      const b = (await pay(t, CARDS.challenge)).payment;
      assert.equal(a.requiredAction.name, '3DS_AUTHENTICATION');
      const tokenA = (await api(t, 'POST', `/kassa/sandbox/payments/${a.id}/3ds`, { outcome: 'AUTH_SUCCESS' })).json().resumeToken;
      const tokenB = (await api(t, 'POST', `/kassa/sandbox/payments/${b.id}/3ds`, { outcome: 'AUTH_FAILED' })).json().resumeToken;
      assert.match(tokenA, UUID);
      assertError(await post(t, a.id, 'resume', { resumeToken: tokenB }), 400, 'PaymentError');
      assertError(await post(t, a.id, 'resume', { resumeToken: NOT_A_RESUME_TOKEN }), 400, 'PaymentError');
      const resumed = await post(t, a.id, 'resume', { resumeToken: tokenA });
      assert.equal(resumed.statusCode, 200, resumed.body);
      assert.equal(resumed.json().status, 'AUTHORIZED');
      assert.equal(resumed.json().requiredAction, undefined);
      assert.deepEqual(resumed.json().paymentMethod.threeDSecureAuthentication, {
        responseCode: 'AUTH_SUCCESS',
        protocolVersion: '2.2.0',
        challengeIssued: true,
      });
      // Used.
      assertError(await post(t, a.id, 'resume', { resumeToken: tokenA }), 400, 'InvalidPaymentStatus');
      const declined = (await post(t, b.id, 'resume', { resumeToken: tokenB })).json();
      assert.equal(declined.status, 'DECLINED');
      assert.equal(declined.statusReason.code, 'AUTHENTICATION_REQUIRED');
      assert.deepEqual(declined.paymentMethod.threeDSecureAuthentication, {
        responseCode: 'AUTH_FAILED',
        protocolVersion: '2.2.0',
        challengeIssued: true,
        reasonCode: 'CARD_AUTHENTICATION_FAILED',
      });
      assert.deepEqual(await statusEvents(t, a.id), ['PENDING', 'AUTHORIZED']);
    });

    test('the 3DS helper: a payment not awaiting 3DS is 400 InvalidPaymentStatus, an unknown one 400 PaymentError, a bad outcome 422', async () => {
      const { payment } = await pay(t);
      assertError(
        await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/3ds`, { outcome: 'AUTH_SUCCESS' }),
        400,
        'InvalidPaymentStatus',
      );
      assertError(
        await api(t, 'POST', '/kassa/sandbox/payments/pay_0000000000000000/3ds', { outcome: 'AUTH_SUCCESS' }),
        400,
        'PaymentError',
      );
      const paths = errorPaths(await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/3ds`, { outcome: 'MAYBE' }));
      assert.deepEqual([...new Set(paths)], ['$.outcome']);
    });
  });

  describe('async steps and jobs', () => {
    test('an async authorization runs as a job after asyncDelayMs: PENDING, then AUTHORIZED or DECLINED', async () => {
      const ok = (await pay(t, CARDS.asyncAuthorized)).payment;
      const no = (await pay(t, CARDS.asyncDeclined)).payment;
      assert.equal(ok.status, 'PENDING');
      assert.equal(ok.requiredAction, undefined);
      t.clock.advance(1999);
      await t.app.paymentJobs!.runDue();
      assert.equal((await read(t, ok.id)).status, 'PENDING');
      t.clock.advance(1);
      await t.app.paymentJobs!.runDue();
      assert.equal((await read(t, ok.id)).status, 'AUTHORIZED');
      const declined = await read(t, no.id);
      assert.equal(declined.status, 'DECLINED');
      assert.equal(declined.statusReason.code, 'DO_NOT_HONOR');
      assert.deepEqual(await statusEvents(t, ok.id), ['PENDING', 'AUTHORIZED']);
    });

    test('/kassa/sandbox/payments/{id}/advance runs the step now; its job then does nothing', async () => {
      const { payment } = await pay(t, CARDS.asyncAuthorized);
      const advanced = await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/advance`);
      assert.equal(advanced.statusCode, 200, advanced.body);
      assert.equal(advanced.json().status, 'AUTHORIZED');
      t.clock.advance(5000);
      await t.app.paymentJobs!.runDue();
      assert.deepEqual(await statusEvents(t, payment.id), ['PENDING', 'AUTHORIZED']);
      assertError(await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/advance`), 400, 'InvalidPaymentStatus');
      assertError(await api(t, 'POST', '/kassa/sandbox/payments/pay_0000000000000000/advance'), 400, 'PaymentError');
    });

    test('the async-capture card: every capture goes through SETTLING, settled by a job or the advance helper', async () => {
      const { payment } = await pay(t, CARDS.asyncCapture);
      const settling = (await post(t, payment.id, 'capture', { amount: 400, final: false })).json();
      assert.equal(settling.status, 'SETTLING');
      assert.equal(settling.processor.amountCaptured, 400);
      t.clock.advance(2000);
      await t.app.paymentJobs!.runDue();
      assert.equal((await read(t, payment.id)).status, 'PARTIALLY_SETTLED');
      assert.equal((await post(t, payment.id, 'capture')).json().status, 'SETTLING');
      const advanced = (await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/advance`)).json();
      assert.equal(advanced.status, 'SETTLED');
      assert.deepEqual(await statusEvents(t, payment.id), [
        'PENDING',
        'AUTHORIZED',
        'SETTLING',
        'PARTIALLY_SETTLED',
        'SETTLING',
        'SETTLED',
      ]);
    });

    test('an action left open for 1 h makes the payment FAILED (APPLICATION_ERROR)', async () => {
      const { payment } = await pay(t, CARDS.challenge);
      t.clock.advance(60 * 60 * 1000 - 1);
      await t.app.paymentJobs!.runDue();
      assert.equal((await read(t, payment.id)).status, 'PENDING');
      t.clock.advance(1);
      await t.app.paymentJobs!.runDue();
      const failed = await read(t, payment.id);
      assert.equal(failed.status, 'FAILED');
      assert.equal(failed.statusReason.type, 'APPLICATION_ERROR');
      assert.equal(failed.requiredAction, undefined);
      assertError(
        await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/3ds`, { outcome: 'AUTH_SUCCESS' }),
        400,
        'InvalidPaymentStatus',
      );
      assert.deepEqual(await statusEvents(t, payment.id), ['PENDING', 'FAILED']);
    });
  });

  describe('authorize (authorizeOnCreate: false)', () => {
    test('create stops at PENDING (no action); authorize runs the card; the processor must match', async () => {
      const { payment } = await pay(idle);
      assert.equal(payment.status, 'PENDING');
      assert.equal(payment.requiredAction, undefined);
      assert.deepEqual(payment.transactions[0].processorStatus, 'PENDING');
      assert.deepEqual(await statusEvents(idle, payment.id), ['PENDING']);
      assertError(
        await post(idle, payment.id, 'authorize', { processor: { processorMerchantId: 'someone-else' } }),
        400,
        'MerchantAccountNotFound',
      );
      assertError(
        await post(idle, payment.id, 'authorize', { processor: { ...PROCESSOR, name: 'STRIPE' } }),
        400,
        'MerchantAccountNotFound',
      );
      assert.deepEqual(errorPaths(await post(idle, payment.id, 'authorize', {})).length, 1);
      const res = await post(idle, payment.id, 'authorize', { processor: { ...PROCESSOR, name: 'KASSA_SANDBOX' } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().status, 'AUTHORIZED');
      assert.deepEqual(await statusEvents(idle, payment.id), ['PENDING', 'AUTHORIZED']);
    });

    test('authorize follows the card: a decline card declines, a challenge card opens an action', async () => {
      const declined = (await pay(idle, CARDS.decline)).payment;
      assert.equal((await post(idle, declined.id, 'authorize', { processor: PROCESSOR })).json().status, 'DECLINED');
      const challenged = (await pay(idle, CARDS.challenge)).payment;
      const pending = (await post(idle, challenged.id, 'authorize', { processor: PROCESSOR })).json();
      assert.equal(pending.status, 'PENDING');
      assert.equal(pending.requiredAction.name, '3DS_AUTHENTICATION');
    });
  });
});
