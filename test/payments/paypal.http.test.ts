// engines: sqlite, postgres
// PayPal, checkout and vault (docs/payments.md, "PayPal"; spec §1): the SDKs' order and billing
// agreement calls in their own spellings, Kassa's approval page (Approve with a payer email that
// chooses the outcome, Cancel) redirecting as §1.3 says, tokenize → PAYPAL_ORDER /
// PAYPAL_BILLING_AGREEMENT, the payment SUCCESS or FAILED with no required action (§0.5), the Payments
// API's paymentMethodData, the vault, and hostile input answered in Primer's envelope.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import { api, assertError, errorPaths, ORDER, post, read, sdk, statusEvents } from './support.ts';

const CONFIG_ID = 'pmc_paypal';
const IOS_RETURN = 'merchantapp://paypal-success';
const IOS_CANCEL = 'merchantapp://paypal-cancel';
const ANDROID_RETURN = 'primer://requestor.com.example.shop/paypal/0b7f6e2c/success';

describe('PayPal', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  const mobileOrder = (returnUrl = IOS_RETURN, cancelUrl = IOS_CANCEL) => ({
    paymentMethodConfigId: CONFIG_ID,
    amount: 1000,
    currencyCode: 'EUR',
    returnUrl,
    cancelUrl,
  });
  const webOrder = {
    paymentMethodConfigId: CONFIG_ID,
    amount: 1000,
    currencyCode: 'EUR',
    amountBreakdown: { item_total: { value: '10.00', currency_code: 'EUR' } },
    return_url: 'https://shop.example/paypal/return',
    cancel_url: 'https://shop.example/paypal/cancel',
    shipping_address: { first_name: 'Ada', last_name: 'Lovelace', address_line_1: '1 Main St', city: 'London', country_code: 'GB' },
    items: [{ name: 'Tea', unit_amount: { value: '10.00', currency_code: 'EUR' }, quantity: '1' }],
  };
  const page = (url: string) => new URL(url).pathname;
  const choose = (url: string, choice: 'APPROVE' | 'CANCEL', email?: string) =>
    t.app.inject({
      method: 'POST',
      url: page(url),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `choice=${choice}${email !== undefined ? `&email=${encodeURIComponent(email)}` : ''}`,
    });

  /** A session, an order the payer approved (with `email`), and the order's payer info as the SDK reads it. */
  async function approvedOrder(email?: string, body: Record<string, unknown> = mobileOrder()) {
    const s = await createSession(t, ORDER);
    const created = await sdk(t, s.accessToken, 'POST', '/paypal/orders/create', body);
    assert.equal(created.statusCode, 200, created.body);
    const { orderId, approvalUrl } = created.json();
    const approved = await choose(approvalUrl, 'APPROVE', email);
    assert.equal(approved.statusCode, 302, approved.body);
    const info = await sdk(t, s.accessToken, 'POST', '/paypal/orders', { paymentMethodConfigId: CONFIG_ID, orderId });
    assert.equal(info.statusCode, 200, info.body);
    return { s, orderId, approvalUrl, location: approved.headers.location as string, payer: info.json().externalPayerInfo };
  }

  async function pay(accessToken: string, instrument: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const tokenized = await sdk(t, accessToken, 'POST', '/payment-instruments', { paymentInstrument: instrument, ...extra });
    assert.equal(tokenized.statusCode, 200, tokenized.body);
    const created = await sdk(t, accessToken, 'POST', '/payments', { paymentMethodToken: tokenized.json().token });
    assert.equal(created.statusCode, 200, created.body);
    return { token: tokenized.json(), payment: created.json() };
  }

  test('iOS: create order, approve on the page (302 to returnUrl?token=&PayerID=), payer info, tokenize in both spellings, SUCCESS', async () => {
    const { s, orderId, approvalUrl, location, payer } = await approvedOrder();
    assert.match(orderId, /^PAYPAL-[A-Za-z0-9]{24}$/);
    assert.equal(page(approvalUrl), `/kassa/sandbox/paypal/${orderId}`);
    assert.equal(location, `${IOS_RETURN}?token=${orderId}&PayerID=${payer.externalPayerId}`);
    assert.deepEqual(payer, {
      externalPayerId: payer.externalPayerId,
      email: 'payer@example.com',
      firstName: 'Sandbox',
      lastName: 'Payer',
    });
    assert.match(payer.externalPayerId, /^[A-Z0-9]{13}$/);

    const { token, payment } = await pay(s.accessToken, {
      paypalOrderId: orderId,
      externalPayerInfo: {
        externalPayerId: payer.externalPayerId,
        external_payer_id: payer.externalPayerId,
        email: payer.email,
        firstName: 'Sandbox',
        first_name: 'Sandbox',
        lastName: 'Payer',
        last_name: 'Payer',
      },
    });
    assert.equal(token.paymentInstrumentType, 'PAYPAL_ORDER');
    assert.equal(token.paymentMethodType, 'PAYPAL');
    assert.equal(token.tokenType, 'SINGLE_USE');
    assert.deepEqual(token.paymentInstrumentData, { paypalOrderId: orderId, externalPayerInfo: payer, paypalStatus: 'APPROVED' });
    // Spec §0.5: SUCCESS, never a required action.
    assert.equal(payment.status, 'SUCCESS');
    assert.equal(payment.requiredAction, undefined);

    const shown = await read(t, payment.id);
    assert.equal(shown.status, 'AUTHORIZED');
    assert.equal(shown.paymentMethod.paymentMethodType, 'PAYPAL');
    assert.deepEqual(shown.paymentMethod.paymentMethodData, { paypalOrderId: orderId, externalPayerInfo: payer, paypalStatus: 'APPROVED' });
    assert.equal(shown.paymentMethod.threeDSecureAuthentication, undefined);
    assert.equal(shown.cardTokenType, undefined);
    // Capture, refund and the history as for a card.
    assert.equal((await post(t, payment.id, 'capture')).json().status, 'SETTLED');
    assert.equal((await post(t, payment.id, 'refund', { amount: 300 })).json().processor.amountRefunded, 300);
    assert.deepEqual(await statusEvents(t, payment.id), ['PENDING', 'AUTHORIZED', 'SETTLED']);
  });

  test('Android (snake_case inside camelCase keys) and web (snake_case) tokenize the same order', async () => {
    const android = await approvedOrder(undefined, mobileOrder(ANDROID_RETURN, `${ANDROID_RETURN}/cancel`));
    // Android accepts the return when the URL minus its query is its successUrl, and reads `token`.
    const back = new URL(android.location);
    assert.equal(`${back.protocol}//${back.host}${back.pathname}`, ANDROID_RETURN);
    assert.equal(back.searchParams.get('token'), android.orderId);
    const a = await pay(android.s.accessToken, {
      paypalOrderId: android.orderId,
      externalPayerInfo: { email: 'payer@example.com', external_payer_id: 'X', first_name: 'A', last_name: 'B' },
    });
    assert.equal(a.token.paymentInstrumentType, 'PAYPAL_ORDER');
    // What the SDK echoes is not what is kept: the page's payer is.
    assert.deepEqual(a.token.paymentInstrumentData.externalPayerInfo, android.payer);
    assert.equal(a.payment.status, 'SUCCESS');

    const web = await approvedOrder(undefined, webOrder);
    assert.match(web.location, /^https:\/\/shop\.example\/paypal\/return\?token=PAYPAL-/);
    const w = await pay(web.s.accessToken, {
      paypal_order_id: web.orderId,
      paypal_status: 'APPROVED',
      external_payer_info: { email: 'payer@example.com', external_payer_id: 'X', first_name: 'A', last_name: 'B' },
      shipping_address: { firstName: 'Ada', lastName: 'Lovelace', addressLine1: '1 Main St' },
    });
    assert.equal(w.token.paymentInstrumentData.paypalOrderId, web.orderId);
    assert.equal(w.payment.status, 'SUCCESS');
  });

  test("the payer's email chooses: decline@ declines (DO_NOT_HONOR), fail@ fails; the SDK sees FAILED", async () => {
    for (const [email, status, type] of [
      ['decline@example.com', 'DECLINED', 'ISSUER_DECLINED'],
      ['fail+ci@example.com', 'FAILED', 'GATEWAY_REJECTED'],
    ] as const) {
      const { s, orderId } = await approvedOrder(email);
      const { payment } = await pay(s.accessToken, { paypalOrderId: orderId });
      assert.equal(payment.status, 'FAILED');
      assert.equal(payment.requiredAction, undefined);
      const shown = await read(t, payment.id);
      assert.equal(shown.status, status);
      assert.equal(shown.statusReason.type, type);
      if (status === 'DECLINED') assert.equal(shown.statusReason.code, 'DO_NOT_HONOR');
      assert.deepEqual(await statusEvents(t, payment.id), ['PENDING', status]);
    }
  });

  test('cancel on the page: 302 to cancelUrl; payer info and tokenize answer 4xx; the first choice stands', async () => {
    const s = await createSession(t, ORDER);
    const { orderId, approvalUrl } = (await sdk(t, s.accessToken, 'POST', '/paypal/orders/create', mobileOrder())).json();
    const shown = await t.app.inject({ method: 'GET', url: page(approvalUrl) });
    assert.equal(shown.statusCode, 200);
    assert.equal(shown.headers['cache-control'], 'no-store');
    assert.match(shown.body, /1000 EUR/);
    for (const id of ['approve', 'cancel', 'email']) assert.match(shown.body, new RegExp(`id="${id}"`));
    // iOS asks for the payer before the payer chose, and after a cancel (spec §1.4).
    assertError(
      await sdk(t, s.accessToken, 'POST', '/paypal/orders', { paymentMethodConfigId: CONFIG_ID, orderId }),
      400,
      'PayPalOrderNotApproved',
    );

    const cancelled = await choose(approvalUrl, 'CANCEL');
    assert.equal(cancelled.statusCode, 302);
    assert.equal(cancelled.headers.location, IOS_CANCEL);
    const again = await choose(approvalUrl, 'APPROVE');
    assert.equal(again.headers.location, IOS_CANCEL);
    assertError(
      await sdk(t, s.accessToken, 'POST', '/paypal/orders', { paymentMethodConfigId: CONFIG_ID, orderId }),
      400,
      'PayPalOrderNotApproved',
    );
    const tokenized = await sdk(t, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: { paypalOrderId: orderId } });
    assertError(tokenized, 400, 'PayPalOrderNotApproved');
    assert.match((await t.app.inject({ method: 'GET', url: page(approvalUrl) })).body, /id="result">Cancelled/);
  });

  test("another session's order is not this one's; an unknown page or order is Primer's envelope, never a 5xx", async () => {
    const { orderId } = await approvedOrder();
    const other = await createSession(t, ORDER);
    assertError(
      await sdk(t, other.accessToken, 'POST', '/paypal/orders', { paymentMethodConfigId: CONFIG_ID, orderId }),
      400,
      'PayPalOrderNotApproved',
    );
    assertError(
      await sdk(t, other.accessToken, 'POST', '/payment-instruments', { paymentInstrument: { paypalOrderId: orderId } }),
      400,
      'PayPalOrderNotApproved',
    );
    assertError(
      await t.app.inject({ method: 'GET', url: '/kassa/sandbox/paypal/PAYPAL-000000000000000000000000' }),
      400,
      'PayPalOrderNotApproved',
    );
    assertError(await t.app.inject({ method: 'GET', url: '/kassa/sandbox/paypal/..%2F..%2Fetc' }), 422, 'RequestValidationError');
  });

  test('hostile and wrong bodies get 422 naming the field; nothing is created', async () => {
    const s = await createSession(t, ORDER);
    const create = (body: unknown) => sdk(t, s.accessToken, 'POST', '/paypal/orders/create', body);
    assert.deepEqual(errorPaths(await create({ ...mobileOrder(), paymentMethodConfigId: 'pmc_adyen_ideal' })), ['$.paymentMethodConfigId']);
    assert.deepEqual(errorPaths(await create({ ...mobileOrder(), returnUrl: 'javascript:alert(1)' })), ['$.returnUrl']);
    assert.deepEqual(errorPaths(await create({ ...webOrder, cancel_url: 'data:text/html,x' })), ['$.cancel_url']);
    assert.equal((await create({ ...mobileOrder(), amount: 10.5 })).statusCode, 422);
    assert.equal((await create({ ...mobileOrder(), amount: '1000' })).statusCode, 422);
    assert.equal((await create([])).statusCode >= 400 && (await create([])).statusCode < 500, true);
    const big = await create({ ...mobileOrder(), locale: 'x'.repeat(9000) });
    assertError(big, 413, 'PayloadTooLarge');
    const tok = (instrument: unknown) => sdk(t, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: instrument });
    assert.deepEqual(errorPaths(await tok({ paypalOrderId: 42 })), ['$.paymentInstrument.paypalOrderId']);
    assert.deepEqual(errorPaths(await tok({ paypalOrderId: '<script>' })), ['$.paymentInstrument.paypalOrderId']);
    assert.deepEqual(errorPaths(await tok({ paypal_order_id: 'PAYPAL-x', external_payer_info: 'me' })), [
      '$.paymentInstrument.external_payer_info',
    ]);
    assertError(
      await sdk(t, s.accessToken, 'POST', '/paypal/orders', { paymentMethodConfigId: CONFIG_ID, orderId: 'x'.repeat(500) }),
      422,
      'RequestValidationError',
    );
    // Without a client token: the SDK routes' 400.
    assertError(
      await t.app.inject({ method: 'POST', url: '/paypal/orders/create', payload: mobileOrder() }),
      400,
      'ClientSessionValidationError',
    );
    // The page's form: an unknown choice or a malformed email.
    const { approvalUrl } = (await create(mobileOrder())).json();
    assert.equal((await choose(approvalUrl, 'MAYBE' as 'APPROVE')).statusCode, 422);
    assert.equal((await choose(approvalUrl, 'APPROVE', 'not an email')).statusCode, 422);
    // Still undecided: a refused choice changed nothing.
    assert.match((await t.app.inject({ method: 'GET', url: page(approvalUrl) })).body, /id="approve"/);
  });

  test('vault: create and approve an agreement (302 to returnUrl?ba_token=), confirm, tokenize MULTI_USE → PAYPAL_BILLING_AGREEMENT, listed and paid again by the server', async () => {
    const s = await createSession(t, { ...ORDER, customerId: 'cust-paypal' });
    const created = await sdk(t, s.accessToken, 'POST', '/paypal/billing-agreements/create-agreement', {
      paymentMethodConfigId: CONFIG_ID,
      returnUrl: IOS_RETURN,
      cancelUrl: IOS_CANCEL,
    });
    assert.equal(created.statusCode, 200, created.body);
    const { tokenId, approvalUrl } = created.json();
    assert.match(tokenId, /^BA-/);
    assertError(
      await sdk(t, s.accessToken, 'POST', '/paypal/billing-agreements/confirm-agreement', { paymentMethodConfigId: CONFIG_ID, tokenId }),
      400,
      'PayPalOrderNotApproved',
    );
    assert.match((await t.app.inject({ method: 'GET', url: page(approvalUrl) })).body, /Save PayPal/);
    const approved = await choose(approvalUrl, 'APPROVE', 'saver@example.com');
    assert.equal(approved.headers.location, `${IOS_RETURN}?ba_token=${tokenId}`);
    const confirmed = await sdk(t, s.accessToken, 'POST', '/paypal/billing-agreements/confirm-agreement', {
      paymentMethodConfigId: CONFIG_ID,
      tokenId,
    });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    const { billingAgreementId, externalPayerInfo } = confirmed.json();
    assert.match(billingAgreementId, /^B-/);
    assert.equal(externalPayerInfo.email, 'saver@example.com');

    // Android sends camelCase here (spec §1.8).
    const tokenized = await sdk(t, s.accessToken, 'POST', '/payment-instruments', {
      paymentInstrument: { paypalBillingAgreementId: billingAgreementId, externalPayerInfo },
      tokenType: 'MULTI_USE',
      paymentFlow: 'VAULT',
    });
    assert.equal(tokenized.statusCode, 200, tokenized.body);
    const token = tokenized.json();
    assert.equal(token.tokenType, 'MULTI_USE');
    assert.equal(token.isVaulted, true);
    assert.equal(token.paymentInstrumentType, 'PAYPAL_BILLING_AGREEMENT');
    assert.deepEqual(token.paymentInstrumentData, {
      paypalBillingAgreementId: billingAgreementId,
      externalPayerInfo,
      paypalStatus: 'APPROVED',
    });
    assert.deepEqual(token.vaultData, { customerId: 'cust-paypal' });

    // The SDK's vault list shows it (iOS reads externalPayerInfo.email); the server's too.
    const listed = await sdk(t, s.accessToken, 'GET', '/payment-instruments');
    assert.equal(listed.statusCode, 200, listed.body);
    const row = listed.json().data.find((r: Record<string, any>) => r.paymentInstrumentType === 'PAYPAL_BILLING_AGREEMENT');
    assert.equal(row.paymentInstrumentData.externalPayerInfo.email, 'saver@example.com');
    const server = await api(t, 'GET', '/payment-instruments?customer_id=cust-paypal');
    assert.equal(server.statusCode, 200, server.body);
    const [saved] = server.json().data;
    assert.equal(saved.paymentMethodType, 'PAYPAL');
    assert.equal(saved.paymentMethodData.paypalBillingAgreementId, billingAgreementId);

    // The merchant's server pays with the saved agreement, twice.
    for (const orderId of ['ord-ba-1', 'ord-ba-2']) {
      const paid = await api(t, 'POST', '/payments', { paymentMethodToken: saved.token, orderId, amount: 500, currencyCode: 'EUR' });
      assert.equal(paid.statusCode, 200, paid.body);
      assert.equal(paid.json().status, 'AUTHORIZED');
      assert.equal(paid.json().paymentMethod.paymentMethodType, 'PAYPAL');
      assert.equal(paid.json().paymentMethod.isVaulted, true);
      assert.equal(paid.json().paymentMethod.paymentMethodData.paypalBillingAgreementId, billingAgreementId);
    }
    // Idempotency as for cards: a key pays once.
    const body = { paymentMethodToken: saved.token, orderId: 'ord-ba-3', amount: 500, currencyCode: 'EUR' };
    assert.equal((await api(t, 'POST', '/payments', body, { idempotencyKey: 'paypal-ba-3' })).statusCode, 200);
    assertError(await api(t, 'POST', '/payments', body, { idempotencyKey: 'paypal-ba-3' }), 409, 'IdempotencyKeyAlreadyExists');
  });

  test('an order cannot be saved, and MULTI_USE needs a customer', async () => {
    const { s, orderId } = await approvedOrder();
    const res = await sdk(t, s.accessToken, 'POST', '/payment-instruments', {
      paymentInstrument: { paypalOrderId: orderId },
      tokenType: 'MULTI_USE',
    });
    assert.deepEqual(errorPaths(res), ['$.tokenType']);
    const noCustomer = await createSession(t, { orderId: 'o', currencyCode: 'EUR', amount: 100 });
    const { tokenId, approvalUrl } = (
      await sdk(t, noCustomer.accessToken, 'POST', '/paypal/billing-agreements/create-agreement', { paymentMethodConfigId: CONFIG_ID })
    ).json();
    // No returnUrl (web): the page shows the result.
    const approved = await choose(approvalUrl, 'APPROVE');
    assert.equal(approved.statusCode, 200);
    assert.match(approved.body, /id="result">Approved/);
    const res2 = await sdk(t, noCustomer.accessToken, 'POST', '/payment-instruments', {
      paymentInstrument: { paypalBillingAgreementId: `B-${tokenId.slice(3)}` },
      tokenType: 'MULTI_USE',
    });
    assert.deepEqual(errorPaths(res2), ['$.tokenType']);
  });

  test('PAYPAL is not an OFF_SESSION_PAYMENT', async () => {
    const s = await createSession(t, ORDER);
    const res = await sdk(t, s.accessToken, 'POST', '/payment-instruments', {
      paymentInstrument: { type: 'OFF_SESSION_PAYMENT', paymentMethodType: 'PAYPAL', paymentMethodConfigId: CONFIG_ID },
    });
    assert.deepEqual(errorPaths(res), ['$.paymentInstrument.paymentMethodType']);
  });
});
