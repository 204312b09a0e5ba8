// engines: sqlite, postgres
// Every 200 of the server's Payments API and vault validates against Primer's published v2.4 OpenAPI
// schemas (PaymentAPIResponse, PaymentListAPIResponse, MerchantPaymentMethodTokenAPIResponse and its
// list), strictly: no field Primer's schemas do not name. Two readings of the document, as for the
// sessions (test/sessions/primer-openapi.http.test.ts): dates are UTC without a zone designator, as in
// Primer's own examples ("date-time" accepts them); and a transaction's `id`, `type`, `processor` and
// `status`, which TransactionOverviewAPISchema requires without describing them, are allowed
// (docs/payments.md, "Payments API").
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { defaultCheckoutConfig } from '../../src/checkout/configuration.ts';
import { EMAIL_FORMAT } from '../../src/lib/ajv.ts';
import { createSession, FULL_REQUEST, testApp, type TestApp } from '../support/app.ts';
import { ROOT } from '../support/process.ts';
import { api, CARDS, ORDER, pay, type Res, sdk, tokenFor } from './support.ts';

const PAY_NL_ID = '5b1a3c1e-0d5f-4f7e-9a51-2f1d0c9e8b7a';
const SPEC = join(ROOT, '..', 'shared', 'reference', 'primer-openapi-v2.4.yml');
const skip = existsSync(SPEC) ? false : `Primer's OpenAPI document not found at ${SPEC} (the shared/ folder beside the repo); skipping`;

type Schema = Record<string, any>;

/** Every object schema that names its properties allows no others (a required name counts as named). */
function strict(schema: unknown): void {
  if (Array.isArray(schema)) {
    for (const item of schema) strict(item);
    return;
  }
  if (typeof schema !== 'object' || schema === null) return;
  const s = schema as Schema;
  if (s.properties && s.additionalProperties === undefined) {
    for (const name of s.required ?? []) s.properties[name] ??= {};
    s.additionalProperties = false;
  }
  for (const value of Object.values(s)) strict(value);
}

function validators() {
  const doc = parse(readFileSync(SPEC, 'utf8')) as { components: { schemas: Record<string, Schema> } };
  strict(doc.components.schemas);
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => Ajv)(ajv);
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('email', EMAIL_FORMAT);
  // Primer's examples write dates without a zone designator ('2021-03-01T12:00:00.123456'), as Kassa does.
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$/);
  ajv.addSchema({ $id: 'primer', components: doc.components });
  const compile = (name: string) => ajv.compile({ $ref: `primer#/components/schemas/${name}` });
  return {
    payment: compile('PaymentAPIResponse'),
    list: compile('PaymentListAPIResponse'),
    vaulted: compile('MerchantPaymentMethodTokenAPIResponse'),
    vaultedList: compile('MerchantPaymentMethodTokenListAPIResponse'),
  };
}

