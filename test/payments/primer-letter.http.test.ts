// Primer's spec to the letter (issue #20 §4): what a client written from Primer's OpenAPI v2.4 sends is
// answered as Primer documents it, or refused for a reason docs/api.md lists ("Deviations from
// Primer's spec"). Runs on both engines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import { testApp, type TestApp } from '../support/app.ts';
import { assertError, pay, sdk } from './support.ts';

describe('Primer to the letter', () => {
  let t: TestApp;
  const routes: RouteOptions[] = [];
  before(async () => {
    t = await testApp({ onRoute: (route) => routes.push(route) });
  });
  after(() => t.close());

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
});
