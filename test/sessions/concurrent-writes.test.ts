// engines: sqlite, postgres
// Through HTTP, writes that arrive together are group-committed (docs/performance.md, "Writes"): every one is answered,
// every 200 is readable afterwards, and concurrent PATCHes of one session all land.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { headers, testApp, type TestApp } from '../support/app.ts';

describe('concurrent writes', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(async () => {
    await t.close();
  });

  const body = (n: number) => ({
    orderId: `order-${n}`,
    currencyCode: 'EUR',
    order: { countryCode: 'DE', lineItems: [{ itemId: 'a', amount: 1000 + n, quantity: 2 }] },
    customer: { emailAddress: `buyer${n}@example.com` },
  });

  test('twenty creates sent at once are all answered 200 and each is found by its token', async () => {
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        t.app.inject({ method: 'POST', url: '/client-session', headers: headers(t.apiKey), payload: body(n) }),
      ),
    );
    assert.deepEqual(
      created.map((r) => r.statusCode),
      Array(20).fill(200),
    );
    for (const [n, res] of created.entries()) {
      const { clientToken, amount } = res.json() as { clientToken: string; amount: number };
      assert.equal(amount, (1000 + n) * 2);
      const got = await t.app.inject({ method: 'GET', url: `/client-session?clientToken=${clientToken}`, headers: headers(t.apiKey) });
      assert.equal(got.statusCode, 200);
      assert.equal((got.json() as { orderId: string }).orderId, `order-${n}`);
    }
  });

  test('concurrent PATCHes of one session each land: the last read shows every customer field', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/client-session', headers: headers(t.apiKey), payload: body(99) });
    const { clientToken } = res.json() as { clientToken: string };
    // Each PATCH changes a different customer field; merges are one level deep, so all must survive.
    const fields = ['firstName', 'lastName', 'mobileNumber', 'taxId', 'nationalDocumentId'] as const;
    const patched = await Promise.all(
      fields.map((field) =>
        t.app.inject({
          method: 'PATCH',
          url: '/client-session',
          headers: headers(t.apiKey),
          payload: { clientToken, customer: { [field]: `value-${field}` } },
        }),
      ),
    );
    assert.deepEqual(
      patched.map((r) => r.statusCode),
      Array(fields.length).fill(200),
    );
    const got = await t.app.inject({ method: 'GET', url: `/client-session?clientToken=${clientToken}`, headers: headers(t.apiKey) });
    assert.deepEqual((got.json() as { customer: unknown }).customer, {
      emailAddress: 'buyer99@example.com',
      ...Object.fromEntries(fields.map((f) => [f, `value-${f}`])),
    });
    const stored = (await t.store.sessions.listByMerchant('mer_default', { limit: 100 })).find((s) => s.data.orderId === 'order-99');
    assert.equal(stored?.version, 1 + fields.length);
  });
});
