// engines: sqlite, postgres
// The server's Payments API (docs/payments.md): create from the
// token's session, read and search, every action and every cell of the status table, the test cards,
// async steps and their jobs, the sandbox helpers, scopes, idempotency, versions, the failed-request
// limit, KASSA_PAYMENTS=off and concurrent calls on one payment. Calls carry X-Api-Key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { defaultCheckoutConfig } from '../../src/checkout/configuration.ts';
import { newClaim, sha256 } from '../../src/lib/ids.ts';
import { SCOPES } from '../../src/merchants/merchants.ts';
import { TEST_CARDS } from '../../src/payments/cards.ts';
import { MAX_REFUNDS } from '../../src/payments/status-machine.ts';
import { MAX_AMOUNT } from '../../src/sessions/schemas.ts';
import { testApp, type TestApp } from '../support/app.ts';
import {
  api,
  assertError,
  CARDS,
  DATE,
  errorPaths,
  ORDER,
  otherMerchant,
  pay,
  type Res,
  scopedKey,
  sdk,
  session,
  tokenFor,
  tokenize,
  UUID,
} from './support.ts';

const PROCESSOR = { processorMerchantId: 'kassa-sandbox' };
const NOT_A_RESUME_TOKEN = '00000000-0000-4000-8000-000000000000';

function idleApp() {
  const checkout = defaultCheckoutConfig('SANDBOX');
  checkout.sandbox = { ...checkout.sandbox, authorizeOnCreate: false };
  return testApp({ checkout });
}

/** The payment's PAYMENT.STATUS events, as statuses in order. */
async function statusEvents(t: TestApp, paymentId: string): Promise<string[]> {
  return (await t.store.payments.events('mer_default', paymentId)).filter((e) => e.type === 'PAYMENT.STATUS').map((e) => e.status);
}

const post = (t: TestApp, paymentId: string, action: string, body: unknown = {}, options: Parameters<typeof api>[4] = {}) =>
  api(t, 'POST', `/payments/${paymentId}/${action}`, body, options);

