// engines: sqlite, postgres
// Primer's spec to the letter (issue #20 §4): what a client written from Primer's OpenAPI v2.4 sends is
// answered as Primer documents it, or refused for a reason docs/api.md lists ("Deviations from
// Primer's spec"). Runs on both engines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import { defaultCheckoutConfig } from '../../src/checkout/configuration.ts';
import { headers, testApp, type TestApp } from '../support/app.ts';
import { api, assertError, CARDS, errorPaths, ORDER, pay, sdk, tokenFor } from './support.ts';

const post = (t: TestApp, paymentId: string, action: string, body?: unknown) => api(t, 'POST', `/payments/${paymentId}/${action}`, body);

/** A POST as a client sends it when it leaves out an optional body: no Content-Type, no bytes. */
const bare = (t: TestApp, url: string) => {
  const { 'content-type': _type, ...h } = headers(t.apiKey);
  return t.app.inject({ method: 'POST', url, headers: h });
};

describe('Primer to the letter', () => {
  let t: TestApp;
  const routes: RouteOptions[] = [];
  before(async () => {
    t = await testApp({ onRoute: (route) => routes.push(route) });
  });
  after(() => t.close());

  test('GET /payments takes Primer’s customer_email_address, and customer_email as an alias', async () => {
    const email = 'letter@example.com';
    const { payment } = await pay(t, CARDS.visa, { session: { ...ORDER, customer: { emailAddress: email } } });
    await pay(t);
    for (const name of ['customer_email_address', 'customer_email']) {
      const res = await api(t, 'GET', `/payments?${name}=${encodeURIComponent(email)}`);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(
        res.json().data.map((p: { id: string }) => p.id),
        [payment.id],
        name,
      );
    }
  });

  describe('a body the spec marks optional, sent without body or Content-Type, is {}', () => {
    test('POST /client-session', async () => {
      const res = await bare(t, '/client-session');
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(typeof res.json().clientToken, 'string');
    });

    test('capture, cancel and refund', async () => {
      const captured = (await pay(t)).payment;
      const capture = await bare(t, `/payments/${captured.id}/capture`);
      assert.equal(capture.statusCode, 200, capture.body);
      assert.equal(capture.json().status, 'SETTLED');
      const refund = await bare(t, `/payments/${captured.id}/refund`);
      assert.equal(refund.statusCode, 200, refund.body);
      assert.equal(refund.json().processor.amountRefunded, ORDER.amount);
      const cancelled = (await pay(t)).payment;
      const cancel = await bare(t, `/payments/${cancelled.id}/cancel`);
      assert.equal(cancel.statusCode, 200, cancel.body);
      assert.equal(cancel.json().status, 'CANCELLED');
    });

    test('a body sent without Content-Type is still 415, and a required body still needs one', async () => {
      const { 'content-type': _type, ...h } = headers(t.apiKey);
      assertError(await t.app.inject({ method: 'POST', url: '/client-session', headers: h, payload: '{}' }), 415, 'UnsupportedMediaType');
      const { payment } = await pay(t);
      assertError(await bare(t, `/payments/${payment.id}/adjust-authorization`), 415, 'UnsupportedMediaType');
      assertError(await bare(t, `/payments/${payment.id}/authorize`), 415, 'UnsupportedMediaType');
    });
  });

  test('the routes both audiences call answer 401 Unauthorized without X-Api-Key or Primer-Client-Token', async () => {
    const { payment } = await pay(t);
    const none = { 'content-type': 'application/json', 'x-api-version': '2.4' };
    for (const [method, url, payload] of [
      ['POST', '/payments', { paymentMethodToken: 'tok_x' }],
      ['POST', `/payments/${payment.id}/resume`, { resumeToken: '00000000-0000-4000-8000-000000000000' }],
      ['GET', '/payment-instruments?customer_id=c', undefined],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: none, ...(payload ? { payload } : {}) });
      assertError(res, 401, 'Unauthorized');
      // A Primer-Client-Token, even a bad one, is still the SDK's call.
      assertError(await sdk(t, 'nope', method, url, payload), 400, 'ClientSessionValidationError');
    }
  });

  test('expand is an array: repeats in the query and long body arrays are accepted, duplicates ignored', async () => {
    const { payment } = await pay(t);
    const events = (res: { statusCode: number; body: string; json(): any }) => {
      assert.equal(res.statusCode, 200, res.body);
      return res.json().transactions[0].events as unknown[] | undefined;
    };
    const once = events(await api(t, 'GET', `/payments/${payment.id}?expand=transactions.events`));
    assert.ok(once && once.length > 0);
    assert.deepEqual(events(await api(t, 'GET', `/payments/${payment.id}?expand=transactions.events&expand=transactions.events`)), once);
    assert.deepEqual(errorPaths(await api(t, 'GET', `/payments/${payment.id}?expand=transactions.events&expand=customer`)), ['$.expand']);
    const capture = await post(t, payment.id, 'capture', { amount: 100, expand: Array(5).fill('transactions.events') });
    assert.equal(events(capture)?.length, (once?.length ?? 0) + 1);
  });

  test('every known path answers a method it does not serve with 405, Allow and the envelope', async () => {
    const concrete = (url: string) => url.replace(/:[^/]+/g, 'x').replace(/\*/g, 'x');
    const served = new Map<string, Set<string>>();
    for (const route of routes) {
      if (route.url === '*') continue; // the CORS preflight's catch-all (OPTIONS anywhere)
      const path = concrete(route.url);
      for (const m of [route.method].flat()) served.set(path, new Set([...(served.get(path) ?? []), m]));
    }
    assert.ok(served.size > 30, `the route table has ${served.size} paths`);
    let checked = 0;
    for (const [path, methods] of served) {
      const allow = [...methods].sort().join(', ');
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
        if (methods.has(method)) continue;
        // With a body that cannot be parsed too: the route, not the body, decides the answer.
        const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
        const res = await t.app.inject({
          method,
          url: path,
          ...(withBody ? { headers: { 'content-type': 'application/json' }, payload: '{' } : {}),
        });
        const error = assertError(res, 405, 'MethodNotAllowed');
        assert.equal(res.headers.allow, allow, `${method} ${path}`);
        assert.equal(error.diagnosticsId, res.headers['x-request-id']);
        checked++;
      }
    }
    assert.ok(checked > 100, `${checked} method and path pairs`);
    assertError(await t.app.inject({ method: 'GET', url: '/no-such-path' }), 404, 'NotFound');
  });

  test('unknown fields in nested objects the spec leaves open are dropped, as on the session API', async () => {
    const s = await tokenFor(t);
    const created = await api(t, 'POST', '/payments', {
      paymentMethodToken: s.token,
      paymentMethod: { descriptor: 'Letter', surprise: true },
    });
    assert.equal(created.statusCode, 200, created.body);
    assert.equal(created.json().paymentMethod.descriptor, 'Letter');
    assert.equal(created.json().paymentMethod.surprise, undefined);
    const capture = await post(t, created.json().id, 'capture', { order: { retailerCountryCode: 'DE', surprise: 1 } });
    assert.equal(capture.statusCode, 200, capture.body);
    // Where the spec closes the object, an unknown field is still 422.
    const { payment } = await pay(t);
    assert.deepEqual(errorPaths(await post(t, payment.id, 'refund', { surprise: 1 })), ['$.surprise']);
  });

  test('empty strings the spec allows: customer_id= lists nothing; an empty processor names none', async () => {
    const res = await api(t, 'GET', '/payment-instruments?customer_id=');
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { data: [] });
    const checkout = defaultCheckoutConfig('SANDBOX');
    checkout.sandbox = { ...checkout.sandbox, authorizeOnCreate: false };
    const idle = await testApp({ checkout });
    try {
      const { payment } = await pay(idle);
      for (const processor of [{ processorMerchantId: '' }, { processorMerchantId: 'kassa-sandbox', name: '' }]) {
        assertError(await post(idle, payment.id, 'authorize', { processor }), 400, 'MerchantAccountNotFound');
      }
    } finally {
      await idle.close();
    }
  });

  test('the stricter rules Kassa keeps (docs/api.md, "Deviations from Primer\'s spec")', async () => {
    const { token } = await tokenFor(t);
    for (const [field, value] of [
      ['customerId', ''],
      ['orderId', ''],
    ] as const) {
      assert.deepEqual(errorPaths(await api(t, 'POST', '/payments', { paymentMethodToken: token, [field]: value })), [`$.${field}`]);
    }
    assert.deepEqual(errorPaths(await api(t, 'POST', '/payments', { paymentMethodToken: token, customer: { firstName: '' } })), [
      '$.customer.firstName',
    ]);
    const { payment } = await pay(t);
    assert.deepEqual(errorPaths(await post(t, payment.id, 'capture', { amount: 0 })), ['$.amount']);
    assert.deepEqual(errorPaths(await post(t, payment.id, 'adjust-authorization', { amount: 0 })).length, 1);
    await post(t, payment.id, 'capture', {});
    assert.deepEqual(errorPaths(await post(t, payment.id, 'refund', { amount: 0 })), ['$.amount']);
    assert.deepEqual(errorPaths(await post(t, payment.id, 'refund', { orderId: '' })), ['$.orderId']);
  });
});
