// engines: sqlite, postgres
// The server's Payments API (docs/payments.md), create and read: POST /payments from the token's
// session, GET /payments/{id}, and unknown fields. Calls carry X-Api-Key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { MAX_AMOUNT } from '../../src/primer/money.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import {
  api,
  assertError,
  CARDS,
  DATE,
  errorPaths,
  idleApp,
  NOT_A_RESUME_TOKEN,
  ORDER,
  otherMerchant,
  pay,
  post,
  PROCESSOR,
  read,
  type Res,
  sdk,
  statusEvents,
  tokenFor,
  tokenize,
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

  describe('POST /payments (create)', () => {
    test('an AUTHORIZED payment in the PaymentAPIResponse shape', async () => {
      const s = await tokenFor(t, CARDS.visa, { ...ORDER, customer: { emailAddress: 'jane@example.com' } });
      const res = await api(t, 'POST', '/payments', { paymentMethodToken: s.token });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.match(body.id, /^pay_[0-9A-Za-z]{16}$/);
      assert.match(body.date, DATE);
      const sale = body.transactions[0];
      assert.match(sale.id, UUID);
      assert.deepEqual(body, {
        id: body.id,
        date: body.date,
        dateUpdated: body.date,
        status: 'AUTHORIZED',
        cardTokenType: 'CARD_PAN',
        orderId: 'ord-1',
        currencyCode: 'EUR',
        amount: 1000,
        customerId: 'cust-1',
        customer: { emailAddress: 'jane@example.com' },
        paymentMethod: {
          paymentMethodToken: s.token,
          isVaulted: false,
          analyticsId: s.tokenized.analyticsId,
          paymentMethodType: 'PAYMENT_CARD',
          paymentMethodData: s.tokenized.paymentInstrumentData,
          threeDSecureAuthentication: { responseCode: 'NOT_PERFORMED' },
          authorizationType: 'FINAL',
        },
        processor: { name: 'KASSA_SANDBOX', processorMerchantId: 'kassa-sandbox', amountCaptured: 0, amountRefunded: 0 },
        transactions: [
          {
            id: sale.id,
            date: body.date,
            amount: 1000,
            currencyCode: 'EUR',
            orderId: 'ord-1',
            transactionType: 'SALE',
            type: 'SALE',
            processorTransactionId: sale.id,
            processorName: 'KASSA_SANDBOX',
            processor: 'KASSA_SANDBOX',
            processorMerchantId: 'kassa-sandbox',
            processorStatus: 'AUTHORIZED',
            status: 'AUTHORIZED',
            cardTokenType: 'CARD_PAN',
          },
        ],
        riskData: { cvvCheck: { source: 'PROCESSOR', result: 'MATCHED' } },
      });
      // PENDING, then AUTHORIZED: one PAYMENT.STATUS per status reached, in order.
      assert.deepEqual(await statusEvents(t, body.id), ['PENDING', 'AUTHORIZED']);
    });

    test('fields sent win; customer, order and paymentMethod merge one level deep; metadata merges by key; the amount follows the merged order', async () => {
      const s = await createSession(t, {
        orderId: 'ord-session',
        currencyCode: 'EUR',
        customerId: 'cust-merge',
        order: { countryCode: 'NL', lineItems: [{ itemId: 'a', amount: 500, quantity: 2 }] },
        customer: { emailAddress: 'jane@example.com', firstName: 'Jane' },
        metadata: { channel: 'web', cart: 3 },
        paymentMethod: { descriptor: 'SESSION DESC', paymentType: 'FIRST_PAYMENT' },
      });
      const { token } = await tokenize(t, s.accessToken, CARDS.visa);
      const res = await api(t, 'POST', '/payments', {
        paymentMethodToken: token,
        orderId: 'ord-request',
        order: { lineItems: [{ itemId: 'b', amount: 300, quantity: 1 }], shipping: { amount: 50 } },
        customer: { lastName: 'Doe', firstName: 'Janet' },
        metadata: { cart: 4, source: 'api' },
        paymentMethod: { descriptor: 'REQUEST DESC' },
      });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.orderId, 'ord-request');
      assert.equal(body.currencyCode, 'EUR');
      assert.equal(body.customerId, 'cust-merge');
      assert.equal(body.amount, 350, 'the session amount rules on the merged order: 300 + shipping 50');
      assert.deepEqual(body.order, { countryCode: 'NL', lineItems: [{ itemId: 'b', amount: 300, quantity: 1 }], shipping: { amount: 50 } });
      assert.deepEqual(body.customer, { emailAddress: 'jane@example.com', firstName: 'Janet', lastName: 'Doe' });
      assert.deepEqual(body.metadata, { channel: 'web', cart: 4, source: 'api' });
      assert.equal(body.paymentMethod.descriptor, 'REQUEST DESC');
      assert.equal(body.paymentMethod.paymentType, 'FIRST_PAYMENT');
      assert.equal(body.transactions[0].amount, 350);
    });

    test('an amount sent wins over the session amount', async () => {
      const { payment } = await pay(t, CARDS.visa, { body: { amount: 777, currencyCode: 'GBP' } });
      assert.equal(payment.amount, 777);
      assert.equal(payment.currencyCode, 'GBP');
    });

    test('amount, currencyCode and orderId missing after the merge: 422 "Missing fields for payment." with one entry per path; the token is not used', async () => {
      const s = await createSession(t, {});
      const { token } = await tokenize(t, s.accessToken, CARDS.visa);
      const res = await api(t, 'POST', '/payments', { paymentMethodToken: token });
      const error = assertError(res, 422, 'RequestValidationError');
      assert.deepEqual(error.validationErrors, [
        {
          model: 'PaymentCreationAPIRequest',
          errors: [
            { path: '$.amount', description: 'Missing fields for payment.' },
            { path: '$.currencyCode', description: 'Missing fields for payment.' },
            { path: '$.orderId', description: 'Missing fields for payment.' },
          ],
        },
      ]);
      assert.deepEqual(errorPaths(await api(t, 'POST', '/payments', { paymentMethodToken: token, amount: 5 })), [
        '$.currencyCode',
        '$.orderId',
      ]);
      const ok = await api(t, 'POST', '/payments', { paymentMethodToken: token, amount: 5, currencyCode: 'USD', orderId: 'late' });
      assert.equal(ok.json().status, 'AUTHORIZED', ok.body);
    });

    test('a total of merged line items past 2^53-1: 422 at $.order, as the session API answers; nothing is written', async () => {
      const s = await tokenFor(t, CARDS.visa, { orderId: 'big', currencyCode: 'EUR' });
      const res = await api(t, 'POST', '/payments', {
        paymentMethodToken: s.token,
        order: { lineItems: [{ amount: 2 ** 52, quantity: 9 }] },
      });
      const error = assertError(res, 422, 'RequestValidationError');
      assert.deepEqual(error.validationErrors, [
        {
          model: 'PaymentCreationAPIRequest',
          errors: [
            {
              path: '$.order',
              description: `The computed amount ${2n ** 52n * 9n} exceeds ${MAX_AMOUNT}, the largest amount Kassa accepts (JavaScript's safe integer range)`,
            },
          ],
        },
      ]);
      const sessionApi = await api(t, 'POST', '/client-session', {
        orderId: 'big',
        order: { lineItems: [{ amount: 2 ** 52, quantity: 9 }] },
      });
      assert.deepEqual(assertError(sessionApi, 422, 'RequestValidationError').validationErrors[0].errors, error.validationErrors[0].errors);
      // A negative line is refused as the session API refuses it.
      const negative = { lineItems: [{ amount: 10, discountAmount: 11 }] };
      assert.deepEqual(errorPaths(await api(t, 'POST', '/payments', { paymentMethodToken: s.token, order: negative })), [
        '$.order.lineItems[0].discountAmount',
      ]);
      assert.equal((await t.store.payments.findToken(s.token))?.usedAt, undefined, 'the token is not used');
    });

    test('property: a payment’s amount from its line items is their exact total when safe, else refused with nothing written', async () => {
      const big = fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 2 ** 48, max: MAX_AMOUNT }));
      const line = fc.record({ amount: big, quantity: fc.integer({ min: 1, max: 16 }), taxAmount: big }, { requiredKeys: ['amount'] });
      await fc.assert(
        fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 4 }), async (lineItems) => {
          const total = lineItems.reduce((sum, li) => sum + BigInt(li.amount) * BigInt(li.quantity ?? 1) + BigInt(li.taxAmount ?? 0), 0n);
          const s = await tokenFor(t, CARDS.visa, { orderId: 'prop', currencyCode: 'EUR' });
          const res = await api(t, 'POST', '/payments', { paymentMethodToken: s.token, order: { lineItems } });
          if (total <= BigInt(MAX_AMOUNT)) {
            assert.equal(res.statusCode, 200, res.body);
            assert.ok(Number.isSafeInteger(res.json().amount));
            assert.equal(BigInt(res.json().amount), total);
          } else {
            assert.deepEqual(errorPaths(res), ['$.order']);
            const stored = (await t.store.payments.findToken(s.token))!;
            assert.equal(stored.usedAt, undefined);
            assert.deepEqual(await t.store.payments.listBySession(stored.merchantId, stored.sessionId!), []);
          }
        }),
        { numRuns: 40 },
      );
    });

    test('any vault option without customerId: 422 at $.customerId', async () => {
      for (const option of ['vaultOnSuccess', 'vaultOn3DS', 'vaultOnAgreement']) {
        const s = await tokenFor(t, CARDS.visa, { orderId: 'o', currencyCode: 'EUR', amount: 100 });
        const res = await api(t, 'POST', '/payments', { paymentMethodToken: s.token, paymentMethod: { [option]: true } });
        assert.deepEqual(errorPaths(res), ['$.customerId'], option);
        // With a customerId sent, it goes through.
        const ok = await api(t, 'POST', '/payments', { paymentMethodToken: s.token, customerId: 'c-v', paymentMethod: { [option]: true } });
        assert.equal(ok.statusCode, 200, ok.body);
      }
    });

    test('an empty metadata key: 400 MetadataContainsEmptyKey', async () => {
      const s = await tokenFor(t);
      assertError(
        await api(t, 'POST', '/payments', { paymentMethodToken: s.token, metadata: { '': 'x' } }),
        400,
        'MetadataContainsEmptyKey',
      );
    });

    test('unknown fields: 422', async () => {
      const s = await tokenFor(t);
      assert.deepEqual(errorPaths(await api(t, 'POST', '/payments', { paymentMethodToken: s.token, surprise: 1 })), ['$.surprise']);
    });

    test('a bad token: unknown, another merchant’s, a used SINGLE_USE, an expired one, a deleted vaulted one: 400 PaymentError', async () => {
      const invalid = async (res: Res) => {
        const error = assertError(res, 400, 'PaymentError');
        assert.equal(error.description, 'The payment method token is invalid.');
      };
      await invalid(await api(t, 'POST', '/payments', { paymentMethodToken: 'tok_000000000000000000000000' }));
      // Another merchant's token, paid with this merchant's key (and the other way round).
      const other = await otherMerchant(t);
      const theirs = await t.app.inject({
        method: 'POST',
        url: '/client-session',
        headers: { 'x-api-key': other.key, 'x-api-version': '2.4', 'content-type': 'application/json' },
        payload: ORDER,
      });
      const theirAccess = JSON.parse(Buffer.from(theirs.json().clientToken.split('.')[1], 'base64url').toString()).accessToken;
      const theirToken = (await tokenize(t, theirAccess, CARDS.visa)).token;
      await invalid(await api(t, 'POST', '/payments', { paymentMethodToken: theirToken }));
      assert.equal((await api(t, 'POST', '/payments', { paymentMethodToken: theirToken }, { key: other.key })).json().status, 'AUTHORIZED');
      // Used.
      const used = await pay(t);
      await invalid(await api(t, 'POST', '/payments', { paymentMethodToken: used.token }));
      // A declined payment uses its token too.
      const declined = await pay(t, CARDS.decline);
      await invalid(await api(t, 'POST', '/payments', { paymentMethodToken: declined.token }));
      // A deleted vaulted token.
      const s = await tokenFor(t);
      const vaulted = (await api(t, 'POST', `/payment-instruments/${s.token}/vault`, { customerId: 'cust-deleted' })).json();
      assert.equal((await api(t, 'DELETE', `/payment-instruments/${vaulted.token}`)).statusCode, 200);
      await invalid(await api(t, 'POST', '/payments', { paymentMethodToken: vaulted.token }));
    });

    test('a SINGLE_USE token expires with its session: 400 PaymentError', async () => {
      const s = await tokenFor(idle);
      idle.clock.advance(24 * 60 * 60 * 1000 + 1);
      const error = assertError(await api(idle, 'POST', '/payments', { paymentMethodToken: s.token }), 400, 'PaymentError');
      assert.equal(error.description, 'The payment method token is invalid.');
    });

    test('a MULTI_USE token pays without a session: the customer comes from the token, the order from the request', async () => {
      const s = await tokenFor(t);
      const vaulted = (await api(t, 'POST', `/payment-instruments/${s.token}/vault`, { customerId: 'cust-mit' })).json();
      const missing = await api(t, 'POST', '/payments', { paymentMethodToken: vaulted.token });
      assert.deepEqual(errorPaths(missing), ['$.amount', '$.currencyCode', '$.orderId']);
      for (const orderId of ['mit-1', 'mit-2']) {
        const res = await api(t, 'POST', '/payments', { paymentMethodToken: vaulted.token, orderId, currencyCode: 'EUR', amount: 250 });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json();
        assert.equal(body.status, 'AUTHORIZED');
        assert.equal(body.customerId, 'cust-mit');
        assert.equal(body.paymentMethod.paymentMethodToken, vaulted.token);
        assert.equal(body.paymentMethod.isVaulted, true);
        assert.equal(body.order, undefined, "nothing from the token's session");
      }
    });

    test('without a CVV the cvvCheck is NOT_PROVIDED', async () => {
      const s = await createSession(t, ORDER);
      const res = await sdk(t, s.accessToken, 'POST', '/payment-instruments', {
        paymentInstrument: { number: CARDS.visa, expirationMonth: '12', expirationYear: '2030' },
      });
      const created = (await api(t, 'POST', '/payments', { paymentMethodToken: res.json().token })).json();
      assert.deepEqual(created.riskData, { cvvCheck: { source: 'PROCESSOR', result: 'NOT_PROVIDED' } });
    });
  });

  describe('GET /payments/{id}', () => {
    test('answers the payment; expand=transactions.events adds the events', async () => {
      const { payment } = await pay(t);
      const got = await read(t, payment.id);
      assert.deepEqual(got, payment);
      const expanded = await read(t, payment.id, '?expand=transactions.events');
      const [event] = expanded.transactions[0].events;
      assert.match(event.id, UUID);
      assert.deepEqual(expanded.transactions[0].events, [
        { id: event.id, date: payment.date, type: 'AUTHORIZATION_SUCCEEDED', amount: 1000 },
      ]);
    });

    test('expand takes transactions.events only: another value is 422 at $.expand, in the query and in a body', async () => {
      const { payment } = await pay(t);
      assert.deepEqual(errorPaths(await api(t, 'GET', `/payments/${payment.id}?expand=transactions`)), ['$.expand']);
      assert.deepEqual(errorPaths(await api(t, 'GET', `/payments/${payment.id}?expand=transactions.events,customer`)), ['$.expand']);
      assert.equal(
        errorPaths(await post(t, payment.id, 'capture', { amount: 1, expand: ['transactions'] }))[0]?.startsWith('$.expand'),
        true,
      );
      assert.equal((await read(t, payment.id)).processor.amountCaptured, 0);
      // Without expand, no events.
      assert.equal((await read(t, payment.id)).transactions[0].events, undefined);
    });

    test('an unknown or another merchant’s payment: 400 PaymentError "The payment could not be found"', async () => {
      const { payment } = await pay(t);
      const other = await otherMerchant(t);
      for (const res of [
        await api(t, 'GET', '/payments/pay_0000000000000000'),
        await api(t, 'GET', `/payments/${payment.id}`, undefined, { key: other.key }),
      ]) {
        const error = assertError(res, 400, 'PaymentError');
        assert.equal(error.description, 'The payment could not be found');
      }
      // Nor can the other merchant act on it: it answers as an unknown payment.
      assertError(await post(t, payment.id, 'capture', {}, { key: other.key }), 400, 'PaymentError');
      assertError(await post(t, payment.id, 'cancel', {}, { key: other.key }), 400, 'PaymentError');
      assertError(await post(t, payment.id, 'refund', {}, { key: other.key }), 400, 'PaymentError');
      assertError(await post(t, payment.id, 'resume', { resumeToken: NOT_A_RESUME_TOKEN }, { key: other.key }), 400, 'PaymentError');
      assertError(await post(t, payment.id, 'authorize', { processor: PROCESSOR }, { key: other.key }), 404, 'PaymentNotFoundError');
      assertError(await post(t, payment.id, 'adjust-authorization', { amount: 5 }, { key: other.key }), 404, 'EntityNotFound');
      assert.equal((await read(t, payment.id)).status, 'AUTHORIZED');
    });

    test('an unknown payment for each action: capture, cancel, refund, resume 400 PaymentError; authorize 404 PaymentNotFoundError; adjust 404 EntityNotFound', async () => {
      const id = 'pay_0000000000000000';
      assertError(await post(t, id, 'capture'), 400, 'PaymentError');
      assertError(await post(t, id, 'cancel'), 400, 'PaymentError');
      assertError(await post(t, id, 'refund'), 400, 'PaymentError');
      assertError(await post(t, id, 'resume', { resumeToken: NOT_A_RESUME_TOKEN }), 400, 'PaymentError');
      assertError(await post(t, id, 'authorize', { processor: PROCESSOR }), 404, 'PaymentNotFoundError');
      assertError(await post(t, id, 'adjust-authorization', { amount: 5 }), 404, 'EntityNotFound');
    });
  });

  describe('unknown fields', () => {
    test('422 on capture, cancel, refund and resume; ignored on authorize and adjust', async () => {
      const { payment } = await pay(t);
      assert.deepEqual(errorPaths(await post(t, payment.id, 'capture', { amount: 1, extra: 1 })), ['$.extra']);
      assert.deepEqual(errorPaths(await post(t, payment.id, 'cancel', { extra: 1 })), ['$.extra']);
      assert.deepEqual(errorPaths(await post(t, payment.id, 'refund', { extra: 1 })), ['$.extra']);
      assert.deepEqual(errorPaths(await post(t, payment.id, 'resume', { resumeToken: NOT_A_RESUME_TOKEN, extra: 1 })), ['$.extra']);
      // Ignored: the status machine answers, not the schema.
      assertError(
        await post(t, payment.id, 'authorize', { processor: { ...PROCESSOR, extra: 1 }, extra: 1 }),
        400,
        'PaymentAlreadyAuthorized',
      );
      assertError(await post(t, payment.id, 'adjust-authorization', { amount: 5, extra: 1 }), 400, 'IncorrectPaymentAuthorizationType');
    });
  });
});
