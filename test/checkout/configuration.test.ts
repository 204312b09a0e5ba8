// engines: sqlite, postgres
// GET /client-sdk/configuration, decoded with the rules each SDK applies (docs/sdk.md, "The configuration").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { COUNTRY_CODES } from '../../src/primer/enums.ts';
import { createSession, START, testApp, type TestApp } from '../support/app.ts';
import { decodeLikeAndroid, decodeLikeIos, sdkHeaders } from './support.ts';

const ANDROID_ENVS = ['LOCAL_DOCKER', 'DEV', 'SANDBOX', 'STAGING', 'PRODUCTION'];
const IOS_ENVS = ['DEV', 'STAGING', 'SANDBOX', 'PRODUCTION'];
const IOS_IMPLEMENTATION_TYPES = ['NATIVE_SDK', 'WEB_REDIRECT', 'IPAY88_SDK', 'FORM_WITH_REDIRECT', 'BACKEND_DRIVEN'];

const SESSION = {
  orderId: 'order-1',
  currencyCode: 'EUR',
  customerId: 'cust-1',
  order: {
    countryCode: 'DE',
    lineItems: [{ itemId: 'sku-1', description: 'Mug', amount: 1000, quantity: 2 }],
    shipping: { amount: 500 },
  },
  customer: { emailAddress: 'ada@example.com', firstName: 'Ada' },
  paymentMethod: {
    vaultOnSuccess: true,
    orderedAllowedCardNetworks: ['VISA', 'MASTERCARD'],
    options: {
      PAYMENT_CARD: { networks: { VISA: { surcharge: { amount: 100 } }, MASTERCARD: {} } },
      PAYPAL: { surcharge: { amount: 50 } },
      KLARNA: { surcharge: { amount: 0 }, extraMerchantData: { note: 'x' } },
    },
  },
};

/** Android's ConfigurationDataResponse: these keys must be present and typed, else the decode throws. */
function assertAndroidDecodes(config: Record<string, any>) {
  for (const key of ['pciUrl', 'coreUrl', 'binDataUrl']) assert.equal(typeof config[key], 'string', key);
  assert.ok(Array.isArray(config.paymentMethods));
  assert.ok(Array.isArray(config.checkoutModules));
  assert.equal(typeof config.clientSession, 'object');
  assert.ok(ANDROID_ENVS.includes(config.env), `Android env ${config.env}`);
  const country = config.clientSession.order?.countryCode;
  assert.ok(country === undefined || (COUNTRY_CODES as readonly string[]).includes(country));
}

/** iOS PrimerConfiguration: arrays required, env from its enum, methods need type/name/implementationType. */
function assertIosDecodes(config: Record<string, any>) {
  assert.ok(Array.isArray(config.paymentMethods));
  assert.ok(Array.isArray(config.checkoutModules));
  assert.ok(config.env === undefined || IOS_ENVS.includes(config.env), `iOS env ${config.env}`);
  for (const method of config.paymentMethods) {
    assert.equal(typeof method.type, 'string');
    assert.equal(typeof method.name, 'string');
    assert.ok(IOS_IMPLEMENTATION_TYPES.includes(method.implementationType), method.implementationType);
    // iOS hides methods without a logo in its drop-in.
    assert.equal(typeof method.displayMetadata.button.iconUrl.colored, 'string');
  }
  for (const item of config.clientSession.order.lineItems ?? []) assert.ok(Number.isInteger(item.quantity));
}

/** The web loader: destructures clientSession, reads order.currencyCode and totalOrderAmount. */
function assertWebLoaderReads(config: Record<string, any>) {
  const { clientSessionId, customer } = config.clientSession;
  assert.equal(typeof clientSessionId, 'string');
  assert.equal(typeof customer, 'object');
  for (const key of ['binDataUrl', 'coreUrl', 'env', 'pciUrl', 'primerAccountId']) assert.equal(typeof config[key], 'string', key);
  assert.equal(typeof config.clientSession.order.currencyCode, 'string');
  assert.ok(Number.isInteger(config.clientSession.order.totalOrderAmount));
  assert.ok(Array.isArray(config.clientSession.paymentMethod.orderedAllowedCardNetworks));
  assert.equal(typeof config.clientSession.paymentMethod.vaultOnSuccess, 'boolean');
}

