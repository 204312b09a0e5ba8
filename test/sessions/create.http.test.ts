// engines: sqlite, postgres
// POST /client-session (docs/api.md; docs/decisions.md, "Wire format").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FULL_REQUEST, START, createSession, decodeJwtPayload, getSession, headers, testApp } from '../support/app.ts';
import { DEFAULT_CARD_NETWORKS } from '../../src/primer/enums.ts';

test("create computes Primer's documented example: 500 + fee 100 + shipping 50 = 650", async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  const { response: body } = await createSession(app, {
    orderId: 'order-abc',
    currencyCode: 'GBP',
    order: {
      lineItems: [{ itemId: 't-shirt-1', amount: 500, quantity: 1 }],
      fees: [{ type: 'SURCHARGE', amount: 100 }],
      shipping: { amount: 50 },
    },
  });
  const { clientToken, clientTokenExpirationDate, warnings: _w, ...rest } = body;
  assert.equal(typeof clientToken, 'string');
  assert.equal(clientTokenExpirationDate, '2026-11-25T09:00:00.123000');
  assert.deepEqual(rest, {
    orderId: 'order-abc',
    currencyCode: 'GBP',
    amount: 650,
    order: {
      lineItems: [{ itemId: 't-shirt-1', amount: 500, quantity: 1 }],
      fees: [{ amount: 100, type: 'SURCHARGE' }],
      shipping: { amount: 50 },
    },
  });
});

test('create accepts every field of the v2.4 request and echoes it, with the computed amount and defaults', async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  const { response: body } = await createSession(app, FULL_REQUEST);
  const { clientToken: _t, clientTokenExpirationDate: _d, ...rest } = body;
  // (1500*2 - 300) + (1000 + 200) + shipping 500 + fee 100
  assert.deepEqual(rest, { ...FULL_REQUEST, amount: 4500 });
  const read = await getSession(app, body.clientToken);
  assert.equal(read.statusCode, 200);
  assert.deepEqual(read.json(), { ...FULL_REQUEST, amount: 4500 });
});

test("the response follows the field order of Primer's response schemas", async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  const res = await app.app.inject({ method: 'POST', url: '/client-session', headers: headers(app.apiKey), payload: FULL_REQUEST });
  assert.deepEqual(Object.keys(res.json()), [
    'clientToken',
    'clientTokenExpirationDate',
    'orderId',
    'currencyCode',
    'amount',
    'order',
    'customerId',
    'customer',
    'metadata',
    'paymentMethod',
  ]);
  const read = await getSession(app, res.json().clientToken);
  assert.deepEqual(Object.keys(read.json()), [
    'customerId',
    'orderId',
    'currencyCode',
    'amount',
    'metadata',
    'customer',
    'order',
    'paymentMethod',
  ]);
  assert.deepEqual(Object.keys(read.json().order.lineItems[0]).slice(0, 4), ['itemId', 'name', 'description', 'amount']);
});

test('no field is required: an empty body creates a session, with the three MISSING_DATA warnings', async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  const { response: body } = await createSession(app, {});
  assert.deepEqual(Object.keys(body), ['clientToken', 'clientTokenExpirationDate', 'warnings']);
  assert.deepEqual(
    body.warnings
      .filter((w: { type: string }) => w.type === 'CLIENT_SESSION')
      .map((w: { type: string; code: string; message: string }) => [w.type, w.code, w.message.split(' is missing')[0]]),
    [
      ['CLIENT_SESSION', 'MISSING_DATA', '$.currencyCode'],
      ['CLIENT_SESSION', 'MISSING_DATA', '$.orderId'],
      ['CLIENT_SESSION', 'MISSING_DATA', '$.amount or $.order.lineItems'],
    ],
  );
});

test('warnings are omitted when nothing is missing, and an amount satisfies the amount rule', async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  const { response: complete } = await createSession(app, {
    orderId: 'o',
    currencyCode: 'EUR',
    order: { countryCode: 'NL', lineItems: [{ amount: 1 }] },
    customer: { emailAddress: 'a@b.co' },
  });
  assert.equal('warnings' in complete, false);
  const { response: withAmount } = await createSession(app, {
    orderId: 'o',
    currencyCode: 'EUR',
    amount: 100,
    order: { countryCode: 'NL' },
    customer: { emailAddress: 'a@b.co' },
  });
  // The session rules are met; only Klarna (offered by the default checkout) still wants line items.
  assert.deepEqual(withAmount.warnings, [
    { type: 'KLARNA', code: 'MISSING_DATA', message: 'KLARNA needs $.order.lineItems, which is missing.' },
  ]);
});

