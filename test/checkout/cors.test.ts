// engines: sqlite, postgres
// CORS: browsers may call the SDK routes with the headers the SDKs send (docs/sdk.md, "CORS"); the routes
// that take a secret X-Api-Key get no CORS permission at all.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SDK_REQUEST_HEADERS } from '../../src/http/cors.ts';
import { createSession, headers, testApp, type TestApp } from '../support/app.ts';
import { sdkHeaders } from './support.ts';

const ORIGIN = 'https://shop.example';
const preflight = (t: TestApp, url: string, method: string, origin = ORIGIN) =>
  t.app.inject({
    method: 'OPTIONS',
    url,
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': SDK_REQUEST_HEADERS.join(','),
    },
  });

describe('CORS with the default (any origin)', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  test('preflights of the SDK routes allow every header the SDKs send', async () => {
    for (const [url, method] of [
      ['/client-sdk/configuration/?withDisplayMetadata=true', 'GET'],
      ['/client-sdk/configuration', 'GET'],
      ['/client-session/actions', 'POST'],
      ['/client-token/validate', 'POST'],
    ] as const) {
      const res = await preflight(t, url, method);
      assert.equal(res.statusCode, 204, url);
      assert.equal(res.headers['access-control-allow-origin'], '*');
      const allowed = String(res.headers['access-control-allow-headers'])
        .split(',')
        .map((h) => h.trim().toLowerCase());
      for (const header of [
        'primer-client-token',
        'x-api-version',
        'primer-sdk-version',
        'primer-sdk-client',
        'primer-sdk-checkout-session-id',
        'x-request-id',
        'x-idempotency-key',
        'content-type',
      ]) {
        assert.ok(allowed.includes(header), `${url}: ${header}`);
      }
      assert.match(String(res.headers['access-control-allow-methods']), new RegExp(method));
    }
  });

  test('the actual SDK response carries the origin permission and exposes x-primer-session-cache-ttl', async () => {
    const s = await createSession(t, { currencyCode: 'EUR' });
    const res = await t.app.inject({
      method: 'GET',
      url: '/client-sdk/configuration',
      headers: { ...sdkHeaders(s.accessToken), origin: ORIGIN },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.match(String(res.headers['access-control-expose-headers']), /x-primer-session-cache-ttl/);

    // Errors too, so the SDK can read the envelope: a bad token, and a version refused before the route runs.
    for (const h of [sdkHeaders('0'.repeat(40)), sdkHeaders(s.accessToken, '1.0')]) {
      const error = await t.app.inject({ method: 'GET', url: '/client-sdk/configuration', headers: { ...h, origin: ORIGIN } });
      assert.equal(error.statusCode, 400);
      assert.equal(error.headers['access-control-allow-origin'], '*');
    }
  });

  test('POST /client-session with an API key from a browser origin gets no CORS permission', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/client-session',
      headers: { ...headers(t.apiKey), origin: ORIGIN },
      payload: { currencyCode: 'EUR' },
    });
    // The server answers (a server-to-server caller sends no Origin anyway), but a browser may not read it.
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(res.headers['access-control-allow-headers'], undefined);

    for (const method of ['POST', 'GET', 'PATCH']) {
      const pre = await t.app.inject({
        method: 'OPTIONS',
        url: '/client-session',
        headers: { origin: ORIGIN, 'access-control-request-method': method, 'access-control-request-headers': 'x-api-key,content-type' },
      });
      assert.notEqual(pre.statusCode, 204);
      assert.equal(pre.headers['access-control-allow-origin'], undefined, method);
      assert.equal(pre.headers['access-control-allow-headers'], undefined, method);
    }
  });
});

describe('CORS with KASSA_CORS_ORIGINS', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { KASSA_CORS_ORIGINS: 'https://shop.example, http://localhost:3000' } });
  });
  after(() => t.close());

  test('listed origins are allowed by name, others get no permission', async () => {
    const listed = await preflight(t, '/client-session/actions', 'POST', 'http://localhost:3000');
    assert.equal(listed.headers['access-control-allow-origin'], 'http://localhost:3000');
    const other = await preflight(t, '/client-session/actions', 'POST', 'https://evil.example');
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });
});
