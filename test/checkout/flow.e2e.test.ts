// engines: sqlite, postgres
// End to end over real HTTP on 127.0.0.1: the server creates a session, a "browser" (fetch with an
// Origin) follows the token to the configuration, sends actions, and the server sees the result.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { headers, testApp, type TestApp } from '../support/app.ts';
import { decodeLikeAndroid, sdkHeaders } from './support.ts';

describe('a checkout over real HTTP', () => {
  let t: TestApp;
  let base: string;
  before(async () => {
    t = await testApp();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => t.close());

  test('server creates a session -> browser SDK fetches configuration -> actions -> server reads the change', async () => {
    const created = await fetch(`${base}/client-session`, {
      method: 'POST',
      headers: headers(t.apiKey),
      body: JSON.stringify({
        orderId: 'order-e2e',
        currencyCode: 'EUR',
        order: { countryCode: 'NL', lineItems: [{ itemId: 'mug', amount: 1200, quantity: 2 }] },
        paymentMethod: { options: { PAYPAL: { surcharge: { amount: 50 } } } },
      }),
    });
    assert.equal(created.status, 200);
    const { clientToken } = (await created.json()) as { clientToken: string };
    const claims = decodeLikeAndroid(clientToken);
    // The token names KASSA_PUBLIC_URL; the browser here reaches Kassa at `base` (as iOS rewrites 10.0.2.2).
    const configUrl = `${base}${new URL(claims.configurationUrl as string).pathname}/?withDisplayMetadata=true`;
    const browser = { ...sdkHeaders(claims.accessToken as string), origin: 'http://localhost:3000' };

    const configuration = await fetch(configUrl, { headers: browser });
    assert.equal(configuration.status, 200);
    assert.equal(configuration.headers.get('access-control-allow-origin'), '*');
    const config = (await configuration.json()) as { clientSession: { order: { totalOrderAmount: number } } };
    assert.equal(config.clientSession.order.totalOrderAmount, 2400);

    const preflight = await fetch(`${base}/client-session/actions`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'primer-client-token,content-type',
      },
    });
    assert.equal(preflight.status, 204);

    const acted = await fetch(`${base}/client-session/actions`, {
      method: 'POST',
      headers: browser,
      body: JSON.stringify({
        actions: [
          { type: 'SELECT_PAYMENT_METHOD', params: { paymentMethodType: 'PAYPAL' } },
          { type: 'SELECT_SHIPPING_METHOD', params: { shippingMethodId: 'express' } },
          { type: 'SET_EMAIL_ADDRESS', params: { emailAddress: 'ada@example.com' } },
        ],
      }),
    });
    assert.equal(acted.status, 200);
    assert.equal(((await acted.json()) as typeof config).clientSession.order.totalOrderAmount, 3450);

    const read = await fetch(`${base}/client-session?clientToken=${encodeURIComponent(clientToken)}`, { headers: headers(t.apiKey) });
    const session = (await read.json()) as Record<string, any>;
    assert.equal(session.amount, 3450);
    assert.deepEqual(session.order.fees, [{ amount: 50, type: 'SURCHARGE' }]);
    assert.equal(session.order.shipping.methodId, 'express');
    assert.equal(session.customer.emailAddress, 'ada@example.com');
  });
});