describe('GET /client-sdk/configuration', () => {
  let t: TestApp;
  let session: Awaited<ReturnType<typeof createSession>>;
  before(async () => {
    t = await testApp();
    session = await createSession(t, SESSION);
  });
  after(() => t.close());

  test('the token decodes the same on Android, iOS and web, and leads to the configuration', async () => {
    const android = decodeLikeAndroid(session.clientToken);
    const ios = decodeLikeIos(session.clientToken);
    assert.deepEqual(android, ios);
    assert.equal(android.intent, 'CHECKOUT');
    assert.ok(Number.isInteger(android.exp) && (android.exp as number) * 1000 > START);
    const url = new URL(android.configurationUrl as string);
    assert.ok(url.pathname.includes('client-sdk/configuration'));
    // The web loader's request: `{configurationUrl}/?withDisplayMetadata=true`.
    const res = await t.app.inject({
      method: 'GET',
      url: `${url.pathname}/?withDisplayMetadata=true`,
      headers: sdkHeaders(android.accessToken as string),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.headers['content-type'] as string, /application\/json/);
    const config = res.json();
    assertAndroidDecodes(config);
    assertIosDecodes(config);
    assertWebLoaderReads(config);
  });

  test('the whole body: URLs from KASSA_PUBLIC_URL, the built-in methods and modules, the SDK clientSession', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/client-sdk/configuration', headers: sdkHeaders(session.accessToken) });
    const config = res.json();
    const base = 'http://localhost:8080';
    assert.equal(config.pciUrl, base);
    assert.equal(config.coreUrl, base);
    assert.equal(config.binDataUrl, base);
    assert.equal(config.assetsUrl, `${base}/assets`);
    assert.equal(config.env, 'SANDBOX');
    assert.equal(config.primerAccountId, 'mer_default');
    assert.equal(config.keys, null);
    assert.deepEqual(
      config.paymentMethods.map((m: { type: string }) => m.type),
      ['PAYMENT_CARD', 'PAYPAL', 'GOOGLE_PAY', 'APPLE_PAY', 'KLARNA', 'ADYEN_IDEAL'],
    );
    assert.deepEqual(
      config.checkoutModules.map((m: { type: string }) => m.type),
      ['CARD_INFORMATION', 'BILLING_ADDRESS', 'SHIPPING'],
    );
    assert.deepEqual(config.clientSession, {
      clientSessionId: config.clientSession.clientSessionId,
      customerId: 'cust-1',
      orderId: 'order-1',
      currencyCode: 'EUR',
      amount: 2500,
      order: {
        orderId: 'order-1',
        currencyCode: 'EUR',
        totalOrderAmount: 2500,
        countryCode: 'DE',
        lineItems: [{ itemId: 'sku-1', description: 'Mug', amount: 1000, quantity: 2 }],
        shipping: { amount: 500 },
        shippingAmount: 500,
      },
      customer: { customerId: 'cust-1', emailAddress: 'ada@example.com', firstName: 'Ada' },
      paymentMethod: {
        vaultOnSuccess: true,
        orderedAllowedCardNetworks: ['VISA', 'MASTERCARD'],
        options: [
          {
            type: 'PAYMENT_CARD',
            networks: [
              { type: 'VISA', surcharge: 100 },
              { type: 'MASTERCARD', surcharge: 0 },
            ],
          },
          { type: 'PAYPAL', surcharge: 50 },
          { type: 'KLARNA', surcharge: 0, extraMerchantData: { note: 'x' } },
        ],
      },
    });
    assert.match(config.clientSession.clientSessionId, /^cs_/);
    // The same session through the server API: its id is what the SDKs see.
    const stored = await t.store.sessions.findByAccessTokenHash((await import('../../src/lib/ids.ts')).sha256(session.accessToken));
    assert.equal(stored?.id, config.clientSession.clientSessionId);
  });

  test('a minimal session still gives every object the SDKs read into', async () => {
    const bare = await createSession(t, {});
    const res = await t.app.inject({ method: 'GET', url: '/client-sdk/configuration', headers: sdkHeaders(bare.accessToken, '2.3') });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-api-version'], '2.3');
    const config = res.json();
    assertAndroidDecodes(config);
    assert.deepEqual(config.clientSession.order, {});
    assert.deepEqual(config.clientSession.customer, {});
    assert.equal(config.clientSession.paymentMethod.vaultOnSuccess, false);
    assert.deepEqual(config.clientSession.paymentMethod.options, []);
  });

  test('icons are served by Kassa at the URLs displayMetadata names', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/client-sdk/configuration?withDisplayMetadata=true',
      headers: sdkHeaders(session.accessToken),
    });
    for (const method of res.json().paymentMethods) {
      const url = new URL(method.displayMetadata.button.iconUrl.colored);
      assert.equal(url.origin, 'http://localhost:8080');
      const icon = await t.app.inject({ method: 'GET', url: url.pathname });
      assert.equal(icon.statusCode, 200, url.pathname);
      assert.equal(icon.headers['content-type'], 'image/svg+xml');
      assert.match(icon.body, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    }
    for (const bad of ['/assets/icons/constructor.svg', '/assets/icons/nope.svg', '/assets/icons/card.png']) {
      const res404 = await t.app.inject({ method: 'GET', url: bad });
      assert.equal(res404.statusCode, 404, bad);
      assert.equal(res404.json().error.errorId, 'NotFound');
    }
  });

  test('withDisplayMetadata=false leaves displayMetadata out; absent or true keeps it', async () => {
    const get = (query: string) =>
      t.app.inject({ method: 'GET', url: `/client-sdk/configuration${query}`, headers: sdkHeaders(session.accessToken) });
    const without = (await get('?withDisplayMetadata=false')).json();
    assert.ok(without.paymentMethods.every((m: object) => !('displayMetadata' in m)));
    for (const query of ['', '?withDisplayMetadata=true', '/']) {
      const withMeta = (await get(query)).json();
      assert.ok(
        withMeta.paymentMethods.every((m: { displayMetadata?: object }) => m.displayMetadata !== undefined),
        query,
      );
    }
  });

  test('a missing, unknown or expired access token gets 400 ClientSessionValidationError in the envelope', async () => {
    const cases: Array<Record<string, string>> = [
      { 'x-api-version': '2.4' },
      sdkHeaders('0'.repeat(40)),
      // The JWT itself is not the access token.
      sdkHeaders(session.clientToken),
    ];
    for (const headers of cases) {
      const res = await t.app.inject({ method: 'GET', url: '/client-sdk/configuration', headers });
      assert.equal(res.statusCode, 400);
      const body = res.json();
      assert.equal(body.error.errorId, 'ClientSessionValidationError');
      assert.equal(body.error.diagnosticsId, res.headers['x-request-id']);
    }
    const t2 = await testApp({ env: { KASSA_TOKEN_TTL_SECONDS: '60' } });
    try {
      const short = await createSession(t2, { currencyCode: 'EUR' });
      const ok = await t2.app.inject({ method: 'GET', url: '/client-sdk/configuration', headers: sdkHeaders(short.accessToken) });
      assert.equal(ok.statusCode, 200);
      t2.clock.advance(60_000);
      const expired = await t2.app.inject({ method: 'GET', url: '/client-sdk/configuration', headers: sdkHeaders(short.accessToken) });
      assert.equal(expired.statusCode, 400);
      assert.equal(expired.json().error.errorId, 'ClientSessionValidationError');
    } finally {
      await t2.close();
    }
  });

  test('an unknown X-Api-Version is refused as on the server API', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/client-sdk/configuration', headers: sdkHeaders(session.accessToken, '3.0') });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.errorId, 'InvalidApiVersion');
  });
});

describe('POST /client-token/validate', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  test('a live token is {"success":true}; a tampered, unknown-key or expired one is the envelope', async () => {
    const { clientToken, accessToken } = await createSession(t, { currencyCode: 'EUR' });
    const validate = (token: string) =>
      t.app.inject({ method: 'POST', url: '/client-token/validate', headers: sdkHeaders(accessToken), payload: { clientToken: token } });
    const ok = await validate(clientToken);
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { success: true });

    const [h, p, s] = clientToken.split('.') as [string, string, string];
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...decodeLikeIos(clientToken), accessToken: '1'.repeat(40) })).toString('base64url')}.${s}`;
    for (const bad of [tampered, `${h}.${p}.${s.slice(0, -2)}AA`, 'not-a-jwt']) {
      const res = await validate(bad);
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error.errorId, 'ClientSessionValidationError');
    }
    const missing = await t.app.inject({ method: 'POST', url: '/client-token/validate', headers: sdkHeaders(accessToken), payload: {} });
    assert.equal(missing.statusCode, 422);
    assert.equal(missing.json().error.errorId, 'RequestValidationError');

    t.clock.advance(86_400_000);
    const expired = await validate(clientToken);
    assert.equal(expired.statusCode, 400);
  });
});
