// engines: sqlite, postgres
// The server's Payments API (docs/payments.md): capture, cancel and refund, captureMode AUTOMATIC, and
// concurrent calls on one payment. Calls carry X-Api-Key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultCheckoutConfig } from '../../src/checkout/configuration.ts';
import { MAX_REFUNDS } from '../../src/payments/status-machine.ts';
import { testApp, type TestApp } from '../support/app.ts';
import {
  api,
  assertError,
  CARDS,
  errorPaths,
  NOT_A_RESUME_TOKEN,
  ORDER,
  pay,
  post,
  read,
  sdk,
  statusEvents,
  tokenFor,
  UUID,
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

  describe('capture', () => {
    test('partial then final: PARTIALLY_SETTLED, then SETTLED; each capture is a CAPTURE_SUCCEEDED event with amount and final', async () => {
      const { payment } = await pay(t);
      const first = (await post(t, payment.id, 'capture', { amount: 400, final: false })).json();
      assert.equal(first.status, 'PARTIALLY_SETTLED');
      assert.deepEqual(first.processor, {
        name: 'KASSA_SANDBOX',
        processorMerchantId: 'kassa-sandbox',
        amountCaptured: 400,
        amountRefunded: 0,
      });
      assert.equal(first.transactions[0].processorStatus, 'PARTIALLY_SETTLED');
      assert.equal(first.transactions[0].amount, 1000, 'the SALE amount is the authorized amount');
      const second = (await post(t, payment.id, 'capture', { amount: 600, final: false, expand: ['transactions.events'] })).json();
      assert.equal(second.status, 'SETTLED');
      assert.equal(second.processor.amountCaptured, 1000);
      const captures = second.transactions[0].events.filter((e: any) => e.type === 'CAPTURE_SUCCEEDED');
      assert.deepEqual(
        captures.map((e: any) => [e.amount, e.final]),
        [
          [400, false],
          [600, true],
        ],
      );
      assert.deepEqual(await statusEvents(t, payment.id), ['PENDING', 'AUTHORIZED', 'PARTIALLY_SETTLED', 'SETTLED']);
    });

    test('the amount defaults to what is left; final defaults to true and closes capturing', async () => {
      const { payment } = await pay(t);
      const partial = (await post(t, payment.id, 'capture', { amount: 300, expand: ['transactions.events'] })).json();
      assert.equal(partial.status, 'PARTIALLY_SETTLED');
      assert.equal(partial.transactions[0].events.at(-1).final, true);
      assertError(await post(t, payment.id, 'capture'), 400, 'InvalidPaymentStatus');

      const other = (await pay(t)).payment;
      await post(t, other.id, 'capture', { amount: 300, final: false });
      const rest = (await post(t, other.id, 'capture')).json();
      assert.equal(rest.status, 'SETTLED');
      assert.equal(rest.processor.amountCaptured, 1000);
    });

    test('an amount outside 1..left: 422 at $.amount', async () => {
      const { payment } = await pay(t);
      assert.deepEqual(errorPaths(await post(t, payment.id, 'capture', { amount: 0 })), ['$.amount']);
      assert.deepEqual(errorPaths(await post(t, payment.id, 'capture', { amount: 1001 })), ['$.amount']);
      assert.deepEqual(errorPaths(await post(t, payment.id, 'capture', { amount: -5 })), ['$.amount']);
      await post(t, payment.id, 'capture', { amount: 900, final: false });
      assert.deepEqual(errorPaths(await post(t, payment.id, 'capture', { amount: 101 })), ['$.amount']);
      assert.equal((await post(t, payment.id, 'capture', { amount: 100 })).json().status, 'SETTLED');
    });

    test('metadata merges by key; order.retailerCountryCode sets the country', async () => {
      const { payment } = await pay(t, CARDS.visa, { session: { ...ORDER, metadata: { a: 'one', b: 2 }, order: { countryCode: 'NL' } } });
      const captured = (
        await post(t, payment.id, 'capture', { metadata: { b: 3, c: 'new' }, order: { retailerCountryCode: 'DE' } })
      ).json();
      assert.deepEqual(captured.metadata, { a: 'one', b: 3, c: 'new' });
      assert.deepEqual(captured.order, { countryCode: 'NL', retailerCountryCode: 'DE' });
      assert.deepEqual((await read(t, payment.id)).metadata, { a: 'one', b: 3, c: 'new' });
      assert.deepEqual(errorPaths(await post(t, payment.id, 'capture', { order: { retailerCountryCode: 'XX' } })).length, 1);
    });
  });

  describe('cancel', () => {
    test('AUTHORIZED becomes CANCELLED; the reason goes on the SALE transaction with a CANCELLATION_SUCCEEDED event', async () => {
      const { payment } = await pay(t);
      const res = await post(t, payment.id, 'cancel', { reason: 'customer changed their mind', expand: ['transactions.events'] });
      const body = res.json();
      assert.equal(body.status, 'CANCELLED');
      assert.equal(body.transactions[0].reason, 'customer changed their mind');
      assert.equal(body.transactions[0].processorStatus, 'CANCELLED');
      assert.deepEqual(
        body.transactions[0].events.map((e: any) => e.type),
        ['AUTHORIZATION_SUCCEEDED', 'CANCELLATION_SUCCEEDED'],
      );
      assert.equal(body.statusReason, undefined, 'statusReason is only for DECLINED and FAILED');
    });

    test('cancelling a payment awaiting 3DS drops its action; cancelling an async one drops its step', async () => {
      const challenged = (await pay(t, CARDS.challenge)).payment;
      const { resumeToken } = (await api(t, 'POST', `/kassa/sandbox/payments/${challenged.id}/3ds`, { outcome: 'AUTH_SUCCESS' })).json();
      const cancelled = (await post(t, challenged.id, 'cancel')).json();
      assert.equal(cancelled.status, 'CANCELLED');
      assert.equal(cancelled.requiredAction, undefined);
      assertError(await post(t, challenged.id, 'resume', { resumeToken }), 400, 'InvalidPaymentStatus');

      const async = (await pay(t, CARDS.asyncAuthorized)).payment;
      assert.equal((await post(t, async.id, 'cancel')).json().status, 'CANCELLED');
      t.clock.advance(5000);
      await t.app.paymentJobs!.runDue();
      assert.equal((await read(t, async.id)).status, 'CANCELLED');
      assertError(await api(t, 'POST', `/kassa/sandbox/payments/${async.id}/advance`), 400, 'InvalidPaymentStatus');
    });
  });

  describe('refund', () => {
    const settled = async (number: string = CARDS.visa) => {
      const { payment } = await pay(t, number);
      const captured = await post(t, payment.id, 'capture');
      assert.equal(captured.json().status, 'SETTLED', captured.body);
      return payment.id as string;
    };

    test('partial refunds, several, each a REFUND transaction; status unchanged; then 409 PaymentAlreadyRefunded', async () => {
      const id = await settled();
      const first = (await post(t, id, 'refund', { amount: 300, reason: 'damaged' })).json();
      assert.equal(first.status, 'SETTLED');
      assert.equal(first.processor.amountRefunded, 300);
      const refund = first.transactions[1];
      assert.match(refund.id, UUID);
      assert.deepEqual(
        { ...refund, id: undefined, processorTransactionId: undefined },
        {
          id: undefined,
          date: first.dateUpdated,
          amount: 300,
          currencyCode: 'EUR',
          orderId: 'ord-1',
          transactionType: 'REFUND',
          type: 'REFUND',
          processorTransactionId: undefined,
          processorName: 'KASSA_SANDBOX',
          processor: 'KASSA_SANDBOX',
          processorMerchantId: 'kassa-sandbox',
          processorStatus: 'SETTLED',
          status: 'SETTLED',
          cardTokenType: 'CARD_PAN',
          reason: 'damaged',
        },
      );
      const second = (await post(t, id, 'refund', { amount: 200, orderId: 'refund-ord' })).json();
      assert.equal(second.processor.amountRefunded, 500);
      assert.equal(second.transactions[2].orderId, 'refund-ord');
      // The default is all that is left.
      const rest = (await post(t, id, 'refund')).json();
      assert.equal(rest.processor.amountRefunded, 1000);
      assert.equal(rest.transactions[3].amount, 500);
      assert.equal(rest.status, 'SETTLED');
      const error = assertError(await post(t, id, 'refund', { amount: 1 }), 409, 'PaymentAlreadyRefunded');
      assert.equal(error.paymentId, id);
      // Its status allows refunds: the answer says what is missing, an amount left to refund.
      assert.match(error.description, /^Nothing is left to refund/);
      assert.doesNotMatch(error.description, /status SETTLED/);
      const refunds = (await t.store.payments.events('mer_default', id)).filter((e) => e.type === 'PAYMENT.REFUND');
      assert.equal(refunds.length, 3);
    });

    test('above the limit: 422 UnprocessableRefundAmount naming the amount and the limit; below 1: 422 at $.amount', async () => {
      const id = await settled();
      await post(t, id, 'refund', { amount: 400 });
      const error = assertError(await post(t, id, 'refund', { amount: 700 }), 422, 'UnprocessableRefundAmount');
      assert.match(
        error.description,
        /^Cannot refund this payment with the amount 700\. The refund amount must be less than or equal to .*\(600\)\.$/,
      );
      assert.deepEqual(errorPaths(await post(t, id, 'refund', { amount: 0 })), ['$.amount']);
      assert.equal((await read(t, id)).processor.amountRefunded, 400);
    });

    test('refunds from PARTIALLY_SETTLED are limited by what was captured', async () => {
      const { payment } = await pay(t);
      await post(t, payment.id, 'capture', { amount: 400, final: false });
      const error = assertError(await post(t, payment.id, 'refund', { amount: 401 }), 422, 'UnprocessableRefundAmount');
      assert.match(error.description, /\(400\)\.$/);
      const ok = (await post(t, payment.id, 'refund')).json();
      assert.equal(ok.status, 'PARTIALLY_SETTLED');
      assert.equal(ok.processor.amountRefunded, 400);
      // Capturing is still open, and a new capture can be refunded.
      assert.equal((await post(t, payment.id, 'capture', { amount: 100, final: false })).json().processor.amountCaptured, 500);
      assert.equal((await post(t, payment.id, 'refund')).json().processor.amountRefunded, 500);
    });

    test('transactionEventId: against one capture, which sets limit and default; another event is 422 at $.transactionEventId', async () => {
      const { payment } = await pay(t);
      await post(t, payment.id, 'capture', { amount: 300, final: false });
      const events = (await post(t, payment.id, 'capture', { amount: 700, expand: ['transactions.events'] })).json().transactions[0].events;
      const [auth, first, second] = events;
      assert.deepEqual([auth.type, first.type, second.type], ['AUTHORIZATION_SUCCEEDED', 'CAPTURE_SUCCEEDED', 'CAPTURE_SUCCEEDED']);
      const error = assertError(
        await post(t, payment.id, 'refund', { amount: 301, transactionEventId: first.id }),
        422,
        'UnprocessableRefundAmount',
      );
      assert.match(error.description, /\(300\)\.$/);
      const byDefault = (await post(t, payment.id, 'refund', { transactionEventId: first.id })).json();
      assert.equal(byDefault.transactions.at(-1).amount, 300);
      assertError(await post(t, payment.id, 'refund', { transactionEventId: first.id }), 409, 'PaymentAlreadyRefunded');
      assert.deepEqual(errorPaths(await post(t, payment.id, 'refund', { transactionEventId: auth.id })), ['$.transactionEventId']);
      assert.deepEqual(errorPaths(await post(t, payment.id, 'refund', { transactionEventId: NOT_A_RESUME_TOKEN })), [
        '$.transactionEventId',
      ]);
      // The second capture is untouched by the first's refund.
      const rest = (await post(t, payment.id, 'refund', { transactionEventId: second.id })).json();
      assert.equal(rest.transactions.at(-1).amount, 700);
      assert.equal(rest.processor.amountRefunded, 1000);
    });

    test(`a payment takes at most ${MAX_REFUNDS} refunds (failed ones count): the next is 409 RefundLimitExceeded and changes nothing`, async () => {
      const id = await settled(CARDS.refundFails);
      for (let i = 0; i < MAX_REFUNDS; i++) assert.equal((await post(t, id, 'refund', { amount: 1 })).statusCode, 200);
      const error = assertError(await post(t, id, 'refund', { amount: 1 }), 409, 'RefundLimitExceeded');
      assert.equal(error.paymentId, id);
      assert.match(error.description, new RegExp(`at most ${MAX_REFUNDS} refunds`));
      assert.equal((await read(t, id)).transactions.length, 1 + MAX_REFUNDS);
      const refunds = (await t.store.payments.events('mer_default', id)).filter((e) => e.type === 'PAYMENT.REFUND');
      assert.equal(refunds.length, MAX_REFUNDS);
    });

    test('the refund-fail card: the REFUND ends FAILED and nothing is refunded', async () => {
      const id = await settled(CARDS.refundFails);
      const body = (await post(t, id, 'refund', { amount: 100 })).json();
      assert.equal(body.status, 'SETTLED');
      assert.equal(body.processor.amountRefunded, 0);
      assert.equal(body.transactions[1].status, 'FAILED');
      assert.equal(body.transactions[1].processorStatusReason.type, 'APPLICATION_ERROR');
      const refunds = (await t.store.payments.events('mer_default', id)).filter((e) => e.type === 'PAYMENT.REFUND');
      assert.equal(refunds.length, 1);
    });
  });

  describe('concurrent calls on one payment', () => {
    test('concurrent creates with one SINGLE_USE token make one payment; concurrent resumes with one resume token resume once', async () => {
      const s = await tokenFor(t);
      const creates = await Promise.all(Array.from({ length: 8 }, () => api(t, 'POST', '/payments', { paymentMethodToken: s.token })));
      assert.equal(creates.filter((r) => r.statusCode === 200).length, 1, creates.map((r) => r.body).join('\n'));
      for (const r of creates.filter((r) => r.statusCode !== 200)) assertError(r, 400, 'PaymentError');
      const challenged = (await pay(t, CARDS.challenge)).payment;
      const { resumeToken } = (await api(t, 'POST', `/kassa/sandbox/payments/${challenged.id}/3ds`, { outcome: 'AUTH_SUCCESS' })).json();
      const resumes = await Promise.all(Array.from({ length: 6 }, () => post(t, challenged.id, 'resume', { resumeToken })));
      assert.equal(resumes.filter((r) => r.statusCode === 200).length, 1, resumes.map((r) => r.body).join('\n'));
      for (const r of resumes.filter((r) => r.statusCode !== 200)) assertError(r, 400, 'InvalidPaymentStatus');
      assert.deepEqual(await statusEvents(t, challenged.id), ['PENDING', 'AUTHORIZED']);
    });

    test('many concurrent captures and refunds never over-capture or over-refund', async () => {
      const { payment } = await pay(t);
      const captures = await Promise.all(Array.from({ length: 16 }, () => post(t, payment.id, 'capture', { amount: 100, final: false })));
      assert.equal(captures.filter((r) => r.statusCode === 200).length, 10, captures.map((r) => r.body).join('\n'));
      for (const r of captures.filter((r) => r.statusCode !== 200)) assert.equal(r.json().error.errorId, 'InvalidPaymentStatus', r.body);
      let state = await read(t, payment.id, '?expand=transactions.events');
      assert.equal(state.status, 'SETTLED');
      assert.equal(state.processor.amountCaptured, 1000);
      assert.equal(state.transactions[0].events.filter((e: any) => e.type === 'CAPTURE_SUCCEEDED').length, 10);

      const refunds = await Promise.all(Array.from({ length: 16 }, () => post(t, payment.id, 'refund', { amount: 150 })));
      assert.equal(refunds.filter((r) => r.statusCode === 200).length, 6, refunds.map((r) => r.body).join('\n'));
      for (const r of refunds.filter((r) => r.statusCode !== 200))
        assert.equal(r.json().error.errorId, 'UnprocessableRefundAmount', r.body);
      state = await read(t, payment.id);
      assert.equal(state.processor.amountRefunded, 900);
      assert.equal(state.transactions.filter((tx: any) => tx.type === 'REFUND').length, 6);
      const rest = await Promise.all(Array.from({ length: 4 }, () => post(t, payment.id, 'refund')));
      assert.equal(rest.filter((r) => r.statusCode === 200).length, 1);
      for (const r of rest.filter((r) => r.statusCode !== 200)) assert.equal(r.json().error.errorId, 'PaymentAlreadyRefunded', r.body);
      assert.equal((await read(t, payment.id)).processor.amountRefunded, 1000);
    });
  });
});