test('a top-level amount overrides the computed amount', async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  const { response: body } = await createSession(app, { amount: 999, order: { lineItems: [{ amount: 500 }], shipping: { amount: 50 } } });
  assert.equal(body.amount, 999);
});

test('unknown nested fields are accepted, not stored, and reported as warnings', async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  const { response: body } = await createSession(app, {
    orderId: 'o',
    currencyCode: 'EUR',
    amount: 1,
    customer: { emailAddress: 'a@b.co', favouriteColour: 'blue', billingAddress: { city: 'X', planet: 'Earth' } },
    order: { lineItems: [{ amount: 1, colour: 'red' }] },
    paymentMethod: { paymentMethodType: 'PAYMENT_CARD' },
  });
  assert.deepEqual(
    body.warnings.filter((w: { type: string }) => w.type === 'REQUEST'),
    [
      { type: 'REQUEST', code: 'UNKNOWN_FIELD_IGNORED', message: '$.customer.favouriteColour was ignored' },
      { type: 'REQUEST', code: 'UNKNOWN_FIELD_IGNORED', message: '$.customer.billingAddress.planet was ignored' },
      { type: 'REQUEST', code: 'UNKNOWN_FIELD_IGNORED', message: '$.order.lineItems[0].colour was ignored' },
      { type: 'REQUEST', code: 'UNKNOWN_FIELD_IGNORED', message: '$.paymentMethod.paymentMethodType was ignored' },
    ],
  );
  const read = (await getSession(app, body.clientToken)).json();
  assert.deepEqual(read.customer, { emailAddress: 'a@b.co', billingAddress: { city: 'X' } });
  assert.deepEqual(read.order, { lineItems: [{ amount: 1 }] });
  const stored = await app.store.sessions.listByMerchant('mer_default', { limit: 1 });
  assert.equal(JSON.stringify(stored[0]!.data).includes('favouriteColour'), false);
});

test('paymentMethod defaults: vault flags false and the full network list when none is given', async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  const { response: body } = await createSession(app, { paymentMethod: { descriptor: 'X' } });
  assert.deepEqual(body.paymentMethod, {
    vaultOnSuccess: false,
    vaultOn3DS: false,
    descriptor: 'X',
    orderedAllowedCardNetworks: [...DEFAULT_CARD_NETWORKS],
  });
});

test('the client token carries the claims the SDKs need, and exp is the expiration date floored to seconds', async (t) => {
  const app = await testApp({ env: { KASSA_PUBLIC_URL: 'https://kassa.example.test/' } });
  t.after(() => app.close());
  const { response: body } = await createSession(app, {});
  const [header, payload, signature] = body.clientToken.split('.');
  assert.ok(signature);
  const jwtHeader = JSON.parse(Buffer.from(header, 'base64url').toString());
  assert.equal(jwtHeader.alg, 'HS256');
  assert.equal(jwtHeader.typ, 'JWT');
  assert.match(jwtHeader.kid, /^kassa-[0-9a-f]{12}$/);
  const raw = Buffer.from(payload, 'base64url').toString();
  assert.match(raw, /"accessToken":"[0-9a-f]{40}"/, 'compact JSON, as Android searches for "accessToken":');
  const claims = decodeJwtPayload(body.clientToken);
  assert.deepEqual(claims, {
    exp: Math.floor((START + 86_400_000) / 1000),
    accessToken: claims.accessToken,
    intent: 'CHECKOUT',
    configurationUrl: 'https://kassa.example.test/client-sdk/configuration',
    coreUrl: 'https://kassa.example.test',
    pciUrl: 'https://kassa.example.test',
    env: 'SANDBOX',
    paymentFlow: 'DEFAULT',
    analyticsUrlV2: 'https://kassa.example.test/sdk-analytics',
  });
  assert.equal(Math.floor(Date.parse(`${body.clientTokenExpirationDate}Z`) / 1000), claims.exp);
});

test('only a hash of the access token is stored', async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  const { response: body } = await createSession(app, { orderId: 'x' });
  const { accessToken } = decodeJwtPayload(body.clientToken) as { accessToken: string };
  const [stored] = await app.store.sessions.listByMerchant('mer_default', { limit: 1 });
  assert.notEqual(stored!.accessTokenHash, accessToken);
  assert.equal(JSON.stringify(stored).includes(accessToken), false);
  assert.equal(JSON.stringify(stored).includes(body.clientToken), false);
});

test('the token lifetime follows KASSA_TOKEN_TTL_SECONDS', async (t) => {
  const app = await testApp({ env: { KASSA_TOKEN_TTL_SECONDS: '3600' } });
  t.after(() => app.close());
  const { response: body } = await createSession(app, {});
  assert.equal(body.clientTokenExpirationDate, '2026-11-24T10:00:00.123000');
});
