// engines: sqlite, postgres
// POST /client-session/actions: every action type the SDKs send (docs/sdk.md, "Actions"), the change persisted
// (seen through GET /client-session), bad actions rejected with nothing changed.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sha256 } from '../../src/lib/ids.ts';
import { createSession, headers, testApp, type TestApp } from '../support/app.ts';
import { act, getSession, sdkHeaders } from './support.ts';

const BASE = {
  orderId: 'order-1',
  currencyCode: 'EUR',
  order: { countryCode: 'NL', lineItems: [{ itemId: 'sku-1', amount: 1000 }] },
  paymentMethod: {
    options: {
      PAYMENT_CARD: { networks: { VISA: { surcharge: { amount: 100 } } } },
      PAYPAL: { surcharge: { amount: 50 } },
    },
  },
};

describe('POST /client-session/actions', () => {
  let t: TestApp;
  let s: Awaited<ReturnType<typeof createSession>>;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());
  beforeEach(async () => {
    s = await createSession(t, BASE);
  });

  test('the response is the full configuration, with the changed clientSession', async () => {
    const res = await act(t, s.accessToken, [{ type: 'SET_EMAIL_ADDRESS', params: { emailAddress: 'ada@example.com' } }]);
    assert.equal(res.statusCode, 200, res.body);
    const config = res.json();
    for (const key of [
      'pciUrl',
      'coreUrl',
      'binDataUrl',
      'assetsUrl',
      'env',
      'primerAccountId',
      'paymentMethods',
      'checkoutModules',
      'clientSession',
      'keys',
    ]) {
      assert.ok(key in config, key);
    }
    assert.equal(config.clientSession.customer.emailAddress, 'ada@example.com');
    assert.ok(config.paymentMethods.every((m: { displayMetadata?: object }) => m.displayMetadata));
  });

  test('SET_BILLING_ADDRESS and SET_SHIPPING_ADDRESS replace the address; empty fields are dropped', async () => {
    const billing = {
      firstName: 'Ada',
      lastName: 'Lovelace',
      addressLine1: '1 Main St',
      addressLine2: '',
      city: 'Amsterdam',
      postalCode: '1011',
      state: null,
      countryCode: 'NL',
    };
    const res = await act(t, s.accessToken, [
      { type: 'SET_BILLING_ADDRESS', params: { billingAddress: billing } },
      { type: 'SET_SHIPPING_ADDRESS', params: { shippingAddress: { addressLine1: '2 Side St', countryCode: 'NL', unknownField: 1 } } },
    ]);
    assert.equal(res.statusCode, 200, res.body);
    const session = await getSession(t, s.clientToken);
    assert.deepEqual(session.customer, {
      billingAddress: {
        firstName: 'Ada',
        lastName: 'Lovelace',
        addressLine1: '1 Main St',
        city: 'Amsterdam',
        postalCode: '1011',
        countryCode: 'NL',
      },
      shippingAddress: { addressLine1: '2 Side St', countryCode: 'NL' },
    });
    await act(t, s.accessToken, [{ type: 'SET_SHIPPING_ADDRESS', params: { shippingAddress: { city: 'Utrecht' } } }]);
    assert.deepEqual((await getSession(t, s.clientToken)).customer.shippingAddress, { city: 'Utrecht' });
  });

  test('SET_CUSTOMER_FIRST_NAME, SET_CUSTOMER_LAST_NAME, SET_EMAIL_ADDRESS, SET_MOBILE_NUMBER set and clear', async () => {
    const res = await act(t, s.accessToken, [
      { type: 'SET_CUSTOMER_FIRST_NAME', params: { firstName: 'Ada' } },
      { type: 'SET_CUSTOMER_LAST_NAME', params: { lastName: 'Lovelace' } },
      { type: 'SET_EMAIL_ADDRESS', params: { emailAddress: 'ada@example.com' } },
      { type: 'SET_MOBILE_NUMBER', params: { mobileNumber: '+31600000000' } },
    ]);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual((await getSession(t, s.clientToken)).customer, {
      emailAddress: 'ada@example.com',
      mobileNumber: '+31600000000',
      firstName: 'Ada',
      lastName: 'Lovelace',
    });
    await act(t, s.accessToken, [
      { type: 'SET_CUSTOMER_FIRST_NAME', params: { firstName: '' } },
      { type: 'SET_MOBILE_NUMBER', params: { mobileNumber: null } },
    ]);
    assert.deepEqual((await getSession(t, s.clientToken)).customer, { emailAddress: 'ada@example.com', lastName: 'Lovelace' });
  });

  test('SELECT_SHIPPING_METHOD takes shipping_method_id (iOS, Android) and shippingMethodId (primer-js)', async () => {
    const first = await act(t, s.accessToken, [{ type: 'SELECT_SHIPPING_METHOD', params: { shipping_method_id: 'express' } }]);
    assert.equal(first.statusCode, 200, first.body);
    let session = await getSession(t, s.clientToken);
    assert.deepEqual(session.order.shipping, {
      amount: 1000,
      methodId: 'express',
      methodName: 'Express',
      methodDescription: 'Next working day',
    });
    assert.equal(session.amount, 2000);
    const shippingModule = first.json().checkoutModules.find((m: { type: string }) => m.type === 'SHIPPING');
    assert.equal(shippingModule.options.selectedShippingMethod, 'express');

    const second = await act(t, s.accessToken, [{ type: 'SELECT_SHIPPING_METHOD', params: { shippingMethodId: 'standard' } }]);
    assert.equal(second.statusCode, 200, second.body);
    session = await getSession(t, s.clientToken);
    assert.equal(session.order.shipping.methodId, 'standard');
    assert.equal(session.amount, 1000);
    assert.equal(second.json().clientSession.order.totalOrderAmount, 1000);
  });

  test('SELECT_PAYMENT_METHOD adds the surcharge fee, UNSELECT_PAYMENT_METHOD (with or without params) removes it', async () => {
    const selected = await act(t, s.accessToken, [{ type: 'SELECT_PAYMENT_METHOD', params: { paymentMethodType: 'PAYPAL' } }]);
    assert.equal(selected.statusCode, 200, selected.body);
    assert.equal(selected.json().clientSession.order.totalOrderAmount, 1050);
    let session = await getSession(t, s.clientToken);
    assert.deepEqual(session.order.fees, [{ amount: 50, type: 'SURCHARGE' }]);
    assert.equal(session.amount, 1050);

    const card = await act(t, s.accessToken, [
      { type: 'SELECT_PAYMENT_METHOD', params: { paymentMethodType: 'PAYMENT_CARD', binData: { network: 'VISA' } } },
    ]);
    assert.equal(card.json().clientSession.order.totalOrderAmount, 1100);

    for (const unselect of [{ type: 'UNSELECT_PAYMENT_METHOD' }, { type: 'UNSELECT_PAYMENT_METHOD', params: {} }]) {
      await act(t, s.accessToken, [{ type: 'SELECT_PAYMENT_METHOD', params: { paymentMethodType: 'PAYPAL' } }]);
      const res = await act(t, s.accessToken, [unselect]);
      assert.equal(res.statusCode, 200, res.body);
      session = await getSession(t, s.clientToken);
      assert.equal(session.order.fees, undefined);
      assert.equal(session.amount, 1000);
    }
  });

  test('actions bump the stored version once per request and keep the token', async () => {
    const hash = sha256(s.accessToken);
    const before = await t.store.sessions.findByAccessTokenHash(hash);
    await act(t, s.accessToken, [
      { type: 'SET_CUSTOMER_FIRST_NAME', params: { firstName: 'Ada' } },
      { type: 'SET_CUSTOMER_LAST_NAME', params: { lastName: 'L' } },
    ]);
    const after = await t.store.sessions.findByAccessTokenHash(hash);
    assert.equal(after!.version, before!.version + 1);
    assert.equal(after!.expiresAt, before!.expiresAt);
  });

  test('an unknown action type or bad params is a 422 naming each problem, and nothing changes', async () => {
    const hash = sha256(s.accessToken);
    const before = await t.store.sessions.findByAccessTokenHash(hash);
    const res = await act(t, s.accessToken, [
      { type: 'SET_CUSTOMER_FIRST_NAME', params: { firstName: 'Ada' } },
      { type: 'SET_SURCHARGE_FEE', params: { amount: 1 } },
      { type: 'SET_EMAIL_ADDRESS', params: { emailAddress: 'not-an-email' } },
      { type: 'SELECT_SHIPPING_METHOD', params: { shipping_method_id: 'teleport' } },
      { type: 'SELECT_SHIPPING_METHOD', params: {} },
      { type: 'SET_BILLING_ADDRESS', params: { billingAddress: { countryCode: 'XX' } } },
      { type: 'SELECT_PAYMENT_METHOD', params: {} },
      { type: 'SET_MOBILE_NUMBER', params: { mobileNumber: 42 } },
    ]);
    assert.equal(res.statusCode, 422, res.body);
    const body = res.json();
    assert.equal(body.error.errorId, 'RequestValidationError');
    assert.equal(body.error.validationErrors[0].model, 'ClientSessionActionsRequest');
    assert.deepEqual(
      body.error.validationErrors[0].errors.map((e: { path: string }) => e.path),
      [
        '$.actions[1].type',
        '$.actions[2].params.emailAddress',
        '$.actions[3].params.shipping_method_id',
        '$.actions[4].params.shipping_method_id',
        '$.actions[5].params.billingAddress.countryCode',
        '$.actions[6].params.paymentMethodType',
        '$.actions[7].params.mobileNumber',
      ],
    );
    const after = await t.store.sessions.findByAccessTokenHash(hash);
    assert.deepEqual(after, before);
  });

  test('a body that is not {actions:[…]} is refused before anything is read', async () => {
    for (const payload of [{}, { actions: [] }, { actions: [{ params: {} }] }, { actions: 'x' }]) {
      const res = await t.app.inject({ method: 'POST', url: '/client-session/actions', headers: sdkHeaders(s.accessToken), payload });
      assert.equal(res.statusCode, 422, JSON.stringify(payload));
      assert.equal(res.json().error.errorId, 'RequestValidationError');
    }
    const text = await t.app.inject({
      method: 'POST',
      url: '/client-session/actions',
      headers: { ...sdkHeaders(s.accessToken), 'content-type': 'text/plain' },
      payload: 'x',
    });
    assert.equal(text.statusCode, 415);
  });

  test('a bad token is 400 ClientSessionValidationError and nothing changes', async () => {
    const res = await act(t, 'f'.repeat(40), [{ type: 'SET_CUSTOMER_FIRST_NAME', params: { firstName: 'Eve' } }]);
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.errorId, 'ClientSessionValidationError');
    assert.equal((await getSession(t, s.clientToken)).customer, undefined);
  });

  test('a result the session rules refuse (amount past 2^53-1) is a 422 and nothing changes', async () => {
    const big = await createSession(t, {
      currencyCode: 'EUR',
      order: { lineItems: [{ amount: Number.MAX_SAFE_INTEGER - 10 }] },
      paymentMethod: { options: { PAYPAL: { surcharge: { amount: 100 } } } },
    });
    const res = await act(t, big.accessToken, [{ type: 'SELECT_PAYMENT_METHOD', params: { paymentMethodType: 'PAYPAL' } }]);
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.json().error.validationErrors[0].errors[0].path, '$.order');
    assert.equal((await getSession(t, big.clientToken)).order.fees, undefined);
  });

  test('actions and PATCH change the same session: each sees the other', async () => {
    await act(t, s.accessToken, [{ type: 'SET_CUSTOMER_FIRST_NAME', params: { firstName: 'Ada' } }]);
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/client-session',
      headers: { 'x-api-key': t.apiKey, 'x-api-version': '2.4', 'content-type': 'application/json' },
      payload: { clientToken: s.clientToken, customer: { lastName: 'Lovelace' } },
    });
    assert.equal(patch.statusCode, 200);
    assert.deepEqual(patch.json().customer, { firstName: 'Ada', lastName: 'Lovelace' });
    const config = await t.app.inject({ method: 'GET', url: '/client-sdk/configuration', headers: sdkHeaders(s.accessToken) });
    assert.deepEqual(config.json().clientSession.customer, { firstName: 'Ada', lastName: 'Lovelace' });
  });

  test('N actions grow the history by what they change, not N sessions; the history API still shows each top-level field {from, to}', async () => {
    const lineItems = Array.from({ length: 50 }, (_, i) => ({ itemId: `sku-${i}`, description: `Item number ${i}`, amount: 100 }));
    const big = await createSession(t, { ...BASE, order: { countryCode: 'NL', lineItems } });
    const stored = (await t.store.sessions.findByAccessTokenHash(sha256(big.accessToken)))!;
    const sessionBytes = JSON.stringify(stored.data).length;
    const bytes = async () =>
      (await t.store.sessions.events('mer_default', stored.id)).reduce((n, e) => n + JSON.stringify(e.detail).length, 0);
    const start = await bytes();
    const N = 30;
    for (let i = 0; i < N; i++) {
      const action = [
        { type: 'SELECT_PAYMENT_METHOD', params: { paymentMethodType: 'PAYPAL' } },
        { type: 'UNSELECT_PAYMENT_METHOD' },
        { type: 'SET_EMAIL_ADDRESS', params: { emailAddress: `shopper-${i}@example.com` } },
      ][i % 3];
      assert.equal((await act(t, big.accessToken, [action])).statusCode, 200);
    }
    const grown = (await bytes()) - start;
    // Each change is a fee or an address of some 100 bytes; the session is over 3 KB.
    assert.ok(sessionBytes > 3000, `the session is ${sessionBytes} bytes`);
    assert.ok(grown < N * 200, `${N} actions grew the history by ${grown} bytes (the session is ${sessionBytes})`);

    const res = await t.app.inject({ method: 'GET', url: `/kassa/client-sessions/${stored.id}/events`, headers: headers(t.apiKey) });
    assert.equal(res.statusCode, 200, res.body);
    const events = res.json().data as { type: string; changes: Record<string, any> }[];
    assert.equal(events.length, 1 + N);
    const [, selected, unselected, email] = events;
    assert.deepEqual(selected!.changes, {
      order: {
        from: { countryCode: 'NL', lineItems },
        to: { countryCode: 'NL', lineItems, fees: [{ amount: 50, type: 'SURCHARGE' }] },
      },
      amount: { from: 5000, to: 5050 },
    });
    assert.deepEqual(unselected!.changes, {
      order: { from: selected!.changes.order.to, to: selected!.changes.order.from },
      amount: { from: 5050, to: 5000 },
    });
    assert.deepEqual(email!.changes, { customer: { to: { emailAddress: 'shopper-2@example.com' } } });
    assert.deepEqual(events.at(-1)!.changes, {
      customer: { from: { emailAddress: `shopper-${N - 4}@example.com` }, to: { emailAddress: `shopper-${N - 1}@example.com` } },
    });
  });
});