const read = async (t: TestApp, paymentId: string, query = '') => {
  const res = await api(t, 'GET', `/payments/${paymentId}${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Record<string, any>;
};

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
      const s = await session(t, {
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
      const s = await session(t, {});
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
      const s = await session(t);
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

  describe('the status table', () => {
    type Made = { app: TestApp; id: string; status: string; dateUpdated: string };
    const made = async (app: TestApp, number: string, then?: (id: string) => Promise<unknown>): Promise<Made> => {
      const { payment } = await pay(app, number);
      if (then) await then(payment.id);
      const { status, dateUpdated } = await read(app, payment.id);
      return { app, id: payment.id, status, dateUpdated };
    };
    const STATES: Record<string, () => Promise<Made>> = {
      'PENDING, idle': () => made(idle, CARDS.visa),
      'PENDING, action open': () => made(t, CARDS.challenge),
      'PENDING, async step': () => made(t, CARDS.asyncAuthorized),
      AUTHORIZED: () => made(t, CARDS.visa),
      'PARTIALLY_SETTLED, capturing open': () => made(t, CARDS.visa, (id) => post(t, id, 'capture', { amount: 400, final: false })),
      'PARTIALLY_SETTLED, closed': () => made(t, CARDS.visa, (id) => post(t, id, 'capture', { amount: 400 })),
      SETTLING: () => made(t, CARDS.asyncCapture, (id) => post(t, id, 'capture')),
      SETTLED: () => made(t, CARDS.visa, (id) => post(t, id, 'capture')),
      DECLINED: () => made(t, CARDS.decline),
      FAILED: () => made(t, CARDS.fail),
      CANCELLED: () => made(t, CARDS.visa, (id) => post(t, id, 'cancel')),
    };
    const ACTIONS = ['authorize', 'capture', 'cancel', 'refund', 'resume', 'adjust'] as const;
    type Action = (typeof ACTIONS)[number];
    const VERB: Record<Action, string> = {
      authorize: 'authorized',
      capture: 'captured',
      cancel: 'cancelled',
      refund: 'refunded',
      resume: 'resumed',
      adjust: 'adjusted',
    };
    // An error id, or the status the payment has after a 200; 202 is NoActionsToHandle.
    const IPS = 'InvalidPaymentStatus';
    const PAA = 'PaymentAlreadyAuthorized';
    const NAY = 'PaymentIsNotAuthorizedYet';
    const TABLE: Record<string, Record<Action, string>> = {
      'PENDING, idle': { authorize: '=AUTHORIZED', capture: IPS, cancel: '=CANCELLED', refund: IPS, resume: IPS, adjust: NAY },
      'PENDING, action open': { authorize: IPS, capture: IPS, cancel: '=CANCELLED', refund: IPS, resume: '=AUTHORIZED', adjust: NAY },
      'PENDING, async step': { authorize: IPS, capture: IPS, cancel: '=CANCELLED', refund: IPS, resume: 'NoActionsToHandle', adjust: NAY },
      AUTHORIZED: {
        authorize: PAA,
        capture: '=SETTLED',
        cancel: '=CANCELLED',
        refund: IPS,
        resume: IPS,
        adjust: 'IncorrectPaymentAuthorizationType',
      },
      'PARTIALLY_SETTLED, capturing open': {
        authorize: PAA,
        capture: '=SETTLED',
        cancel: '=PARTIALLY_SETTLED',
        refund: '=PARTIALLY_SETTLED',
        resume: IPS,
        adjust: NAY,
      },
      'PARTIALLY_SETTLED, closed': { authorize: PAA, capture: IPS, cancel: IPS, refund: '=PARTIALLY_SETTLED', resume: IPS, adjust: NAY },
      SETTLING: { authorize: IPS, capture: IPS, cancel: IPS, refund: IPS, resume: IPS, adjust: NAY },
      SETTLED: { authorize: IPS, capture: IPS, cancel: IPS, refund: '=SETTLED', resume: IPS, adjust: NAY },
      DECLINED: { authorize: IPS, capture: IPS, cancel: IPS, refund: IPS, resume: IPS, adjust: NAY },
      FAILED: { authorize: IPS, capture: IPS, cancel: IPS, refund: IPS, resume: IPS, adjust: NAY },
      CANCELLED: { authorize: IPS, capture: IPS, cancel: IPS, refund: IPS, resume: IPS, adjust: NAY },
    };

    async function run(state: Made, action: Action): Promise<Res> {
      const { app, id } = state;
      switch (action) {
        case 'authorize':
          return post(app, id, 'authorize', { processor: PROCESSOR });
        case 'capture':
          return post(app, id, 'capture');
        case 'cancel':
          return post(app, id, 'cancel');
        case 'refund':
          return post(app, id, 'refund', { amount: 100 });
        case 'resume': {
          // An open action gets the resume token the sandbox helper gives; any other state a well-formed stranger.
          const helper = await api(app, 'POST', `/kassa/sandbox/payments/${id}/3ds`, { outcome: 'AUTH_SUCCESS' });
          const resumeToken = helper.statusCode === 200 ? helper.json().resumeToken : NOT_A_RESUME_TOKEN;
          return post(app, id, 'resume', { resumeToken });
        }
        case 'adjust':
          return post(app, id, 'adjust-authorization', { amount: 1500 });
      }
    }

    for (const [name, row] of Object.entries(TABLE)) {
      test(`${name}: ${ACTIONS.map((a) => `${a} → ${row[a].replace('=', '')}`).join(', ')}`, async () => {
        // Refusals change nothing, so they share one payment; each success gets a payment of its own.
        const shared = await STATES[name]!();
        for (const action of ACTIONS) {
          const expected = row[action];
          const state = expected.startsWith('=') ? await STATES[name]!() : shared;
          const res = await run(state, action);
          const where = `${name} / ${action}: ${res.body}`;
          if (expected.startsWith('=')) {
            assert.equal(res.statusCode, 200, where);
            assert.equal(res.json().status, expected.slice(1), where);
            continue;
          }
          const error = assertError(res, expected === 'NoActionsToHandle' ? 202 : 400, expected);
          assert.equal(error.paymentId, state.id, where);
          assert.equal(error.paymentStatus, state.status, where);
          if (expected === IPS || expected === PAA || expected === NAY) {
            assert.equal(error.description, `A payment with status ${state.status} cannot be ${VERB[action]}.`, where);
          }
        }
        const after = await read(shared.app, shared.id);
        assert.equal(after.status, shared.status, 'the refusals changed nothing');
        assert.equal(after.dateUpdated, shared.dateUpdated);
      });
    }

    test('capture and cancel reach capturing closed: after a cancel of PARTIALLY_SETTLED, capture is refused', async () => {
      const { payment } = await pay(t);
      await post(t, payment.id, 'capture', { amount: 400, final: false });
      const cancelled = (await post(t, payment.id, 'cancel')).json();
      assert.equal(cancelled.status, 'PARTIALLY_SETTLED');
      assert.equal(cancelled.processor.amountCaptured, 400);
      assertError(await post(t, payment.id, 'capture'), 400, 'InvalidPaymentStatus');
    });
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

  describe('test cards', () => {
    const issuer = (declineType: string, code: string, paymentMethodResultCode: string, advisedAction: string) => ({
      status: 'DECLINED',
      reason: { type: 'ISSUER_DECLINED', declineType, code, paymentMethodResultCode, advisedAction },
    });
    const failed = (type: string) => ({ status: 'FAILED', reason: { type } });
    const authorized = { status: 'AUTHORIZED' };
    type Expect = {
      status: string;
      reason?: Record<string, string>;
      threeDS?: string;
      challenge?: boolean;
      async?: boolean;
      cvv?: string;
      captureSettling?: boolean;
      refundFails?: boolean;
    };
    // The test-card table of docs/payments.md, written out by hand: the test fails if cards.ts disagrees.
    const EXPECTED: Record<string, Expect> = {
      '4111111111111111': authorized,
      '4242424242424242': authorized,
      '5252525252525258': authorized,
      '5555555555554444': authorized,
      '4035500000000000': authorized,
      '5132000000000000': authorized,
      '4970000000000008': authorized,
      '378282246310005': authorized,
      '6011111111111117': authorized,
      '4000000000000002': issuer('SOFT_DECLINE', 'DO_NOT_HONOR', '05', 'RETRY_LATER'),
      '5100000000000008': issuer('SOFT_DECLINE', 'DO_NOT_HONOR', '05', 'RETRY_LATER'),
      '4000000000000010': { ...failed('GATEWAY_REJECTED'), threeDS: 'AUTH_SUCCESS' },
      '5100000000000016': failed('GATEWAY_REJECTED'),
      '4000000000009995': issuer('SOFT_DECLINE', 'INSUFFICIENT_FUNDS', '51', 'RETRY_LATER'),
      '4000000000009987': issuer('HARD_DECLINE', 'LOST_OR_STOLEN_CARD', '41', 'DO_NOT_RETRY'),
      '4000000000009979': issuer('HARD_DECLINE', 'LOST_OR_STOLEN_CARD', '43', 'DO_NOT_RETRY'),
      '4000000000000069': issuer('HARD_DECLINE', 'EXPIRED_CARD', '54', 'UPDATE_DATA'),
      '4000000000000127': { ...issuer('SOFT_DECLINE', 'DECLINED', 'N7', 'UPDATE_DATA'), cvv: 'NOT_MATCHED' },
      '4100000000000019': issuer('HARD_DECLINE', 'SUSPECTED_FRAUD', '59', 'DO_NOT_RETRY'),
      '4000000000000119': failed('APPLICATION_ERROR'),
      '4000000000007031': failed('GATEWAY_TIMEOUT'),
      '4000000000007049': issuer('SOFT_DECLINE', 'ISSUER_TEMPORARILY_UNAVAILABLE', '91', 'RETRY_LATER'),
      '4929251897047956': { ...authorized, threeDS: 'AUTH_SUCCESS' },
      '5512459816707531': { ...authorized, threeDS: 'AUTH_SUCCESS' },
      '4716429323842524': { ...issuer('SOFT_DECLINE', 'AUTHENTICATION_REQUIRED', '1A', 'UPDATE_DATA'), threeDS: 'AUTH_FAILED' },
      '4000000000000044': { ...issuer('SOFT_DECLINE', 'AUTHENTICATION_REQUIRED', '1A', 'UPDATE_DATA'), threeDS: 'AUTH_FAILED' },
      '5487971631330522': { ...issuer('SOFT_DECLINE', 'AUTHENTICATION_REQUIRED', '1A', 'UPDATE_DATA'), threeDS: 'AUTH_FAILED' },
      '4916994064252017': { ...authorized, threeDS: 'AUTH_SUCCESS', challenge: true },
      '4000000000000051': { ...authorized, threeDS: 'AUTH_SUCCESS', challenge: true },
      '5306889942833340': { ...authorized, threeDS: 'AUTH_SUCCESS', challenge: true },
      '5267648608924299': { ...authorized, threeDS: 'AUTH_SUCCESS', challenge: true },
      '4000000000007015': {
        ...issuer('SOFT_DECLINE', 'AUTHENTICATION_REQUIRED', '1A', 'UPDATE_DATA'),
        threeDS: 'AUTH_FAILED',
        challenge: true,
      },
      '4000000000007023': {
        ...issuer('SOFT_DECLINE', 'INSUFFICIENT_FUNDS', '51', 'RETRY_LATER'),
        threeDS: 'AUTH_SUCCESS',
        challenge: true,
      },
      '4000000000007007': { ...authorized, async: true },
      '4000000000007056': { ...issuer('SOFT_DECLINE', 'DO_NOT_HONOR', '05', 'RETRY_LATER'), async: true },
      '4000000000007064': { ...authorized, captureSettling: true },
      '4000000000007072': { ...authorized, refundFails: true },
    };

    test('every number of TEST_CARDS is in the docs table, and every one of the table is a test card', () => {
      const numbers = TEST_CARDS.flatMap((row) => row.numbers);
      assert.deepEqual([...numbers].sort(), Object.keys(EXPECTED).sort());
    });

    for (const row of TEST_CARDS) {
      test(`${row.numbers.join(', ')} (${row.source})`, async () => {
        for (const number of row.numbers) {
          const expected = EXPECTED[number]!;
          const s = await tokenFor(t, number);
          let payment = (await api(t, 'POST', '/payments', { paymentMethodToken: s.token })).json();
          if (expected.challenge) {
            assert.equal(payment.status, 'PENDING', number);
            assert.equal(payment.requiredAction.name, '3DS_AUTHENTICATION', number);
            // The SDK's continue applies the card's own challenge result.
            const continued = await sdk(t, s.accessToken, 'POST', `/3ds/${s.token}/continue`, { platform: 'WEB', status: 'FAILURE' });
            payment = (await post(t, payment.id, 'resume', { resumeToken: continued.json().resumeToken })).json();
          }
          if (expected.async) {
            assert.equal(payment.status, 'PENDING', number);
            assert.equal(payment.requiredAction, undefined, number);
            payment = (await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/advance`)).json();
          }
          assert.equal(payment.status, expected.status, `${number}: ${JSON.stringify(payment.statusReason)}`);
          if (expected.reason) {
            for (const [field, value] of Object.entries(expected.reason))
              assert.equal(payment.statusReason[field], value, `${number} ${field}`);
            assert.deepEqual(payment.transactions[0].processorStatusReason, payment.statusReason, number);
            assert.equal(typeof (payment.statusReason.message ?? payment.statusReason.paymentMethodResultMessage), 'string', number);
          } else {
            assert.equal(payment.statusReason, undefined, number);
          }
          const threeDS = payment.paymentMethod.threeDSecureAuthentication;
          assert.equal(threeDS.responseCode, expected.threeDS ?? 'NOT_PERFORMED', number);
          if (expected.threeDS) assert.equal(threeDS.challengeIssued, expected.challenge === true, number);
          assert.equal(payment.riskData.cvvCheck.result, expected.cvv ?? 'MATCHED', number);
          if (expected.status !== 'AUTHORIZED') continue;
          const captured = (await post(t, payment.id, 'capture')).json();
          assert.equal(captured.status, expected.captureSettling ? 'SETTLING' : 'SETTLED', number);
          if (expected.captureSettling) {
            assert.equal((await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/advance`)).json().status, 'SETTLED', number);
          }
          const refunded = (await post(t, payment.id, 'refund', { amount: 100 })).json();
          assert.equal(refunded.transactions.at(-1).status, expected.refundFails ? 'FAILED' : 'SETTLED', number);
          assert.equal(refunded.processor.amountRefunded, expected.refundFails ? 0 : 100, number);
        }
      });
    }

    test('any other Luhn-valid number tokenizes and fails: APPLICATION_ERROR "Not a sandbox test card"', async () => {
      const { payment } = await pay(t, CARDS.other);
      assert.equal(payment.status, 'FAILED');
      assert.deepEqual(payment.statusReason, { type: 'APPLICATION_ERROR', message: 'Not a sandbox test card' });
    });

    test('a vaulted decline card keeps its outcome (merchant-initiated declines)', async () => {
      const s = await tokenFor(t, CARDS.decline);
      const vaulted = (await api(t, 'POST', `/payment-instruments/${s.token}/vault`, { customerId: 'cust-mit-decline' })).json();
      const res = (
        await api(t, 'POST', '/payments', { paymentMethodToken: vaulted.token, orderId: 'mit', currencyCode: 'EUR', amount: 5 })
      ).json();
      assert.equal(res.status, 'DECLINED');
      assert.equal(res.statusReason.code, 'DO_NOT_HONOR');
    });
  });

  describe('GET /payments (search)', () => {
    // A merchant of its own, so that only these payments are listed.
    let key: string;
    const ids: Record<string, string> = {};
    before(async () => {
      key = (await otherMerchant(t)).key;
      // Five payments a minute apart, then a sixth in the same millisecond as the fifth.
      const plan: [string, string, Record<string, unknown>][] = [
        [
          'a',
          CARDS.visa,
          { orderId: 'ord-a', currencyCode: 'EUR', amount: 100, customerId: 'c-1', customer: { emailAddress: 'a@example.com' } },
        ],
        ['b', CARDS.decline, { orderId: 'ord-b', currencyCode: 'USD', amount: 200, customerId: 'c-2' }],
        ['c', CARDS.visaCredit, { orderId: 'ord-c', currencyCode: 'EUR', amount: 300, customerId: 'c-1' }],
        ['d', CARDS.amex, { orderId: 'ord-d', currencyCode: 'GBP', amount: 400 }],
        ['e', CARDS.visa, { orderId: 'ord-e', currencyCode: 'EUR', amount: 500, customerId: 'c-3' }],
        ['f', CARDS.visa, { orderId: 'ord-f', currencyCode: 'EUR', amount: 600 }],
      ];
      for (const [name, number, order] of plan) {
        if (name !== 'f') t.clock.advance(60_000);
        ids[name] = (await pay(t, number, { session: order, key })).payment.id;
      }
      await post(t, ids.c!, 'capture', {}, { key });
    });

    const search = async (query: string) => {
      const res = await api(t, 'GET', `/payments${query}`, undefined, { key });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as { data: Record<string, any>[]; nextCursor?: string; prevCursor?: string };
    };
    const names = (data: Record<string, any>[]) => data.map((p) => Object.entries(ids).find(([, id]) => id === p.id)?.[0] ?? p.id);
    // f and e share a createdAt: ties go by id, descending.
    const newestFirst = () => ['f', 'e'].sort((x, y) => (ids[x]! < ids[y]! ? 1 : -1)).concat(['d', 'c', 'b', 'a']);

    test("the merchant's payments, newest first (ties by id), as PaymentSummary rows; no other merchant's", async () => {
      const { data, nextCursor, prevCursor } = await search('');
      assert.deepEqual(names(data), newestFirst());
      assert.equal(nextCursor, undefined);
      assert.equal(prevCursor, undefined);
      const c = data.find((p) => p.id === ids.c)!;
      assert.deepEqual(c, {
        id: ids.c,
        date: c.date,
        dateUpdated: c.dateUpdated,
        status: 'SETTLED',
        orderId: 'ord-c',
        processor: { name: 'KASSA_SANDBOX', processorMerchantId: 'kassa-sandbox' },
        currencyCode: 'EUR',
        amount: 300,
      });
      // The default merchant sees none of them.
      const mine = (await api(t, 'GET', '/payments?limit=100')).json().data as { id: string }[];
      assert.ok(mine.length > 0);
      assert.ok(!mine.some((p) => Object.values(ids).includes(p.id)));
    });

    test('filters: lists as comma lists or repeats; inclusive dates and amounts', async () => {
      assert.deepEqual(names((await search('?status=DECLINED')).data), ['b']);
      assert.deepEqual(names((await search('?status=SETTLED,DECLINED')).data), ['c', 'b']);
      assert.deepEqual(names((await search('?status=SETTLED&status=DECLINED')).data), ['c', 'b']);
      assert.deepEqual(names((await search('?currency_code=USD,GBP')).data), ['d', 'b']);
      assert.deepEqual(names((await search('?order_id=ord-d')).data), ['d']);
      assert.deepEqual(names((await search('?customer_id=c-1')).data), ['c', 'a']);
      assert.deepEqual(names((await search('?customer_email=a@example.com')).data), ['a']);
      assert.deepEqual(names((await search('?last_4_digits=0005')).data), ['d']);
      assert.deepEqual(names((await search('?min_amount=200&max_amount=400')).data), ['d', 'c', 'b']);
      assert.equal((await search('?processor=KASSA_SANDBOX&merchant_id=kassa-sandbox')).data.length, 6);
      assert.deepEqual((await search('?merchant_id=someone-else')).data, []);
      assert.equal((await search('?payment_method_type=PAYMENT_CARD')).data.length, 6);
      assert.deepEqual((await search('?payment_method_type=PAYPAL')).data, []);
      assert.deepEqual((await search('?paypal_email=a@example.com')).data, []);
      assert.deepEqual((await search('?klarna_email=a@example.com')).data, []);
      // Dates: both ends are inclusive; a date without a zone is UTC.
      const all = (await search('')).data;
      const dateOf = (name: string) => all.find((p) => p.id === ids[name])!.date as string;
      const from = encodeURIComponent(dateOf('b'));
      const to = encodeURIComponent(dateOf('c'));
      assert.deepEqual(names((await search(`?from_date=${from}&to_date=${to}`)).data), ['c', 'b']);
      assert.deepEqual(names((await search(`?to_date=${encodeURIComponent(`${dateOf('a')}Z`)}`)).data), ['a']);
    });

    test('cursors: nextCursor pages on, prevCursor pages back', async () => {
      const order = newestFirst();
      const first = await search('?limit=2');
      assert.deepEqual(names(first.data), order.slice(0, 2));
      assert.equal(first.prevCursor, undefined);
      assert.ok(first.nextCursor);
      const second = await search(`?limit=2&cursor=${first.nextCursor}`);
      assert.deepEqual(names(second.data), order.slice(2, 4));
      assert.ok(second.prevCursor);
      const third = await search(`?limit=2&cursor=${second.nextCursor}`);
      assert.deepEqual(names(third.data), order.slice(4, 6));
      assert.equal(third.nextCursor, undefined);
      const back = await search(`?limit=2&cursor=${third.prevCursor}`);
      assert.deepEqual(names(back.data), order.slice(2, 4));
      const start = await search(`?limit=2&cursor=${back.prevCursor}`);
      assert.deepEqual(names(start.data), order.slice(0, 2));
      assert.equal(start.prevCursor, undefined);
      // One at a time, through the tie and back.
      const forward: string[] = [];
      let page = await search('?limit=1');
      forward.push(...names(page.data));
      while (page.nextCursor) {
        page = await search(`?limit=1&cursor=${page.nextCursor}`);
        forward.push(...names(page.data));
      }
      assert.deepEqual(forward, order);
      const backward: string[] = [...names(page.data)];
      while (page.prevCursor) {
        page = await search(`?limit=1&cursor=${page.prevCursor}`);
        backward.push(...names(page.data));
      }
      assert.deepEqual(backward, [...order].reverse());
      // With a filter.
      const eur = await search('?currency_code=EUR&limit=3');
      assert.deepEqual(names(eur.data), order.filter((n) => ['a', 'c', 'e', 'f'].includes(n)).slice(0, 3));
      assert.deepEqual(names((await search(`?currency_code=EUR&limit=3&cursor=${eur.nextCursor}`)).data), ['a']);
    });

    test('a bad enum, date, integer, limit or cursor: 422 at $.<param>', async () => {
      for (const [query, path] of [
        ['status=DONE', '$.status'],
        ['from_date=yesterday', '$.from_date'],
        ['to_date=2026-13-45', '$.to_date'],
        ['min_amount=-1', '$.min_amount'],
        ['max_amount=ten', '$.max_amount'],
        ['limit=0', '$.limit'],
        ['limit=101', '$.limit'],
        ['limit=1.5', '$.limit'],
        ['cursor=not-a-cursor', '$.cursor'],
        [`cursor=${Buffer.from('{"id":1}').toString('base64url')}`, '$.cursor'],
      ] as const) {
        assert.deepEqual(errorPaths(await api(t, 'GET', `/payments?${query}`)), [path], query);
      }
      assert.equal((await search('?limit=100')).data.length, 6);
      assert.equal((await search('?limit=1')).data.length, 1);
    });
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

  describe('idempotency', () => {
    test('create: a completed key is 409 IdempotencyKeyAlreadyExists with paymentId and paymentStatus, a declined payment included', async () => {
      const first = await pay(t, CARDS.visa, { idempotencyKey: 'create-1' });
      const s = await tokenFor(t);
      const again = await api(t, 'POST', '/payments', { paymentMethodToken: s.token }, { idempotencyKey: 'create-1' });
      const error = assertError(again, 409, 'IdempotencyKeyAlreadyExists');
      assert.equal(error.paymentId, first.payment.id);
      assert.equal(error.paymentStatus, 'AUTHORIZED');
      // The refused request did not use its token.
      assert.equal((await api(t, 'POST', '/payments', { paymentMethodToken: s.token })).json().status, 'AUTHORIZED');
      const declined = await pay(t, CARDS.decline, { idempotencyKey: 'create-declined' });
      const s2 = await tokenFor(t);
      const error2 = assertError(
        await api(t, 'POST', '/payments', { paymentMethodToken: s2.token }, { idempotencyKey: 'create-declined' }),
        409,
        'IdempotencyKeyAlreadyExists',
      );
      assert.equal(error2.paymentId, declined.payment.id);
      assert.equal(error2.paymentStatus, 'DECLINED');
    });

    test('create below 2.3: 400 TransactionRequestIdempotencyKeyAlreadyExists', async () => {
      const first = await pay(t, CARDS.visa, { idempotencyKey: 'create-old', version: '2.2' });
      const s = await tokenFor(t);
      const error = assertError(
        await api(t, 'POST', '/payments', { paymentMethodToken: s.token }, { idempotencyKey: 'create-old', version: '2.2' }),
        400,
        'TransactionRequestIdempotencyKeyAlreadyExists',
      );
      assert.equal(error.paymentId, first.payment.id);
      // From 2.3 the same key is a 409.
      assertError(
        await api(t, 'POST', '/payments', { paymentMethodToken: s.token }, { idempotencyKey: 'create-old', version: '2.3' }),
        409,
        'IdempotencyKeyAlreadyExists',
      );
    });

    test('a 4xx does not use the key up', async () => {
      assertError(
        await api(t, 'POST', '/payments', { paymentMethodToken: 'tok_unknown' }, { idempotencyKey: 'create-retry' }),
        400,
        'PaymentError',
      );
      const s = await session(t, {});
      const { token } = await tokenize(t, s.accessToken);
      assertError(
        await api(t, 'POST', '/payments', { paymentMethodToken: token }, { idempotencyKey: 'create-retry' }),
        422,
        'RequestValidationError',
      );
      const ok = await api(t, 'POST', '/payments', { paymentMethodToken: token, ...ORDER }, { idempotencyKey: 'create-retry' });
      assert.equal(ok.statusCode, 200, ok.body);
      // An action refused by the status machine does not use its key either.
      const { payment } = await pay(t);
      assertError(await post(t, payment.id, 'refund', {}, { idempotencyKey: 'act-retry' }), 400, 'InvalidPaymentStatus');
      await post(t, payment.id, 'capture');
      assert.equal((await post(t, payment.id, 'refund', { amount: 10 }, { idempotencyKey: 'act-retry' })).statusCode, 200);
    });

    test('actions: a completed key is 409 on the same payment and route; it is free on another payment or route', async () => {
      const a = (await pay(t)).payment;
      const b = (await pay(t)).payment;
      assert.equal((await post(t, a.id, 'capture', { amount: 100, final: false }, { idempotencyKey: 'cap-1' })).statusCode, 200);
      const error = assertError(
        await post(t, a.id, 'capture', { amount: 100, final: false }, { idempotencyKey: 'cap-1' }),
        409,
        'IdempotencyKeyAlreadyExists',
      );
      assert.equal(error.paymentId, a.id);
      assert.equal(error.paymentStatus, 'PARTIALLY_SETTLED');
      assert.equal((await read(t, a.id)).processor.amountCaptured, 100, 'the second capture did nothing');
      assert.equal((await post(t, b.id, 'capture', { amount: 100, final: false }, { idempotencyKey: 'cap-1' })).statusCode, 200);
      assert.equal((await post(t, a.id, 'refund', { amount: 50 }, { idempotencyKey: 'cap-1' })).statusCode, 200);
      for (const [action, body] of [
        ['refund', { amount: 10 }],
        ['cancel', {}],
      ] as const) {
        assert.equal((await post(t, a.id, action, body, { idempotencyKey: `k-${action}` })).statusCode, 200);
        assertError(await post(t, a.id, action, body, { idempotencyKey: `k-${action}` }), 409, 'IdempotencyKeyAlreadyExists');
      }
      const estimated = (await pay(t, CARDS.visa, { body: { paymentMethod: { authorizationType: 'ESTIMATED' } } })).payment;
      await post(t, estimated.id, 'adjust-authorization', { amount: 1200 }, { idempotencyKey: 'adj' });
      assertError(
        await post(t, estimated.id, 'adjust-authorization', { amount: 1300 }, { idempotencyKey: 'adj' }),
        409,
        'IdempotencyKeyAlreadyExists',
      );
      assert.equal((await read(t, estimated.id)).amount, 1200);
      const pending = (await pay(idle)).payment;
      await post(idle, pending.id, 'authorize', { processor: PROCESSOR }, { idempotencyKey: 'auth' });
      assertError(
        await post(idle, pending.id, 'authorize', { processor: PROCESSOR }, { idempotencyKey: 'auth' }),
        409,
        'IdempotencyKeyAlreadyExists',
      );
    });

    test('keys are scoped to the merchant and kept 24 h', async () => {
      const first = (await pay(idle, CARDS.visa, { idempotencyKey: 'scoped' })).payment;
      const other = await otherMerchant(idle);
      const theirs = await pay(idle, CARDS.visa, { idempotencyKey: 'scoped', key: other.key });
      assert.notEqual(theirs.payment.id, first.id);
      const s = await tokenFor(idle);
      assertError(
        await api(idle, 'POST', '/payments', { paymentMethodToken: s.token }, { idempotencyKey: 'scoped' }),
        409,
        'IdempotencyKeyAlreadyExists',
      );
      idle.clock.advance(24 * 60 * 60 * 1000 + 1);
      const later = await tokenFor(idle);
      assert.equal(
        (await api(idle, 'POST', '/payments', { paymentMethodToken: later.token }, { idempotencyKey: 'scoped' })).statusCode,
        200,
      );
    });

    test('a key in flight: 409 IdempotencyKeyInFlight', async () => {
      // Another request holds the key, as one still running would.
      await t.store.idempotency.begin({
        merchantId: 'mer_default',
        keyHash: sha256('payments\ncreate\n\nin-flight'),
        requestHash: 'payment-key',
        claim: newClaim(),
        now: t.clock.now,
        expiresAt: t.clock.now + 86_400_000,
        lockedUntil: t.clock.now + 60_000,
      });
      const s = await tokenFor(t);
      assertError(
        await api(t, 'POST', '/payments', { paymentMethodToken: s.token }, { idempotencyKey: 'in-flight' }),
        409,
        'IdempotencyKeyInFlight',
      );
    });

    test('two concurrent creates with one key: one payment, the other refused with 409', async () => {
      const a = await tokenFor(t);
      const b = await tokenFor(t);
      const results = await Promise.all(
        [a.token, b.token].map((token) => api(t, 'POST', '/payments', { paymentMethodToken: token }, { idempotencyKey: 'race' })),
      );
      assert.equal(results.filter((r) => r.statusCode === 200).length, 1, results.map((r) => r.body).join('\n'));
      const refused = results.filter((r) => r.statusCode === 409);
      assert.equal(refused.length, 1);
      assert.ok(['IdempotencyKeyInFlight', 'IdempotencyKeyAlreadyExists'].includes(refused[0]!.json().error.errorId));
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

describe('KASSA_PAYMENTS=off', () => {
  test('every payments route answers 404 NotFound', async (c) => {
    const t = await testApp({ env: { KASSA_PAYMENTS: 'off' } });
    c.after(() => t.close());
    const s = await session(t);
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
