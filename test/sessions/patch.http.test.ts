// engines: sqlite, postgres
// PATCH /client-session: Primer's partial-update rules (docs/decisions.md, "PATCH"; docs/api.md, "PATCH").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSession, getSession, patchSession, testApp, type TestApp } from '../support/app.ts';

const BASE = {
  orderId: 'ord-7f3a91',
  currencyCode: 'EUR',
  customerId: 'cust-42',
  order: {
    countryCode: 'NL',
    lineItems: [{ itemId: 'sku-tee', amount: 1500, quantity: 2, discountAmount: 300 }],
    shipping: { amount: 500, methodId: 'std', methodName: 'Standard Shipping' },
  },
  customer: {
    emailAddress: 'jane@example.com',
    firstName: 'Jane',
    lastName: 'Doe',
    billingAddress: { addressLine1: 'Damrak 1', city: 'Amsterdam', postalCode: '1012LG', countryCode: 'NL' },
  },
  metadata: { channel: 'web', cartVersion: 3 },
  paymentMethod: { vaultOnSuccess: true, descriptor: 'ACME WEBSHOP', options: { PAYPAL: { surcharge: { amount: 100 } } } },
};

async function setup(t: {
  after: (fn: () => Promise<void>) => void;
}): Promise<{ app: TestApp; token: string; before: Record<string, any> }> {
  const app = await testApp();
  t.after(() => app.close());
  const created = await createSession(app, BASE);
  const before = (await getSession(app, created.clientToken)).json();
  return { app, token: created.clientToken, before };
}

test('the PATCH example: change e-mail, replace line items, clear metadata; shipping kept, amount recomputed', async (t) => {
  const { app, token, before } = await setup(t);
  const res = await patchSession(app, {
    clientToken: token,
    customer: { emailAddress: 'jane.doe@example.com' },
    order: { lineItems: [{ itemId: 'sku-tee', amount: 1500, quantity: 1 }] },
    metadata: null,
  });
  assert.equal(res.statusCode, 200);
  const { metadata: _m, ...rest } = before;
  const expected = {
    ...rest,
    amount: 2000,
    customer: { ...before.customer, emailAddress: 'jane.doe@example.com' },
    order: { ...before.order, lineItems: [{ itemId: 'sku-tee', amount: 1500, quantity: 1 }] },
  };
  assert.deepEqual(res.json(), expected);
  assert.deepEqual((await getSession(app, token)).json(), expected, 'the change is stored');
});

test('an omitted field is unchanged', async (t) => {
  const { app, token, before } = await setup(t);
  const res = await patchSession(app, { clientToken: token });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), before);
});

test('null clears a top-level field', async (t) => {
  const { app, token, before } = await setup(t);
  const res = await patchSession(app, { clientToken: token, customerId: null, customer: null });
  const { customerId: _c, customer: _cu, ...rest } = before;
  assert.deepEqual(res.json(), rest);
});

test('null clears a sub-field of customer, order or paymentMethod', async (t) => {
  const { app, token, before } = await setup(t);
  const res = await patchSession(app, {
    clientToken: token,
    customer: { firstName: null },
    order: { shipping: null },
    paymentMethod: { descriptor: null },
  });
  const body = res.json();
  assert.equal(res.statusCode, 200);
  assert.equal('firstName' in body.customer, false);
  assert.equal(body.customer.lastName, 'Doe');
  assert.equal('shipping' in body.order, false);
  assert.equal(body.amount, before.amount - 500);
  assert.equal('descriptor' in body.paymentMethod, false);
  assert.equal(body.paymentMethod.vaultOnSuccess, true);
});

test('arrays are replaced whole: line items left out are removed', async (t) => {
  const { app, token } = await setup(t);
  await patchSession(app, { clientToken: token, order: { lineItems: [{ amount: 1 }, { amount: 2 }] } });
  const res = await patchSession(app, { clientToken: token, order: { lineItems: [{ amount: 7 }] } });
  assert.deepEqual(res.json().order.lineItems, [{ amount: 7 }]);
});

test('metadata is replaced whole, not merged', async (t) => {
  const { app, token } = await setup(t);
  const res = await patchSession(app, { clientToken: token, metadata: { channel: 'app' } });
  assert.deepEqual(res.json().metadata, { channel: 'app' });
});

