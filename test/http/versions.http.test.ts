// engines: sqlite, postgres
// X-Api-Version (docs/api.md, "Versions"): default 2.1, echoed, unknown rejected, newer fields gated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSession, getSession, headers, testApp } from '../support/app.ts';

test('a missing X-Api-Version means 2.1, and the response says so', async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  const { 'x-api-version': _v, ...noVersion } = headers(app.apiKey);
  const res = await app.app.inject({ method: 'POST', url: '/client-session', headers: noVersion, payload: { orderId: 'x' } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['x-api-version'], '2.1');
});

test('each supported version is accepted and echoed', async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  for (const version of ['2.1', '2.2', '2.3', '2.4']) {
    const res = await app.app.inject({ method: 'POST', url: '/client-session', headers: headers(app.apiKey, version), payload: {} });
    assert.equal(res.statusCode, 200, version);
    assert.equal(res.headers['x-api-version'], version);
    assert.equal((await getSession(app, res.json().clientToken)).headers['x-api-version'], '2.4');
  }
});

test('productData needs 2.2: under 2.1 it is a 422 naming the version, and nothing is stored', async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  const body = { order: { lineItems: [{ amount: 1 }, { amount: 2, productData: { sku: 'A' } }] } };
  const res = await app.app.inject({ method: 'POST', url: '/client-session', headers: headers(app.apiKey, '2.1'), payload: body });
  assert.equal(res.statusCode, 422);
  assert.deepEqual(res.json().error.validationErrors[0].errors, [
    {
      path: '$.order.lineItems[1].productData',
      description: 'productData was introduced in API version 2.2; this request uses 2.1. Send X-Api-Version: 2.2 or later.',
    },
  ]);
  assert.equal((await app.store.sessions.listByMerchant('mer_default', { limit: 10 })).length, 0);
  assert.equal((await createSession(app, body, { version: '2.2' })).response.order.lineItems[1].productData.sku, 'A');
});

test('a newer field refused because no X-Api-Version was sent says the header was missing', async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  const { 'x-api-version': _v, ...noVersion } = headers(app.apiKey);
  const body = { paymentMethod: { vaultOnAgreement: true } };
  const res = await app.app.inject({ method: 'POST', url: '/client-session', headers: noVersion, payload: body });
  assert.equal(res.statusCode, 422);
  assert.deepEqual(res.json().error.validationErrors[0].errors, [
    {
      path: '$.paymentMethod.vaultOnAgreement',
      description:
        'vaultOnAgreement was introduced in API version 2.4; this request sent no X-Api-Version header, so it uses 2.1, the version a request without one gets. Send X-Api-Version: 2.4 or later.',
    },
  ]);
  // Sent explicitly, 2.1 is the client's choice: the message does not mention a missing header.
  const explicit = await app.app.inject({ method: 'POST', url: '/client-session', headers: headers(app.apiKey, '2.1'), payload: body });
  assert.match(explicit.json().error.validationErrors[0].errors[0].description, /; this request uses 2\.1\. /);
});

test('vaultOnAgreement and firstPaymentReason need 2.4, on create and on update', async (t) => {
  const app = await testApp();
  t.after(() => app.close());
  const body = { paymentMethod: { vaultOnAgreement: true, firstPaymentReason: 'Recurring' } };
  const res = await app.app.inject({ method: 'POST', url: '/client-session', headers: headers(app.apiKey, '2.3'), payload: body });
  assert.equal(res.statusCode, 422);
  assert.deepEqual(
    res.json().error.validationErrors[0].errors.map((e: { path: string }) => e.path),
    ['$.paymentMethod.vaultOnAgreement', '$.paymentMethod.firstPaymentReason'],
  );
  const { clientToken } = await createSession(app, {}, { version: '2.3' });
  const patch = await app.app.inject({
    method: 'PATCH',
    url: '/client-session',
    headers: headers(app.apiKey, '2.3'),
    payload: { clientToken, ...body },
  });
  assert.equal(patch.statusCode, 422);
  const ok = await app.app.inject({
    method: 'PATCH',
    url: '/client-session',
    headers: headers(app.apiKey, '2.4'),
    payload: { clientToken, ...body },
  });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.json().paymentMethod.firstPaymentReason, 'Recurring');
});
