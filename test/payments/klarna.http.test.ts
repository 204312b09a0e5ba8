// engines: sqlite, postgres
// Klarna (docs/payments.md, "Klarna"; spec §2): the helper calls as the SDKs make them (checkout and
// recurring sessions, finalize, customer tokens), tokenizing each instrument, payments final at once
// (SUCCESS or FAILED, never a required action) with the outcome the token's value chose, Primer's
// Klarna paymentMethodData validating against its v2.4 schema, and hostile bodies getting the envelope.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { defaultCheckoutConfig } from '../../src/checkout/configuration.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import { ROOT } from '../support/process.ts';
import { api, assertError, errorPaths, post, read, sdk, statusEvents } from './support.ts';

const KLARNA_ID = defaultCheckoutConfig('SANDBOX').paymentMethods.find((m) => m.type === 'KLARNA')!.id;
const SESSION = {
  orderId: 'ord-k1',
  currencyCode: 'EUR',
  customerId: 'cust-k1',
  customer: {
    emailAddress: 'shopper@example.com',
    billingAddress: {
      firstName: 'Ada',
      lastName: 'Lovelace',
      addressLine1: 'Hauptstr. 1',
      city: 'Berlin',
      countryCode: 'DE',
      postalCode: '10115',
    },
  },
  order: {
    countryCode: 'DE',
    lineItems: [{ itemId: 'sku-1', description: 'Socks', amount: 400, quantity: 2, discountAmount: 100, taxAmount: 50 }],
    fees: [{ type: 'SURCHARGE', amount: 60 }],
  },
};
const SPEC = join(ROOT, '..', 'shared', 'reference', 'primer-openapi-v2.4.yml');

/** The checkout session body as Android sends it (§2.1), the surcharge as one more item. */
const checkoutSessionBody = {
  paymentMethodConfigId: KLARNA_ID,
  sessionType: 'ONE_OFF_PAYMENT',
  totalAmount: 810,
  localeData: { countryCode: 'DE', currencyCode: 'EUR', localeCode: 'de-DE' },
  orderItems: [
    { name: 'Socks', unitAmount: 400, reference: 'sku-1', quantity: 2, discountAmount: 100, productType: 'physical', taxAmount: 50 },
    { name: 'surcharge', unitAmount: 60, quantity: 1, productType: 'surcharge' },
  ],
  billingAddress: {
    addressLine1: 'Hauptstr. 1',
    city: 'Berlin',
    countryCode: 'DE',
    email: 'shopper@example.com',
    firstName: 'Ada',
    lastName: 'Lovelace',
    postalCode: '10115',
  },
};
const EXPECTED_SESSION_DATA = {
  purchaseCountry: 'DE',
  purchaseCurrency: 'EUR',
  locale: 'en-DE',
  orderAmount: 810,
  orderTaxAmount: 50,
  orderLines: [
    { type: 'physical', name: 'Socks', quantity: 2, reference: 'sku-1', unit_price: 400, total_amount: 750, total_discount_amount: 100 },
    { type: 'surcharge', name: 'surcharge', quantity: 1, unit_price: 60, total_amount: 60, total_discount_amount: 0 },
  ],
  billingAddress: {
    firstName: 'Ada',
    lastName: 'Lovelace',
    addressLine1: 'Hauptstr. 1',
    city: 'Berlin',
    countryCode: 'DE',
    postalCode: '10115',
    email: 'shopper@example.com',
  },
};

