// engines: sqlite, postgres
// Apple Pay and Google Pay (docs/payments.md, "Apple Pay and Google Pay"; spec §3, §4): each SDK's
// tokenize body (iOS and web Apple Pay, Android camelCase and web snake_case Google Pay, the iOS DEBUG
// mock), the card-like token answer, a payment that answers SUCCESS or FAILED and never an action, the
// outcome chosen by the amount, capture, refund, cancel and their events, idempotency, hostile input,
// web Apple Pay's merchant validation refused with Primer's envelope, and the wallet payload kept out of
// the database and the logs.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import pino from 'pino';
import { loggerOptions } from '../../src/http/observability.ts';
import { WALLET_OUTCOME_AMOUNTS, walletOutcome } from '../../src/payments/methods/wallets.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import { api, assertError, errorPaths, ORDER, post, read, sdk, statusEvents } from './support.ts';

// Secrets the payload carries: none may reach the database or the log.
const APPLE_DATA = 'QXBwbGVQYXlFbmNyeXB0ZWREYXRhU2VjcmV0MDAx';
const APPLE_SIGNATURE = 'QXBwbGVQYXlTaWduYXR1cmVTZWNyZXQwMDI=';
const APPLE_KEY = 'QXBwbGVFcGhlbWVyYWxLZXlTZWNyZXQwMDM=';
const GOOGLE_TOKEN = JSON.stringify({ signature: 'GoogleSignatureSecret004', protocolVersion: 'ECv2', signedMessage: 'GoogleMessage005' });
const GOOGLE_PAYLOAD = Buffer.from(GOOGLE_TOKEN).toString('base64');
const APPLE_TRANSACTION = 'AppleTransactionSecret006';

const paymentData = () => ({
  data: APPLE_DATA,
  signature: APPLE_SIGNATURE,
  version: 'EC_v1',
  header: { ephemeralPublicKey: APPLE_KEY, publicKeyHash: 'aGFzaA==', transactionId: 'abc123' },
});
/** iOS (spec §3.2). */
const iosApplePay = (paymentMethod: Record<string, unknown> = { displayName: 'Visa 0224', network: 'Visa', type: 'debit' }) => ({
  paymentMethodConfigId: 'pmc_apple_pay',
  sourceConfig: { source: 'IN_APP', merchantId: 'merchant.com.example.shop' },
  token: { paymentMethod, transactionIdentifier: APPLE_TRANSACTION, paymentData: paymentData() },
});
/** iOS DEBUG builds with clientSession.testId (spec §3.3): fixed strings. */
const iosMock = () => ({
  paymentMethodConfigId: 'pmc_apple_pay',
  sourceConfig: { source: 'IN_APP', merchantId: 'merchant.com.example.shop' },
  token: {
    paymentMethod: { displayName: 'Simulated Instrument', network: 'Visa', type: 'credit' },
    transactionIdentifier: 'Simulated Identifier',
    paymentData: {
      data: 'apple-pay-payment-response-mock-data',
      signature: 'apple-pay-mock-signature',
      version: 'apple-pay-mock-version',
      header: {
        ephemeralPublicKey: 'apple-pay-mock-ephemeral-key',
        publicKeyHash: 'apple-pay-mock-public-key-hash',
        transactionId: 'apple-pay-mock-transaction-id',
      },
    },
  },
});
/** Web: Safari's ApplePayPaymentToken as is (spec §3.5). */
const webApplePay = () => ({
  paymentMethodConfigId: 'pmc_apple_pay',
  token: {
    paymentData: paymentData(),
    paymentMethod: { displayName: 'MasterCard 4444', network: 'MasterCard', type: 'credit' },
    transactionIdentifier: APPLE_TRANSACTION,
  },
});
/** Android, camelCase (spec §4.2). */
const androidGooglePay = () => ({ merchantId: 'kassa-google-pay', encryptedPayload: GOOGLE_PAYLOAD, flow: 'GATEWAY' });
/** Web, snake_case (spec §4.3). */
const webGooglePay = (network = 'VISA') => ({
  flow: 'GATEWAY',
  network,
  merchant_id: 'kassa-google-pay',
  encrypted_payload: GOOGLE_PAYLOAD,
});

