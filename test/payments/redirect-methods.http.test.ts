// engines: sqlite, postgres
// Redirect methods and Primer's test methods (docs/payments.md, "Payment methods"; spec §5, §6): each
// SDK's OFF_SESSION_PAYMENT tokenize body, the SDK's payment PENDING on a USE_PRIMER_SDK action whose
// token carries <TYPE>_REDIRECTION, redirectUrl and statusUrl; Kassa's page (Complete, Reject, Cancel)
// returning to the SDK's redirectionUrl; the poll with the action token's accessToken; resume; the
// sandbox helper; an abandoned redirect; and the test methods' flowDecision.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultCheckoutConfig } from '../../src/checkout/configuration.ts';
import { decodeLikeAndroid } from '../checkout/support.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import { api, assertError, errorPaths, ORDER, post, read, sdk, statusEvents, UUID } from './support.ts';

const PAY_NL_CONFIG_ID = '5b1a3c1e-0d5f-4f7e-9a51-2f1d0c9e8b7a';

const ios = (type: string, configId: string) => ({
  type: 'OFF_SESSION_PAYMENT',
  paymentMethodConfigId: configId,
  paymentMethodType: type,
  sessionInfo: { locale: 'nl-NL', platform: 'IOS', redirectionUrl: 'merchantapp://kassa' },
});
const android = (type: string, configId: string) => ({
  type: 'OFF_SESSION_PAYMENT',
  paymentMethodType: type,
  paymentMethodConfigId: configId,
  sessionInfo: { platform: 'ANDROID', locale: 'nl_NL', redirectionUrl: 'primer://requestor.com.example.shop/async' },
});
const web = (type: string, configId: string) => ({
  type: 'OFF_SESSION_PAYMENT',
  paymentMethodType: type,
  paymentMethodConfigId: configId,
  sessionInfo: {
    locale: 'nl-NL',
    platform: 'WEB',
    browserInfo: {
      javaEnabled: false,
      language: 'nl-NL',
      colorDepth: 24,
      screenHeight: 900,
      screenWidth: 1440,
      timezoneOffset: -60,
      userAgent: 'Mozilla/5.0',
    },
    redirectMode: 'POPUP',
  },
});
const testMethod = (type: string, flowDecision: string) => ({
  type: 'OFF_SESSION_PAYMENT',
  paymentMethodType: type,
  paymentMethodConfigId: `pmc_${type.toLowerCase()}`,
  sessionInfo: { flowDecision, platform: 'IOS', locale: 'en-US' },
});