test('customer merges one level deep, but an address sent replaces the stored address whole', async (t) => {
  const { app, token, before } = await setup(t);
  const res = await patchSession(app, { clientToken: token, customer: { billingAddress: { city: 'Utrecht' } } });
  assert.deepEqual(res.json().customer, { ...before.customer, billingAddress: { city: 'Utrecht' } });
});

test('paymentMethod merges one level deep: vaultOnSuccess can be updated, options are kept', async (t) => {
  const { app, token, before } = await setup(t);
  const res = await patchSession(app, { clientToken: token, paymentMethod: { vaultOnSuccess: false } });
  assert.deepEqual(res.json().paymentMethod, { ...before.paymentMethod, vaultOnSuccess: false });
});

test('paymentMethod.options cannot be updated: 422 at its path, nothing changes', async (t) => {
  const { app, token, before } = await setup(t);
  const res = await patchSession(app, {
    clientToken: token,
    orderId: 'changed',
    paymentMethod: { options: { PAYPAL: { surcharge: { amount: 5 } } } },
  });
  assert.equal(res.statusCode, 422);
  assert.deepEqual(res.json().error.validationErrors, [
    {
      model: 'ClientSessionUpdateAPIRequest',
      errors: [{ path: '$.paymentMethod.options', description: 'paymentMethod.options cannot be updated after creation' }],
    },
  ]);
  assert.deepEqual((await getSession(app, token)).json(), before);
});

test('a top-level amount set by PATCH overrides, and clearing it brings back the computed amount', async (t) => {
  const { app, token, before } = await setup(t);
  assert.equal((await patchSession(app, { clientToken: token, amount: 10 })).json().amount, 10);
  assert.equal((await patchSession(app, { clientToken: token, amount: null })).json().amount, before.amount);
});

test('the merged session is validated again: a discount larger than the new line is rejected and nothing is stored', async (t) => {
  const { app, token, before } = await setup(t);
  // The stored line has discountAmount 300; replacing the item price alone is valid...
  const res = await patchSession(app, { clientToken: token, order: { lineItems: [{ amount: 100, discountAmount: 300 }] } });
  assert.equal(res.statusCode, 422);
  assert.equal(res.json().error.validationErrors[0].errors[0].path, '$.order.lineItems[0].discountAmount');
  assert.deepEqual((await getSession(app, token)).json(), before);
});

test('currencyCode is checked against the Currency list on update too', async (t) => {
  const { app, token, before } = await setup(t);
  const res = await patchSession(app, { clientToken: token, currencyCode: 'EURO' });
  assert.equal(res.statusCode, 422);
  assert.equal(res.json().error.validationErrors[0].errors[0].path, '$.currencyCode');
  assert.deepEqual((await getSession(app, token)).json(), before);
});

test('clientToken is required in the PATCH body', async (t) => {
  const { app } = await setup(t);
  const res = await patchSession(app, { orderId: 'x' });
  assert.equal(res.statusCode, 422);
  assert.deepEqual(res.json().error.validationErrors[0].errors, [{ path: '$.clientToken', description: 'Field required' }]);
});

test('every validation problem of a PATCH is listed at once', async (t) => {
  const { app, token } = await setup(t);
  const res = await patchSession(app, { clientToken: token, amount: -1, orderId: 5, customer: { emailAddress: 'nope' } });
  assert.equal(res.statusCode, 422);
  const paths = res
    .json()
    .error.validationErrors[0].errors.map((e: { path: string }) => e.path)
    .sort();
  assert.deepEqual(paths, ['$.amount', '$.customer.emailAddress', '$.orderId']);
});

test('the token and its expiry do not change with a PATCH', async (t) => {
  const { app, token } = await setup(t);
  const [stored] = await app.store.sessions.listByMerchant('mer_default', { limit: 1 });
  await patchSession(app, { clientToken: token, orderId: 'new' });
  const [after] = await app.store.sessions.listByMerchant('mer_default', { limit: 1 });
  assert.equal(after!.expiresAt, stored!.expiresAt);
  assert.equal(after!.accessTokenHash, stored!.accessTokenHash);
  assert.equal((await getSession(app, token)).json().orderId, 'new');
});