describe('Apple Pay and Google Pay', () => {
  let t: TestApp;
  const lines: string[] = [];
  before(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    t = await testApp({ logger: pino(loggerOptions('trace'), sink) });
  });
  after(() => t.close());

  async function tokenize(instrument: unknown, order: Record<string, unknown> = ORDER, extra: Record<string, unknown> = {}) {
    const s = await createSession(t, order);
    const res = await sdk(t, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: instrument, ...extra });
    return { s, res };
  }

  async function sdkPayment(instrument: unknown, amount = ORDER.amount) {
    const { s, res } = await tokenize(instrument, { ...ORDER, amount });
    assert.equal(res.statusCode, 200, res.body);
    const created = await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: res.json().token });
    assert.equal(created.statusCode, 200, created.body);
    return created.json() as Record<string, any>;
  }

  test("the built-in configuration gives Google Pay the merchantId Android's tokenization spec needs (spec §4.1)", async () => {
    const s = await createSession(t, ORDER);
    const res = await sdk(t, s.accessToken, 'GET', '/client-sdk/configuration');
    assert.equal(res.statusCode, 200, res.body);
    const googlePay = (res.json().paymentMethods as Record<string, any>[]).find((m) => m.type === 'GOOGLE_PAY');
    assert.equal(typeof googlePay?.options?.merchantId, 'string');
    assert.ok(googlePay!.options.merchantId.length > 0);
  });

  test("each SDK's wallet payload tokenizes to an APPLE_PAY or GOOGLE_PAY token with card-like data", async () => {
    for (const [body, type, data] of [
      [iosApplePay(), 'APPLE_PAY', { last4Digits: '0224', network: 'Visa', displayName: 'Visa 0224', accountFundingType: 'DEBIT' }],
      [iosMock(), 'APPLE_PAY', { network: 'Visa', displayName: 'Simulated Instrument', accountFundingType: 'CREDIT' }],
      [
        webApplePay(),
        'APPLE_PAY',
        { last4Digits: '4444', network: 'Mastercard', displayName: 'MasterCard 4444', accountFundingType: 'CREDIT' },
      ],
      [androidGooglePay(), 'GOOGLE_PAY', { network: 'Other' }],
      [webGooglePay(), 'GOOGLE_PAY', { network: 'Visa' }],
      [webGooglePay('AMEX'), 'GOOGLE_PAY', { network: 'American Express' }],
    ] as const) {
      const { res } = await tokenize(body);
      assert.equal(res.statusCode, 200, res.body);
      const token = res.json();
      assert.match(token.token, /^tok_/);
      assert.equal(token.tokenType, 'SINGLE_USE');
      assert.equal(token.isVaulted, false);
      assert.equal(token.paymentInstrumentType, type);
      assert.equal(token.paymentMethodType, type);
      assert.deepEqual(token.paymentInstrumentData, { ...data, isNetworkTokenized: true });
    }
  });

  test('the SDK pays with SUCCESS and no required action; the server shows the wallet without card fields', async () => {
    for (const [body, type] of [
      [iosApplePay(), 'APPLE_PAY'],
      [androidGooglePay(), 'GOOGLE_PAY'],
    ] as const) {
      const payment = await sdkPayment(body);
      assert.equal(payment.status, 'SUCCESS');
      assert.equal(payment.requiredAction, undefined);
      const server = await read(t, payment.id);
      assert.equal(server.status, 'AUTHORIZED');
      assert.equal(server.paymentMethod.paymentMethodType, type);
      // Primer's spec has no wallet schema in paymentMethodData (§3.7): none shown, as for most redirect methods.
      assert.equal(server.paymentMethod.paymentMethodData, undefined);
      assert.equal(server.cardTokenType, undefined);
      assert.equal(server.paymentMethod.threeDSecureAuthentication, undefined);
      assert.equal(server.riskData, undefined);
    }
  });

  test('the amount chooses the outcome: DECLINED with its reason or FAILED, and the SDK gets FAILED, never an action', async () => {
    const expected: [number, string, Record<string, unknown>][] = [
      [2005, 'DECLINED', { type: 'ISSUER_DECLINED', declineType: 'SOFT_DECLINE', code: 'DO_NOT_HONOR' }],
      [2051, 'DECLINED', { type: 'ISSUER_DECLINED', declineType: 'SOFT_DECLINE', code: 'INSUFFICIENT_FUNDS' }],
      [2054, 'DECLINED', { type: 'ISSUER_DECLINED', declineType: 'HARD_DECLINE', code: 'EXPIRED_CARD' }],
      [2059, 'DECLINED', { type: 'ISSUER_DECLINED', declineType: 'HARD_DECLINE', code: 'SUSPECTED_FRAUD' }],
      [2096, 'FAILED', { type: 'GATEWAY_REJECTED' }],
    ];
    assert.deepEqual(expected.map(([amount]) => amount).sort(), Object.keys(WALLET_OUTCOME_AMOUNTS).map(Number).sort());
    for (const [amount, status, reason] of expected) {
      for (const body of [webApplePay(), webGooglePay()]) {
        const payment = await sdkPayment(body, amount);
        assert.equal(payment.status, 'FAILED', `${amount}`);
        assert.equal(payment.requiredAction, undefined);
        const server = await read(t, payment.id);
        assert.equal(server.status, status, `${amount}`);
        for (const [key, value] of Object.entries(reason)) assert.equal(server.statusReason[key], value, `${amount} ${key}`);
        assert.deepEqual(await statusEvents(t, payment.id), ['PENDING', status]);
      }
    }
  });

  test('any other amount authorizes (property, pure)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }).filter((n) => !(n in WALLET_OUTCOME_AMOUNTS)),
        (amount) => walletOutcome(amount).result === 'AUTHORIZED',
      ),
      { numRuns: 200 },
    );
  });

  test('a wallet payment captures, refunds and cancels as a card, with its events; a used idempotency key is refused', async () => {
    const { res } = await tokenize(androidGooglePay());
    const created = await api(t, 'POST', '/payments', { paymentMethodToken: res.json().token }, { idempotencyKey: 'wallet-1' });
    assert.equal(created.statusCode, 200, created.body);
    assertError(
      await api(t, 'POST', '/payments', { paymentMethodToken: res.json().token }, { idempotencyKey: 'wallet-1' }),
      409,
      'IdempotencyKeyAlreadyExists',
    );
    const id = created.json().id;
    assert.equal((await post(t, id, 'capture')).json().status, 'SETTLED');
    const refunded = await post(t, id, 'refund', { amount: 100 });
    assert.equal(refunded.statusCode, 200, refunded.body);
    assert.deepEqual(await statusEvents(t, id), ['PENDING', 'AUTHORIZED', 'SETTLED']);
    const other = await sdkPayment(iosApplePay());
    const cancelled = await post(t, other.id, 'cancel');
    assert.equal(cancelled.json().status, 'CANCELLED', cancelled.body);
    assert.deepEqual(await statusEvents(t, other.id), ['PENDING', 'AUTHORIZED', 'CANCELLED']);
  });

  test('hostile or wrong wallet payloads are 422 at their paths, never a 5xx, and make no token', async () => {
    const cases: [unknown, string[]][] = [
      [{ ...iosApplePay(), paymentMethodConfigId: 'pmc_other' }, ['$.paymentInstrument.paymentMethodConfigId']],
      [
        { ...iosApplePay(), token: { paymentMethod: 'Visa' } },
        ['$.paymentInstrument.token.paymentData', '$.paymentInstrument.token.paymentMethod'],
      ],
      [
        { ...iosApplePay(), token: { paymentData: { data: '', signature: 7, version: '', header: [] } } },
        [
          '$.paymentInstrument.token.paymentData.data',
          '$.paymentInstrument.token.paymentData.signature',
          '$.paymentInstrument.token.paymentData.version',
          '$.paymentInstrument.token.paymentData.header',
        ],
      ],
      [{ ...androidGooglePay(), encryptedPayload: '<script>' }, ['$.paymentInstrument.encryptedPayload']],
      [{ ...androidGooglePay(), flow: 'DIRECT', merchantId: null }, ['$.paymentInstrument.merchantId', '$.paymentInstrument.flow']],
      [{ ...webGooglePay(), encrypted_payload: ['x'] }, ['$.paymentInstrument.encrypted_payload']],
      // A wallet is not an OFF_SESSION_PAYMENT.
      [
        { type: 'OFF_SESSION_PAYMENT', paymentMethodType: 'APPLE_PAY', paymentMethodConfigId: 'pmc_apple_pay' },
        ['$.paymentInstrument.paymentMethodType'],
      ],
    ];
    const count = async () => Number((await t.query('SELECT count(*) AS n FROM payment_tokens'))[0]!.n);
    const before = await count();
    for (const [body, paths] of cases) {
      const { res } = await tokenize(body);
      assert.equal(res.statusCode, 422, res.body);
      assert.deepEqual(errorPaths(res), paths, JSON.stringify(body).slice(0, 80));
    }
    const multi = await tokenize(androidGooglePay(), ORDER, { tokenType: 'MULTI_USE' });
    assert.deepEqual(errorPaths(multi.res), ['$.tokenType']);
    const big = await tokenize({ ...androidGooglePay(), encryptedPayload: 'A'.repeat(9000) });
    assertError(big.res, 413, 'PayloadTooLarge');
    assert.equal(await count(), before, 'a refused payload makes no token');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ token: fc.anything(), paymentMethodConfigId: fc.anything() }, { requiredKeys: ['token'] }),
          fc.record(
            { encryptedPayload: fc.anything(), merchantId: fc.anything(), flow: fc.anything() },
            { requiredKeys: ['encryptedPayload'] },
          ),
          fc.record({ encrypted_payload: fc.anything(), network: fc.anything() }, { requiredKeys: ['encrypted_payload'] }),
        ),
        async (instrument) => {
          const s = await createSession(t, ORDER);
          const res = await sdk(t, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: instrument });
          assert.ok(res.statusCode < 500, res.body);
          assert.equal(res.json().error !== undefined || res.statusCode === 200, true);
        },
      ),
      { numRuns: 30 },
    );
  });

  test('a checkout whose configuration does not offer a wallet refuses its payload', async () => {
    const { defaultCheckoutConfig } = await import('../../src/checkout/configuration.ts');
    const checkout = defaultCheckoutConfig('SANDBOX');
    checkout.paymentMethods = checkout.paymentMethods.filter((m) => m.type !== 'APPLE_PAY');
    const bare = await testApp({ checkout });
    try {
      const s = await createSession(bare, ORDER);
      const res = await sdk(bare, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: iosApplePay() });
      assert.deepEqual(errorPaths(res), ['$.paymentInstrument.paymentMethodType']);
    } finally {
      await bare.close();
    }
  });

  test("web Apple Pay's merchant validation answers Primer's envelope saying it needs Apple, a 400, never a 404", async () => {
    const s = await createSession(t, ORDER);
    const body = {
      validationUrl: 'https://apple-pay-gateway.apple.com/paymentservices/startSession',
      paymentMethodConfigId: 'pmc_apple_pay',
      merchantDomain: 'shop.example',
    };
    const res = await sdk(t, s.accessToken, 'POST', '/apple-pay/sessions', body);
    const error = assertError(res, 400, 'ApplePayMerchantValidationUnavailable');
    assert.match(error.description, /Apple/);
    assertError(await sdk(t, s.accessToken, 'POST', '/apple-pay/sessions', { validationUrl: 7 }), 422, 'RequestValidationError');
    const noToken = await t.app.inject({
      method: 'POST',
      url: '/apple-pay/sessions',
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
    assert.ok(noToken.statusCode >= 400 && noToken.statusCode < 500, noToken.body);
    assert.ok(noToken.json().error.errorId);
    const huge = await sdk(t, s.accessToken, 'POST', '/apple-pay/sessions', { ...body, merchantDomain: 'x'.repeat(9000) });
    assertError(huge, 413, 'PayloadTooLarge');
  });

  test('the wallet payload reaches neither the database nor the log', async () => {
    await sdkPayment(iosApplePay());
    await sdkPayment(webApplePay(), 2005);
    await sdkPayment(androidGooglePay());
    await sdkPayment(webGooglePay(), 2096);
    const tables =
      t.config.database.engine === 'sqlite'
        ? (await t.query("SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => String(r.name))
        : (await t.query('SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()')).map((r) =>
            String(r.table_name),
          );
    const rows: Record<string, unknown>[] = [];
    for (const table of tables) rows.push(...(await t.query(`SELECT * FROM ${table}`)));
    const stored = JSON.stringify(rows);
    assert.ok(stored.includes('APPLE_PAY') && stored.includes('GOOGLE_PAY'), 'the payments are stored');
    const log = lines.join('');
    assert.ok(log.length > 0, 'the requests were logged');
    for (const [where, text] of [
      ['the database', stored],
      ['the log', log],
    ] as const) {
      for (const secret of [
        APPLE_DATA,
        APPLE_SIGNATURE,
        APPLE_KEY,
        APPLE_TRANSACTION,
        GOOGLE_PAYLOAD,
        'GoogleSignatureSecret004',
        'merchant.com.example.shop',
      ]) {
        assert.ok(!text.includes(secret), `${where} holds part of a wallet payload (${secret.slice(0, 12)}…)`);
      }
    }
  });
});