describe("payments answers validate against Primer's response schemas", { skip }, () => {
  let t: TestApp;
  let processor3ds: TestApp;
  let methods: TestApp;
  let v: ReturnType<typeof validators>;
  let checked = 0;
  before(async () => {
    v = validators();
    t = await testApp();
    const checkout = defaultCheckoutConfig('SANDBOX');
    checkout.sandbox = { ...checkout.sandbox, threeDSecureMode: 'PROCESSOR_3DS', authorizeOnCreate: false };
    processor3ds = await testApp({ checkout });
    const withMethods = defaultCheckoutConfig('SANDBOX');
    withMethods.paymentMethods.push(
      { id: PAY_NL_ID, type: 'PAY_NL_IDEAL', name: 'iDEAL', implementationType: 'WEB_REDIRECT', icon: 'ideal' },
      { id: 'pmc_primer_test_paypal', type: 'PRIMER_TEST_PAYPAL', name: 'PayPal (test)', implementationType: 'NATIVE_SDK', icon: 'ideal' },
    );
    methods = await testApp({ checkout: withMethods });
  });
  after(async () => {
    await t.close();
    await processor3ds.close();
    await methods.close();
  });

  /** Asserts a 200 that `validate` accepts; returns the body. */
  function valid(res: Res, validate: ValidateFunction, what: string): Record<string, any> {
    assert.equal(res.statusCode, 200, `${what}: ${res.body}`);
    const body = res.json() as Record<string, any>;
    assert.ok(validate(body), `${what}: ${JSON.stringify(validate.errors, null, 1)}\n${res.body}`);
    checked++;
    return body;
  }
  const act = (app: TestApp, id: string, action: string, body: unknown = {}, version?: string) =>
    api(app, 'POST', `/payments/${id}/${action}`, body, version ? { version } : {});

  test('create, GET (with and without events) and every action, in every API version', async () => {
    const { paymentMethod: _pm, ...fullSession } = FULL_REQUEST;
    for (const version of ['2.1', '2.2', '2.3', '2.4']) {
      const events = version === '2.4' ? '?expand=transactions.events' : '';
      const expand = version === '2.4' ? { expand: ['transactions.events'] } : {};
      // A session with every order and customer field, paid in full and refunded in parts.
      const full = await tokenFor(t, CARDS.visa, fullSession);
      const created = valid(
        await api(
          t,
          'POST',
          '/payments',
          { paymentMethodToken: full.token, paymentMethod: { descriptor: 'ACME', paymentType: 'FIRST_PAYMENT' }, ...expand },
          { version },
        ),
        v.payment,
        `create ${version}`,
      );
      valid(await api(t, 'GET', `/payments/${created.id}${events}`, undefined, { version }), v.payment, `get ${version}`);
      // Below 2.4 a capture is final (no `final`): a part, then refunds; from 2.4 a part, then the rest.
      const partial = version === '2.4' ? { final: false, ...expand } : {};
      const captured = valid(
        await act(t, created.id, 'capture', { amount: 1000, metadata: { step: 'capture' }, ...partial }, version),
        v.payment,
        `capture ${version}`,
      );
      assert.equal(captured.status, 'PARTIALLY_SETTLED');
      if (version === '2.4')
        valid(await act(t, created.id, 'capture', { order: { retailerCountryCode: 'FR' } }, version), v.payment, `capture rest ${version}`);
      valid(await act(t, created.id, 'refund', { amount: 100, reason: 'damaged', ...expand }, version), v.payment, `refund ${version}`);
      valid(await act(t, created.id, 'refund', { orderId: 'refund-2' }, version), v.payment, `refund rest ${version}`);
      // Declined, failed (one each of the status reasons), cancelled.
      for (const number of [CARDS.decline, CARDS.gatewayTimeout, CARDS.fail, CARDS.other, '4000000000000127']) {
        const { payment } = await pay(t, number, { version });
        valid(await api(t, 'GET', `/payments/${payment.id}${events}`, undefined, { version }), v.payment, `${number} ${version}`);
      }
      const cancelled = (await pay(t, CARDS.visa, { version })).payment;
      valid(await act(t, cancelled.id, 'cancel', { reason: 'out of stock', ...expand }, version), v.payment, `cancel ${version}`);
      // 3DS: PENDING with its required action, then resumed.
      const challenged = (await pay(t, CARDS.challenge, { version })).payment;
      valid(await api(t, 'GET', `/payments/${challenged.id}`, undefined, { version }), v.payment, `3DS pending ${version}`);
      const { resumeToken } = (await api(t, 'POST', `/kassa/sandbox/payments/${challenged.id}/3ds`, { outcome: 'AUTH_FAILED' })).json();
      valid(await act(t, challenged.id, 'resume', { resumeToken }, version), v.payment, `resume ${version}`);
      // An estimated authorization, adjusted.
      const estimated = (await pay(t, CARDS.visa, { body: { paymentMethod: { authorizationType: 'ESTIMATED' } }, version })).payment;
      valid(await act(t, estimated.id, 'adjust-authorization', { amount: 2000, ...expand }, version), v.payment, `adjust ${version}`);
      // Async steps, run by the helper.
      const asyncPayment = (await pay(t, CARDS.asyncAuthorized, { version })).payment;
      valid(
        await api(t, 'POST', `/kassa/sandbox/payments/${asyncPayment.id}/advance`, undefined, { version }),
        v.payment,
        `advance ${version}`,
      );
      const settling = (await pay(t, CARDS.asyncCapture, { version })).payment;
      valid(await act(t, settling.id, 'capture', {}, version), v.payment, `settling ${version}`);
      // A refund that fails.
      const refundFails = (await pay(t, CARDS.refundFails, { version })).payment;
      await act(t, refundFails.id, 'capture', {}, version);
      valid(await act(t, refundFails.id, 'refund', {}, version), v.payment, `failed refund ${version}`);
      // authorizeOnCreate false, then authorize; a PROCESSOR_3DS action.
      const idle = (await pay(processor3ds, CARDS.visa, { version })).payment;
      valid(
        await act(processor3ds, idle.id, 'authorize', { processor: { processorMerchantId: 'kassa-sandbox' } }, version),
        v.payment,
        `authorize ${version}`,
      );
      const redirect = (await pay(processor3ds, CARDS.challenge, { version })).payment;
      const pending = valid(
        await act(processor3ds, redirect.id, 'authorize', { processor: { processorMerchantId: 'kassa-sandbox' } }, version),
        v.payment,
        `processor 3DS ${version}`,
      );
      assert.equal(pending.requiredAction.name, 'PROCESSOR_3DS');
    }
  });

  test('GET /payments, with and without cursors', async () => {
    const first = valid(await api(t, 'GET', '/payments?limit=3'), v.list, 'list');
    assert.equal(first.data.length, 3);
    const second = valid(await api(t, 'GET', `/payments?limit=3&cursor=${first.nextCursor}`), v.list, 'list page 2');
    valid(await api(t, 'GET', `/payments?limit=3&cursor=${second.prevCursor}`), v.list, 'list back');
    valid(await api(t, 'GET', '/payments?status=SETTLED,DECLINED&currency_code=EUR'), v.list, 'list filtered');
    valid(await api(t, 'GET', '/payments?payment_method_type=PAYPAL'), v.list, 'list empty');
    // A payment with metadata in its summary (a millisecond later: the newest).
    t.clock.advance(1);
    await pay(t, CARDS.visa, { session: { ...ORDER, metadata: { a: 1, b: 'two' } } });
    const withMetadata = valid(await api(t, 'GET', '/payments?limit=1'), v.list, 'list metadata');
    assert.deepEqual(withMetadata.data[0].metadata, { a: 1, b: 'two' });
  });

  test('the vault: vault, vault again, list, make default, delete', async () => {
    const a = await tokenFor(t, CARDS.visa);
    const b = await tokenFor(t, CARDS.amex, { ...ORDER, paymentMethod: { orderedAllowedCardNetworks: ['AMEX'] } });
    const saved = valid(await api(t, 'POST', `/payment-instruments/${a.token}/vault`, { customerId: 'cust-oa' }), v.vaulted, 'vault');
    valid(await api(t, 'POST', `/payment-instruments/${a.token}/vault`, { customerId: 'cust-oa' }), v.vaulted, 'vault again');
    const second = valid(await api(t, 'POST', `/payment-instruments/${b.token}/vault`, { customerId: 'cust-oa' }), v.vaulted, 'vault 2');
    valid(await api(t, 'POST', `/payment-instruments/${second.token}/default`), v.vaulted, 'default');
    const listed = valid(await api(t, 'GET', '/payment-instruments?customer_id=cust-oa'), v.vaultedList, 'list');
    assert.equal(listed.data.length, 2);
    valid(await api(t, 'GET', '/payment-instruments?customer_id=nobody'), v.vaultedList, 'empty list');
    const deleted = valid(await api(t, 'DELETE', `/payment-instruments/${saved.token}`), v.vaulted, 'delete');
    assert.equal(deleted.deleted, true);
    // Payments that vault, and one with a MULTI_USE token.
    const vaultedPayment = (await pay(t, CARDS.visa, { body: { customerId: 'cust-oa2', paymentMethod: { vaultOnSuccess: true } } }))
      .payment;
    valid(await api(t, 'GET', `/payments/${vaultedPayment.id}`), v.payment, 'vaultOnSuccess payment');
    const multi = await api(t, 'POST', '/payments', { paymentMethodToken: second.token, ...ORDER });
    valid(multi, v.payment, 'MULTI_USE payment');
    valid(await api(t, 'GET', `/payments/${multi.json().id}`, undefined, { version: '2.3' }), v.payment, 'MULTI_USE payment 2.3');
  });

  test('payments made with redirect and test methods, PENDING, resumed, captured, refunded, declined', async () => {
    const offSession = (paymentMethodType: string, paymentMethodConfigId: string, sessionInfo: Record<string, unknown>) => ({
      type: 'OFF_SESSION_PAYMENT',
      paymentMethodType,
      paymentMethodConfigId,
      sessionInfo: { platform: 'ANDROID', locale: 'nl_NL', ...sessionInfo },
    });
    const payWith = async (instrument: Record<string, unknown>) => {
      const s = await createSession(methods, ORDER);
      const token = (await sdk(methods, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: instrument })).json().token;
      return valid(
        await api(methods, 'POST', '/payments', { paymentMethodToken: token }),
        v.payment,
        instrument.paymentMethodType as string,
      );
    };
    for (const [type, id] of [
      ['PAY_NL_IDEAL', PAY_NL_ID],
      ['ADYEN_IDEAL', 'pmc_adyen_ideal'],
    ]) {
      const pending = await payWith(offSession(type!, id!, { redirectionUrl: 'primer://requestor.com.example/async' }));
      assert.equal(pending.status, 'PENDING');
      const { resumeToken } = (
        await api(methods, 'POST', `/kassa/sandbox/payments/${pending.id}/redirect`, { outcome: 'COMPLETE' })
      ).json();
      valid(await act(methods, pending.id, 'resume', { resumeToken }), v.payment, `${type} resumed`);
      valid(await act(methods, pending.id, 'capture', { amount: 600 }), v.payment, `${type} captured`);
      valid(await act(methods, pending.id, 'refund', { amount: 100 }), v.payment, `${type} refunded`);
      valid(await api(methods, 'GET', `/payments/${pending.id}?expand=transactions.events`), v.payment, `${type} read`);
    }
    // Primer's PaymentMethodTypeEnum does not list its own test methods: Kassa shows the type paid with
    // (docs/payments.md, "Primer's test methods"), and the rest of the answer must be Primer's shape.
    for (const flowDecision of ['SUCCESS', 'DECLINE', 'FAIL']) {
      const s = await createSession(methods, ORDER);
      const instrument = offSession('PRIMER_TEST_PAYPAL', 'pmc_primer_test_paypal', { flowDecision });
      const token = (await sdk(methods, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: instrument })).json().token;
      const res = await api(methods, 'POST', '/payments', { paymentMethodToken: token });
      assert.equal(res.json().paymentMethod.paymentMethodType, 'PRIMER_TEST_PAYPAL');
      const body = res.json();
      body.paymentMethod.paymentMethodType = 'PAYPAL';
      assert.ok(v.payment(body), `PRIMER_TEST_PAYPAL ${flowDecision}: ${JSON.stringify(v.payment.errors)}`);
    }
    valid(await api(methods, 'GET', '/payments?limit=2'), v.list, 'list with methods');
  });

  test('payments made with Apple Pay and Google Pay, authorized, captured, refunded, cancelled, declined, failed', async () => {
    const wallets = [
      {
        paymentMethodConfigId: 'pmc_apple_pay',
        token: {
          paymentMethod: { displayName: 'Visa 0224', network: 'Visa', type: 'debit' },
          transactionIdentifier: 'tx',
          paymentData: { data: 'ZGF0YQ==', signature: 'c2ln', version: 'EC_v1', header: { ephemeralPublicKey: 'a2V5' } },
        },
      },
      { merchantId: 'kassa-google-pay', encryptedPayload: 'e30=', flow: 'GATEWAY' },
    ];
    for (const instrument of wallets) {
      for (const amount of [1000, 2051, 2096]) {
        const s = await createSession(t, { ...ORDER, amount });
        const token = (await sdk(t, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: instrument })).json().token;
        const paid = valid(await api(t, 'POST', '/payments', { paymentMethodToken: token }), v.payment, `wallet ${amount}`);
        if (amount !== 1000) continue;
        valid(await act(t, paid.id, 'capture', { amount: 600 }), v.payment, 'wallet captured');
        valid(await act(t, paid.id, 'refund', { amount: 100 }), v.payment, 'wallet refunded');
        valid(await api(t, 'GET', `/payments/${paid.id}?expand=transactions.events`), v.payment, 'wallet read');
      }
      const s = await createSession(t, ORDER);
      const token = (await sdk(t, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: instrument })).json().token;
      const paid = (await api(t, 'POST', '/payments', { paymentMethodToken: token })).json();
      valid(await act(t, paid.id, 'cancel'), v.payment, 'wallet cancelled');
    }
  });

  test('PayPal payments (order and billing agreement) and the saved agreement validate, with their paymentMethodData', async () => {
    const config = { paymentMethodConfigId: 'pmc_paypal' };
    const approve = (url: string, email: string) =>
      t.app.inject({
        method: 'POST',
        url: new URL(url).pathname,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `choice=APPROVE&email=${encodeURIComponent(email)}`,
      });
    for (const email of ['payer@example.com', 'decline@example.com', 'fail@example.com']) {
      const s = await createSession(t, ORDER);
      const order = (await sdk(t, s.accessToken, 'POST', '/paypal/orders/create', { ...config, amount: 1000, currencyCode: 'EUR' })).json();
      await approve(order.approvalUrl, email);
      const instrument = { paypalOrderId: order.orderId };
      const token = (await sdk(t, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: instrument })).json().token;
      const created = valid(await api(t, 'POST', '/payments', { paymentMethodToken: token }), v.payment, `PayPal order ${email}`);
      assert.equal(created.paymentMethod.paymentMethodData.paypalOrderId, order.orderId);
      if (created.status === 'AUTHORIZED') {
        valid(await act(t, created.id, 'capture'), v.payment, 'PayPal captured');
        valid(await act(t, created.id, 'refund', { amount: 100 }), v.payment, 'PayPal refunded');
      }
      valid(await api(t, 'GET', `/payments/${created.id}?expand=transactions.events`), v.payment, 'PayPal read');
    }
    const s = await createSession(t, { ...ORDER, customerId: 'cust-paypal-openapi' });
    const agreement = (await sdk(t, s.accessToken, 'POST', '/paypal/billing-agreements/create-agreement', config)).json();
    await approve(agreement.approvalUrl, 'payer@example.com');
    const confirmed = (
      await sdk(t, s.accessToken, 'POST', '/paypal/billing-agreements/confirm-agreement', { ...config, tokenId: agreement.tokenId })
    ).json();
    const paymentInstrument = { paypalBillingAgreementId: confirmed.billingAgreementId, externalPayerInfo: confirmed.externalPayerInfo };
    await sdk(t, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument, tokenType: 'MULTI_USE', paymentFlow: 'VAULT' });
    const list = valid(await api(t, 'GET', '/payment-instruments?customer_id=cust-paypal-openapi'), v.vaultedList, 'PayPal vault');
    const saved = list.data[0];
    valid(await api(t, 'GET', '/payment-instruments?customer_id=cust-paypal-openapi'), v.vaultedList, 'PayPal vault');
    const paid = valid(
      await api(t, 'POST', '/payments', { paymentMethodToken: saved.token, orderId: 'ord-ba', amount: 300, currencyCode: 'EUR' }),
      v.payment,
      'PayPal agreement payment',
    );
    assert.equal(paid.paymentMethod.paymentMethodData.paypalBillingAgreementId, confirmed.billingAgreementId);
  });

  test('a payment the SDK created reads as a valid server payment', async () => {
    const s = await tokenFor(t, CARDS.visa);
    const created = (await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token })).json();
    valid(await api(t, 'GET', `/payments/${created.id}`), v.payment, 'SDK payment');
    assert.ok(checked > 80, `${checked} answers checked`);
  });
});
