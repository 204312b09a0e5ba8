// engines: sqlite, postgres
// The processor 3DS sandbox page (threeDSecureMode PROCESSOR_3DS; docs/payments.md, "3DS"): the
// action's client token carries redirectUrl and statusUrl; the page authenticates or fails the
// challenge once; the status the SDK polls turns COMPLETE with the resume token; the page dies with
// the action.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultCheckoutConfig } from '../../src/checkout/configuration.ts';
import { createSession, headers, testApp, type TestApp } from '../support/app.ts';
import { decodeLikeAndroid, sdkHeaders } from '../checkout/support.ts';

describe('the processor 3DS page', () => {
  let t: TestApp;
  before(async () => {
    const checkout = defaultCheckoutConfig('SANDBOX');
    checkout.sandbox = { ...checkout.sandbox, threeDSecureMode: 'PROCESSOR_3DS' };
    t = await testApp({ checkout });
  });
  after(() => t.close());

  async function challenged(number = '4000000000000051') {
    const s = await createSession(t, { orderId: 'o-1', currencyCode: 'EUR', amount: 1234 });
    const tokenized = await t.app.inject({
      method: 'POST',
      url: '/payment-instruments',
      headers: sdkHeaders(s.accessToken),
      payload: { paymentInstrument: { number, cvv: '123', expirationMonth: '12', expirationYear: '2030' } },
    });
    const created = await t.app.inject({
      method: 'POST',
      url: '/payments',
      headers: headers(t.apiKey),
      payload: { paymentMethodToken: tokenized.json().token },
    });
    const payment = created.json();
    assert.equal(payment.status, 'PENDING');
    assert.equal(payment.requiredAction.name, 'PROCESSOR_3DS');
    const claims = decodeLikeAndroid(payment.requiredAction.clientToken);
    const page = new URL(claims.redirectUrl as string).pathname;
    assert.equal(new URL(claims.statusUrl as string).pathname, `${page}/status`);
    assert.equal(claims.intent, 'PROCESSOR_3DS');
    return { payment, page };
  }

  const form = (outcome: string) => ({ 'content-type': 'application/x-www-form-urlencoded', payload: `outcome=${outcome}` });

  test('authenticate: the page shows the amount, the status turns COMPLETE with the resume token, and resume authorizes', async () => {
    const { payment, page } = await challenged();
    const shown = await t.app.inject({ method: 'GET', url: page });
    assert.equal(shown.statusCode, 200);
    assert.match(shown.headers['content-type'] as string, /text\/html/);
    assert.match(shown.body, /1234 EUR/);
    assert.match(shown.body, /id="authenticate"/);
    assert.deepEqual((await t.app.inject({ method: 'GET', url: `${page}/status` })).json(), { status: 'PENDING', source: '3DS' });
    const { payload, ...h } = form('AUTH_SUCCESS');
    assert.equal((await t.app.inject({ method: 'POST', url: page, headers: h, payload })).statusCode, 200);
    const status = (await t.app.inject({ method: 'GET', url: `${page}/status` })).json();
    assert.equal(status.status, 'COMPLETE');
    assert.match(status.id, /^[0-9a-f-]{36}$/);
    const resumed = await t.app.inject({
      method: 'POST',
      url: `/payments/${payment.id}/resume`,
      headers: headers(t.apiKey),
      payload: { resumeToken: status.id },
    });
    assert.equal(resumed.json().status, 'AUTHORIZED');
    // Single use: the action is closed, and the page with it.
    assert.equal((await t.app.inject({ method: 'GET', url: `${page}/status` })).json().error.errorId, 'PaymentError');
  });

  test('fail: the resumed payment is declined; a second answer does not change the first', async () => {
    const { payment, page } = await challenged();
    const fail = form('AUTH_FAILED');
    await t.app.inject({ method: 'POST', url: page, headers: { 'content-type': fail['content-type'] }, payload: fail.payload });
    const again = form('AUTH_SUCCESS');
    await t.app.inject({ method: 'POST', url: page, headers: { 'content-type': again['content-type'] }, payload: again.payload });
    const status = (await t.app.inject({ method: 'GET', url: `${page}/status` })).json();
    const resumed = await t.app.inject({
      method: 'POST',
      url: `/payments/${payment.id}/resume`,
      headers: headers(t.apiKey),
      payload: { resumeToken: status.id },
    });
    assert.equal(resumed.json().status, 'DECLINED');
    assert.equal(resumed.json().paymentMethod.threeDSecureAuthentication.responseCode, 'AUTH_FAILED');
  });

  test('an unknown action id is a PaymentError; a malformed one a validation error', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: `/kassa/sandbox/3ds/${'a'.repeat(48)}` })).json().error.errorId, 'PaymentError');
    assert.equal((await t.app.inject({ method: 'GET', url: '/kassa/sandbox/3ds/x' })).statusCode, 422);
  });

  test('after an hour the action is gone: the page refuses it', async () => {
    const { page } = await challenged();
    t.clock.advance(60 * 60 * 1000 + 1);
    assert.equal((await t.app.inject({ method: 'GET', url: page })).json().error.errorId, 'PaymentError');
  });
});