describe('captureMode AUTOMATIC', () => {
  test('an AUTHORIZED payment is captured in full at once; the async-capture card goes through SETTLING; the SDK sees SUCCESS', async (c) => {
    const checkout = defaultCheckoutConfig('SANDBOX');
    checkout.sandbox = { ...checkout.sandbox, captureMode: 'AUTOMATIC' };
    const t = await testApp({ checkout });
    c.after(() => t.close());
    const { payment } = await pay(t);
    assert.equal(payment.status, 'SETTLED');
    assert.equal(payment.processor.amountCaptured, 1000);
    assert.deepEqual(await statusEvents(t, payment.id), ['PENDING', 'AUTHORIZED', 'SETTLED']);
    const settling = (await pay(t, CARDS.asyncCapture)).payment;
    assert.equal(settling.status, 'SETTLING');
    t.clock.advance(2000);
    await t.app.paymentJobs!.runDue();
    assert.equal((await read(t, settling.id)).status, 'SETTLED');
    for (const number of [CARDS.visa, CARDS.asyncCapture]) {
      const s = await tokenFor(t, number);
      assert.equal((await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token })).json().status, 'SUCCESS', number);
    }
    // A decline is not captured.
    assert.equal((await pay(t, CARDS.decline)).payment.processor.amountCaptured, 0);
  });
});