describe('redirect and test methods', () => {
  let t: TestApp;
  before(async () => {
    const checkout = defaultCheckoutConfig('SANDBOX');
    checkout.paymentMethods.push(
      { id: PAY_NL_CONFIG_ID, type: 'PAY_NL_IDEAL', name: 'iDEAL', implementationType: 'WEB_REDIRECT', icon: 'ideal' },
      { id: 'pmc_adyen_sofort', type: 'ADYEN_SOFORT', name: 'Sofort', implementationType: 'WEB_REDIRECT', icon: 'ideal' },
      ...['PRIMER_TEST_PAYPAL', 'PRIMER_TEST_KLARNA', 'PRIMER_TEST_SOFORT'].map((type) => ({
        id: `pmc_${type.toLowerCase()}`,
        type,
        name: type,
        implementationType: 'NATIVE_SDK' as const,
        icon: 'ideal',
      })),
    );
    t = await testApp({ checkout });
  });
  after(() => t.close());

  async function tokenize(instrument: Record<string, unknown>) {
    const s = await createSession(t, ORDER);
    const res = await sdk(t, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: instrument });
    return { s, res };
  }

  /** Tokenize and create the payment as the SDK does; returns its answer and the action token's claims. */
  async function sdkPayment(instrument: Record<string, unknown>) {
    const { s, res } = await tokenize(instrument);
    assert.equal(res.statusCode, 200, res.body);
    const created = await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: res.json().token });
    assert.equal(created.statusCode, 200, created.body);
    const payment = created.json();
    const claims = payment.requiredAction ? decodeLikeAndroid(payment.requiredAction.clientToken) : undefined;
    return { s, payment, claims };
  }

  const path = (url: unknown) => new URL(url as string).pathname;
  const choose = (page: string, outcome: string) =>
    t.app.inject({
      method: 'POST',
      url: page,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `outcome=${outcome}`,
    });

  test('each SDK tokenizes OFF_SESSION_PAYMENT; the token names the method (Android reads paymentMethodType from it)', async () => {
    for (const [body, sessionInfo] of [
      [ios('ADYEN_IDEAL', 'pmc_adyen_ideal'), { locale: 'nl-NL', platform: 'IOS', redirectionUrl: 'merchantapp://kassa' }],
      [
        android('ADYEN_IDEAL', 'pmc_adyen_ideal'),
        { locale: 'nl_NL', platform: 'ANDROID', redirectionUrl: 'primer://requestor.com.example.shop/async' },
      ],
      // browserInfo is not kept: the answer does not show it.
      [web('ADYEN_IDEAL', 'pmc_adyen_ideal'), { locale: 'nl-NL', platform: 'WEB' }],
    ] as const) {
      const { res } = await tokenize(body);
      assert.equal(res.statusCode, 200, res.body);
      const token = res.json();
      assert.match(token.token, /^tok_/);
      assert.equal(token.tokenType, 'SINGLE_USE');
      assert.equal(typeof token.analyticsId, 'string');
      assert.equal(token.paymentInstrumentType, 'OFF_SESSION_PAYMENT');
      assert.equal(token.paymentMethodType, 'ADYEN_IDEAL');
      assert.deepEqual(token.paymentInstrumentData, {
        paymentMethodType: 'ADYEN_IDEAL',
        paymentMethodConfigId: 'pmc_adyen_ideal',
        sessionInfo,
      });
    }
  });

  test('complete on the page: PENDING with a USE_PRIMER_SDK action, the poll turns COMPLETE, resume succeeds, capture and refund as a card', async () => {
    const { s, payment, claims } = await sdkPayment(android('ADYEN_IDEAL', 'pmc_adyen_ideal'));
    assert.equal(payment.status, 'PENDING');
    assert.equal(payment.requiredAction.name, 'USE_PRIMER_SDK');
    assert.equal(typeof payment.requiredAction.description, 'string');
    assert.equal(claims!.intent, 'ADYEN_IDEAL_REDIRECTION');
    assert.equal(typeof claims!.exp, 'number');
    const accessToken = claims!.accessToken as string;
    assert.notEqual(accessToken, s.accessToken);
    const page = path(claims!.redirectUrl);
    assert.equal(path(claims!.statusUrl), `${page}/status`);

    // Android validates every action token first.
    const validated = await sdk(t, accessToken, 'POST', '/client-token/validate', { clientToken: payment.requiredAction.clientToken });
    assert.equal(validated.statusCode, 200, validated.body);
    assert.deepEqual(validated.json(), { success: true });

    const pending = await sdk(t, accessToken, 'GET', `${page}/status`);
    assert.equal(pending.statusCode, 200, pending.body);
    assert.equal(pending.headers['cache-control'], 'no-store');
    assert.deepEqual(pending.json(), { status: 'PENDING', id: '', source: 'ADYEN_IDEAL' });

    const shown = await t.app.inject({ method: 'GET', url: page });
    assert.equal(shown.statusCode, 200);
    assert.match(shown.body, /1000 EUR/);
    for (const id of ['complete', 'reject', 'cancel']) assert.match(shown.body, new RegExp(`id="${id}"`));

    const chosen = await choose(page, 'COMPLETE');
    assert.equal(chosen.statusCode, 303);
    assert.equal(chosen.headers.location, 'primer://requestor.com.example.shop/async');

    const complete = (await sdk(t, accessToken, 'GET', `${page}/status`)).json();
    assert.equal(complete.status, 'COMPLETE');
    assert.match(complete.id, UUID);
    assert.equal(complete.source, 'ADYEN_IDEAL');

    const resumed = await sdk(t, accessToken, 'POST', `/payments/${payment.id}/resume`, { resumeToken: complete.id });
    assert.equal(resumed.statusCode, 200, resumed.body);
    assert.equal(resumed.json().status, 'SUCCESS');
    assert.equal(resumed.json().requiredAction, undefined);

    const shownByApi = await read(t, payment.id);
    assert.equal(shownByApi.status, 'AUTHORIZED');
    assert.equal(shownByApi.paymentMethod.paymentMethodType, 'ADYEN_IDEAL');
    assert.equal(shownByApi.paymentMethod.paymentMethodData, undefined);
    assert.equal((await post(t, payment.id, 'capture')).json().status, 'SETTLED');
    const refunded = (await post(t, payment.id, 'refund', { amount: 400 })).json();
    assert.equal(refunded.processor.amountRefunded, 400);
    assert.deepEqual(await statusEvents(t, payment.id), ['PENDING', 'AUTHORIZED', 'SETTLED']);
    // The action is closed: its page with it.
    assertError(await t.app.inject({ method: 'GET', url: page }), 400, 'PaymentError');
  });

  test('reject declines with a Primer decline reason; cancel fails; iOS resumes the same way', async () => {
    for (const [outcome, status, type] of [
      ['REJECT', 'DECLINED', 'ISSUER_DECLINED'],
      ['CANCEL', 'FAILED', 'APPLICATION_ERROR'],
    ] as const) {
      const { payment, claims } = await sdkPayment(ios('ADYEN_SOFORT', 'pmc_adyen_sofort'));
      const page = path(claims!.redirectUrl);
      const chosen = await choose(page, outcome);
      assert.equal(chosen.headers.location, 'merchantapp://kassa');
      // The first choice stands.
      await choose(page, 'COMPLETE');
      const accessToken = claims!.accessToken as string;
      const { id } = (await sdk(t, accessToken, 'GET', `${page}/status`)).json();
      const resumed = (await sdk(t, accessToken, 'POST', `/payments/${payment.id}/resume`, { resumeToken: id })).json();
      assert.equal(resumed.status, 'FAILED');
      const shown = await read(t, payment.id);
      assert.equal(shown.status, status);
      assert.equal(shown.statusReason.type, type);
      if (status === 'DECLINED') assert.equal(shown.statusReason.code, 'DO_NOT_HONOR');
      assert.deepEqual(await statusEvents(t, payment.id), ['PENDING', status]);
    }
  });

  test('without a redirectionUrl (web popup) the page shows that it is done', async () => {
    const { claims } = await sdkPayment(web('ADYEN_IDEAL', 'pmc_adyen_ideal'));
    const chosen = await choose(path(claims!.redirectUrl), 'COMPLETE');
    assert.equal(chosen.statusCode, 200);
    assert.match(chosen.body, /id="result"/);
  });

  test('the sandbox helper chooses without a browser; PAY_NL_IDEAL shows its paymentMethodData', async () => {
    const { res } = await tokenize(android('PAY_NL_IDEAL', PAY_NL_CONFIG_ID));
    const created = await api(t, 'POST', '/payments', { paymentMethodToken: res.json().token });
    assert.equal(created.statusCode, 200, created.body);
    const payment = created.json();
    assert.equal(payment.status, 'PENDING');
    assert.equal(payment.requiredAction.name, 'USE_PRIMER_SDK');
    assert.deepEqual(payment.paymentMethod.paymentMethodData, { paymentMethodConfigId: PAY_NL_CONFIG_ID });
    const helped = await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/redirect`, { outcome: 'COMPLETE' });
    assert.equal(helped.statusCode, 200, helped.body);
    const resumed = await post(t, payment.id, 'resume', { resumeToken: helped.json().resumeToken });
    assert.equal(resumed.json().status, 'AUTHORIZED');
    assertError(
      await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/redirect`, { outcome: 'COMPLETE' }),
      400,
      'InvalidPaymentStatus',
    );
    assert.deepEqual(
      [...new Set(errorPaths(await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/redirect`, { outcome: 'MAYBE' })))],
      ['$.outcome'],
    );
    assertError(
      await api(t, 'POST', '/kassa/sandbox/payments/pay_0000000000000000/redirect', { outcome: 'COMPLETE' }),
      400,
      'PaymentError',
    );
  });

  test('idempotency as for cards: a completed create or resume key is refused with the payment named', async () => {
    const { res } = await tokenize(android('ADYEN_IDEAL', 'pmc_adyen_ideal'));
    const token = res.json().token;
    const created = await api(t, 'POST', '/payments', { paymentMethodToken: token }, { idempotencyKey: 'redirect-1' });
    assert.equal(created.statusCode, 200, created.body);
    const again = assertError(
      await api(t, 'POST', '/payments', { paymentMethodToken: token }, { idempotencyKey: 'redirect-1' }),
      409,
      'IdempotencyKeyAlreadyExists',
    );
    assert.equal(again.paymentId, created.json().id);
    const { resumeToken } = (await api(t, 'POST', `/kassa/sandbox/payments/${created.json().id}/redirect`, { outcome: 'COMPLETE' })).json();
    const resumed = await post(t, created.json().id, 'resume', { resumeToken }, { idempotencyKey: 'resume-1' });
    assert.equal(resumed.json().status, 'AUTHORIZED');
    assertError(
      await post(t, created.json().id, 'resume', { resumeToken }, { idempotencyKey: 'resume-1' }),
      409,
      'IdempotencyKeyAlreadyExists',
    );
  });

  test('abandoned: the action expires after an hour and the payment fails as an expired 3DS action does', async () => {
    const { payment, claims } = await sdkPayment(android('ADYEN_IDEAL', 'pmc_adyen_ideal'));
    t.clock.advance(60 * 60 * 1000);
    await t.app.paymentJobs!.runDue();
    const failed = await read(t, payment.id);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.statusReason.type, 'APPLICATION_ERROR');
    assert.equal(failed.requiredAction, undefined);
    assertError(await t.app.inject({ method: 'GET', url: path(claims!.redirectUrl) }), 400, 'PaymentError');
  });

  test("Primer's test methods: flowDecision SUCCESS, DECLINE, FAIL, never PENDING", async () => {
    for (const [type, decision, sdkStatus, status] of [
      ['PRIMER_TEST_PAYPAL', 'SUCCESS', 'SUCCESS', 'AUTHORIZED'],
      ['PRIMER_TEST_KLARNA', 'DECLINE', 'FAILED', 'DECLINED'],
      ['PRIMER_TEST_SOFORT', 'FAIL', 'FAILED', 'FAILED'],
    ] as const) {
      const { payment } = await sdkPayment(testMethod(type, decision));
      assert.equal(payment.status, sdkStatus);
      assert.equal(payment.requiredAction, undefined);
      const shown = await read(t, payment.id);
      assert.equal(shown.status, status);
      assert.equal(shown.paymentMethod.paymentMethodType, type);
      if (status === 'DECLINED') assert.equal(shown.statusReason.type, 'ISSUER_DECLINED');
    }
  });

  test('hostile or wrong instruments are 422 at their path, and nothing is kept', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ ...android('PAYPAL', 'pmc_paypal') }, ['$.paymentInstrument.paymentMethodType']],
      [{ ...android('ADYEN_IDEAL', 'pmc_other') }, ['$.paymentInstrument.paymentMethodConfigId']],
      [
        { ...android('ADYEN_IDEAL', 'pmc_adyen_ideal'), sessionInfo: { redirectionUrl: 'javascript:alert(1)' } },
        ['$.paymentInstrument.sessionInfo.redirectionUrl'],
      ],
      [{ ...android('ADYEN_IDEAL', 'pmc_adyen_ideal'), sessionInfo: 'x' }, ['$.paymentInstrument.sessionInfo']],
      [testMethod('PRIMER_TEST_PAYPAL', 'MAYBE'), ['$.paymentInstrument.sessionInfo.flowDecision']],
    ];
    for (const [instrument, paths] of cases) {
      const { res } = await tokenize(instrument);
      assertError(res, 422, 'RequestValidationError');
      assert.deepEqual(errorPaths(res), paths);
      assert.doesNotMatch(res.body, /javascript/);
    }
    const s = await createSession(t, { ...ORDER });
    const multi = await sdk(t, s.accessToken, 'POST', '/payment-instruments', {
      paymentInstrument: android('ADYEN_IDEAL', 'pmc_adyen_ideal'),
      tokenType: 'MULTI_USE',
    });
    assert.deepEqual(errorPaths(multi), ['$.tokenType']);
    assertError(await t.app.inject({ method: 'GET', url: '/kassa/sandbox/redirect/notAnActionId0000' }), 400, 'PaymentError');
    assertError(await t.app.inject({ method: 'GET', url: '/kassa/sandbox/redirect/%3Cscript%3E' }), 422, 'RequestValidationError');
    const { claims } = await sdkPayment(android('ADYEN_IDEAL', 'pmc_adyen_ideal'));
    const page = path(claims!.redirectUrl);
    assertError(await t.app.inject({ method: 'GET', url: `${page}/status` }), 400, 'ClientSessionValidationError');
    assertError(await choose(page, 'MAYBE'), 422, 'RequestValidationError');
    // Another session's token does not read this payment's status.
    const other = await createSession(t, ORDER);
    assertError(await sdk(t, other.accessToken, 'GET', `${page}/status`), 400, 'PaymentError');
  });

  test('the dashboard names the method of a payment without a card', async () => {
    const { payment } = await sdkPayment(testMethod('PRIMER_TEST_PAYPAL', 'SUCCESS'));
    const res = await t.app.inject({ method: 'GET', url: `/dashboard/api/payments/${payment.id}`, headers: { 'x-api-key': t.apiKey } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().paymentMethodType, 'PRIMER_TEST_PAYPAL');
    assert.equal(res.json().card, undefined);
  });
});