describe('Klarna', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  /** Session, finalize and tokenize as the SDK does in test mode (a random UUID as the authorization token, §2.4). */
  async function checkoutToken(authorizationToken: string = crypto.randomUUID()) {
    const s = await createSession(t, SESSION);
    // iOS sends no X-Api-Version on Klarna's calls (§0.2).
    const created = await sdk(t, s.accessToken, 'POST', '/klarna/payment-sessions', checkoutSessionBody, { 'x-api-version': '' });
    assert.equal(created.statusCode, 200, created.body);
    const { sessionId } = created.json();
    const finalized = await sdk(t, s.accessToken, 'POST', '/klarna/payment-sessions/finalize', {
      paymentMethodConfigId: KLARNA_ID,
      sessionId,
    });
    assert.equal(finalized.statusCode, 200, finalized.body);
    const { sessionData } = finalized.json();
    const res = await sdk(t, s.accessToken, 'POST', '/payment-instruments', {
      paymentInstrument: { klarnaAuthorizationToken: authorizationToken, sessionData },
    });
    return { s, created: created.json(), sessionData, res };
  }

  test('checkout: a session with categories, finalize gives sessionData from the order (the surcharge a line), tokenize gives KLARNA_AUTHORIZATION_TOKEN', async () => {
    const token = crypto.randomUUID();
    const { created, sessionData, res } = await checkoutToken(token);
    assert.match(created.sessionId, /^kps_/);
    assert.equal(typeof created.clientToken, 'string');
    assert.ok(created.categories.length >= 2);
    for (const c of created.categories) assert.deepEqual(Object.keys(c), ['identifier', 'name', 'descriptiveAssetUrl', 'standardAssetUrl']);
    assert.deepEqual(
      created.categories.map((c: { identifier: string }) => c.identifier),
      ['pay_later', 'pay_over_time', 'pay_now'],
    );
    assert.deepEqual(sessionData, EXPECTED_SESSION_DATA);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.tokenType, 'SINGLE_USE');
    assert.equal(body.paymentInstrumentType, 'KLARNA_AUTHORIZATION_TOKEN');
    assert.equal(body.paymentMethodType, 'KLARNA');
    assert.deepEqual(body.paymentInstrumentData, { klarnaAuthorizationToken: token, sessionData: EXPECTED_SESSION_DATA });
  });

  test('the SDK payment is SUCCESS with no required action; the Payments API shows KLARNA and its data; capture, refund, events', async () => {
    const token = crypto.randomUUID();
    const { s, res } = await checkoutToken(token);
    const paid = await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: res.json().token });
    assert.equal(paid.statusCode, 200, paid.body);
    assert.equal(paid.json().status, 'SUCCESS');
    assert.equal(paid.json().requiredAction, undefined);
    const shown = await read(t, paid.json().id);
    assert.equal(shown.status, 'AUTHORIZED');
    assert.equal(shown.amount, 810);
    assert.equal(shown.paymentMethod.paymentMethodType, 'KLARNA');
    assert.deepEqual(shown.paymentMethod.paymentMethodData, { klarnaAuthorizationToken: token, sessionData: EXPECTED_SESSION_DATA });
    assert.equal(shown.paymentMethod.threeDSecureAuthentication, undefined);
    assert.equal((await post(t, shown.id, 'capture')).json().status, 'SETTLED');
    assert.equal((await post(t, shown.id, 'refund', { amount: 100 })).json().processor.amountRefunded, 100);
    assert.deepEqual(await statusEvents(t, shown.id), ['PENDING', 'AUTHORIZED', 'SETTLED']);
  });

  test('the authorization token chooses the outcome: DECLINE… declines (DO_NOT_HONOR), FAIL… fails; cancel of an authorized one', async () => {
    for (const [value, status, type] of [
      ['DECLINE-1', 'DECLINED', 'ISSUER_DECLINED'],
      ['fail-1', 'FAILED', 'GATEWAY_REJECTED'],
    ] as const) {
      const { s, res } = await checkoutToken(value);
      const paid = await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: res.json().token });
      assert.equal(paid.json().status, 'FAILED');
      assert.equal(paid.json().requiredAction, undefined);
      const shown = await read(t, paid.json().id);
      assert.equal(shown.status, status);
      assert.equal(shown.statusReason.type, type);
      if (status === 'DECLINED') assert.equal(shown.statusReason.code, 'DO_NOT_HONOR');
      assert.deepEqual(await statusEvents(t, shown.id), ['PENDING', status]);
    }
    const { res } = await checkoutToken();
    const created = await api(t, 'POST', '/payments', { paymentMethodToken: res.json().token }, { idempotencyKey: 'klarna-1' });
    assert.equal(created.json().status, 'AUTHORIZED');
    assertError(
      await api(t, 'POST', '/payments', { paymentMethodToken: res.json().token }, { idempotencyKey: 'klarna-1' }),
      409,
      'IdempotencyKeyAlreadyExists',
    );
    assert.equal((await post(t, created.json().id, 'cancel')).json().status, 'CANCELLED');
  });

  test('vault: a recurring session, a customer token, tokenized MULTI_USE is KLARNA_CUSTOMER_TOKEN saved for the customer and pays', async () => {
    const s = await createSession(t, SESSION);
    const created = await sdk(t, s.accessToken, 'POST', '/klarna/payment-sessions', {
      paymentMethodConfigId: KLARNA_ID,
      sessionType: 'RECURRING_PAYMENT',
      localeData: { countryCode: 'DE', currencyCode: 'EUR', localeCode: 'de-DE' },
      description: 'Socks every month',
      redirectUrl: 'merchantapp://klarna',
    });
    assert.equal(created.statusCode, 200, created.body);
    // A recurring session is not finalized: the customer token's answer carries its sessionData (§2.6).
    const tokenRes = await sdk(t, s.accessToken, 'POST', '/klarna/customer-tokens', {
      paymentMethodConfigId: KLARNA_ID,
      sessionId: created.json().sessionId,
      authorizationToken: crypto.randomUUID(),
      description: 'Socks every month',
      localeData: { languageCode: 'de', localeCode: 'de-DE', regionCode: 'DE' },
    });
    assert.equal(tokenRes.statusCode, 200, tokenRes.body);
    const { customerTokenId, sessionData } = tokenRes.json();
    assert.match(customerTokenId, /^kct_/);
    assert.equal(sessionData.recurringDescription, 'Socks every month');
    assert.deepEqual(sessionData.orderLines, []);
    const res = await sdk(t, s.accessToken, 'POST', '/payment-instruments', {
      paymentInstrument: { klarnaCustomerToken: customerTokenId, sessionData },
      tokenType: 'MULTI_USE',
      paymentFlow: 'VAULT',
    });
    assert.equal(res.statusCode, 200, res.body);
    const token = res.json();
    assert.equal(token.tokenType, 'MULTI_USE');
    assert.equal(token.paymentInstrumentType, 'KLARNA_CUSTOMER_TOKEN');
    assert.equal(token.isVaulted, true);
    assert.deepEqual(token.vaultData, { customerId: 'cust-k1' });
    assert.equal(token.paymentInstrumentData.klarnaCustomerToken, customerTokenId);
    const saved = await api(t, 'GET', '/payment-instruments?customer_id=cust-k1');
    assert.equal(saved.statusCode, 200, saved.body);
    const [vaulted] = saved.json().data;
    assert.equal(vaulted.paymentMethodType, 'KLARNA');
    assert.equal(vaulted.paymentMethodData.klarnaCustomerToken, customerTokenId);
    // The merchant pays with the saved token later (merchant-initiated).
    const paid = await api(t, 'POST', '/payments', {
      paymentMethodToken: vaulted.token,
      orderId: 'ord-k2',
      currencyCode: 'EUR',
      amount: 500,
    });
    assert.equal(paid.statusCode, 200, paid.body);
    assert.equal(paid.json().status, 'AUTHORIZED');
    assert.equal(paid.json().paymentMethod.paymentMethodType, 'KLARNA');
    assert.equal(paid.json().paymentMethod.paymentMethodData.klarnaCustomerToken, customerTokenId);
  });

  test("the server's vault saves a Klarna customer token, never a checkout authorization token", async () => {
    const { res } = await checkoutToken();
    const refused = await api(t, 'POST', `/payment-instruments/${res.json().token}/vault`, { customerId: 'cust-k3' });
    assertError(refused, 400, 'InvalidPaymentInstrumentToken');
    const s = await createSession(t, SESSION);
    const { sessionId } = (
      await sdk(t, s.accessToken, 'POST', '/klarna/payment-sessions', {
        paymentMethodConfigId: KLARNA_ID,
        sessionType: 'RECURRING_PAYMENT',
      })
    ).json();
    const { customerTokenId, sessionData } = (
      await sdk(t, s.accessToken, 'POST', '/klarna/customer-tokens', {
        paymentMethodConfigId: KLARNA_ID,
        sessionId,
        authorizationToken: 'DECLINE-me',
      })
    ).json();
    assert.match(customerTokenId, /^DECLINE-kct_/);
    const single = await sdk(t, s.accessToken, 'POST', '/payment-instruments', {
      paymentInstrument: { klarnaCustomerToken: customerTokenId, sessionData },
    });
    assert.equal(single.json().tokenType, 'SINGLE_USE');
    const saved = await api(t, 'POST', `/payment-instruments/${single.json().token}/vault`, { customerId: 'cust-k3' });
    assert.equal(saved.statusCode, 200, saved.body);
    assert.equal(saved.json().paymentMethodType, 'KLARNA');
    assert.equal(saved.json().paymentMethodData.klarnaCustomerToken, customerTokenId);
    // The customer token kept its authorization token's outcome.
    const paid = await api(t, 'POST', '/payments', {
      paymentMethodToken: saved.json().token,
      orderId: 'ord-k3',
      currencyCode: 'EUR',
      amount: 300,
    });
    assert.equal(paid.json().status, 'DECLINED');
  });

  test("the configuration carries clientSession.testId (the SDKs' Klarna mock) only when the session's metadata names kassaTestId", async () => {
    const config = async (body: object) => {
      const s = await createSession(t, body);
      const res = await sdk(t, s.accessToken, 'GET', '/client-sdk/configuration');
      assert.equal(res.statusCode, 200, res.body);
      return res.json().clientSession;
    };
    assert.equal((await config({ ...SESSION, metadata: { kassaTestId: 'klarna-android' } })).testId, 'klarna-android');
    assert.equal('testId' in (await config(SESSION)), false);
    assert.equal('testId' in (await config({ ...SESSION, metadata: { kassaTestId: ' ' } })), false);
  });

  test("payments' Klarna data validate against Primer's v2.4 PaymentAPIResponse", { skip: !existsSync(SPEC) && 'no spec' }, async () => {
    const doc = parse(readFileSync(SPEC, 'utf8')) as { components: Record<string, unknown> };
    const ajv = new Ajv({ strict: false, allErrors: true });
    (addFormats as unknown as (a: Ajv) => Ajv)(ajv);
    ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/);
    ajv.addSchema({ $id: 'primer', components: doc.components });
    const session = ajv.compile({ $ref: 'primer#/components/schemas/KlarnaPaymentSessionAPISchema' });
    const payment = ajv.compile({ $ref: 'primer#/components/schemas/PaymentAPIResponse' });
    const { s, res } = await checkoutToken();
    const paid = await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: res.json().token });
    const shown = await read(t, paid.json().id);
    assert.ok(payment(shown), JSON.stringify(payment.errors));
    assert.ok(session(shown.paymentMethod.paymentMethodData), JSON.stringify(session.errors));
  });

  test('hostile and wrong bodies get the envelope, never a 5xx; a session id of another client session is refused', async () => {
    const s = await createSession(t, SESSION);
    const other = await createSession(t, SESSION);
    const bad = await sdk(t, s.accessToken, 'POST', '/klarna/payment-sessions', {
      paymentMethodConfigId: 'nope',
      sessionType: 'ONE_OFF_PAYMENT',
    });
    assertError(bad, 422, 'RequestValidationError');
    assert.deepEqual(errorPaths(bad), ['$.paymentMethodConfigId']);
    for (const body of [
      { paymentMethodConfigId: KLARNA_ID, sessionType: 'WEEKLY' },
      { paymentMethodConfigId: KLARNA_ID, sessionType: 'ONE_OFF_PAYMENT', orderItems: 'x' },
      { paymentMethodConfigId: KLARNA_ID, sessionType: 'ONE_OFF_PAYMENT', billingAddress: { city: 'x'.repeat(600) } },
      [],
    ]) {
      const res = await sdk(t, s.accessToken, 'POST', '/klarna/payment-sessions', body);
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, res.body);
      assert.equal(typeof res.json().error.errorId, 'string');
    }
    const big = await sdk(t, s.accessToken, 'POST', '/klarna/payment-sessions', {
      paymentMethodConfigId: KLARNA_ID,
      sessionType: 'ONE_OFF_PAYMENT',
      description: 'x'.repeat(9000),
    });
    assertError(big, 413, 'PayloadTooLarge');
    assertError(await sdk(t, 'not-a-token', 'POST', '/klarna/payment-sessions', checkoutSessionBody), 400, 'ClientSessionValidationError');
    const { sessionId } = (await sdk(t, s.accessToken, 'POST', '/klarna/payment-sessions', checkoutSessionBody)).json();
    for (const id of [sessionId, 'kps_forged', `${sessionId.slice(0, -1)}0`]) {
      const res = await sdk(t, other.accessToken, 'POST', '/klarna/payment-sessions/finalize', {
        paymentMethodConfigId: KLARNA_ID,
        sessionId: id,
      });
      assertError(res, 400, 'PaymentError');
    }
    // A checkout session has no customer token.
    assertError(
      await sdk(t, s.accessToken, 'POST', '/klarna/customer-tokens', {
        paymentMethodConfigId: KLARNA_ID,
        sessionId,
        authorizationToken: 'a',
      }),
      400,
      'PaymentError',
    );
    for (const instrument of [
      { klarnaAuthorizationToken: '', sessionData: {} },
      { klarnaAuthorizationToken: 'a b', sessionData: {} },
      { klarnaAuthorizationToken: 'x', sessionData: 'x' },
      { klarnaAuthorizationToken: 'x', klarnaCustomerToken: 'y', sessionData: {} },
    ]) {
      const res = await sdk(t, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: instrument });
      assertError(res, 422, 'RequestValidationError');
    }
    // Only a customer token is saved; KLARNA is not an OFF_SESSION_PAYMENT.
    assertError(
      await sdk(t, s.accessToken, 'POST', '/payment-instruments', {
        paymentInstrument: { klarnaAuthorizationToken: 'x', sessionData: {} },
        tokenType: 'MULTI_USE',
      }),
      422,
      'RequestValidationError',
    );
    assertError(
      await sdk(t, s.accessToken, 'POST', '/payment-instruments', {
        paymentInstrument: { type: 'OFF_SESSION_PAYMENT', paymentMethodType: 'KLARNA', paymentMethodConfigId: KLARNA_ID },
      }),
      422,
      'RequestValidationError',
    );
  });
});
