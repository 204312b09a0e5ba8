// engines: in-file
// The PayPal order store's contract, on every engine: an order is decided once (the approval page's
// first choice stands, also when two processes decide at once), and expired orders are purged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PayPalOrder } from '../../src/payments/methods/paypal.store.ts';
import { T0, forEachEngine, withMerchants } from '../support/engines.ts';

const order = (id: string, expiresAt = T0 + 3_600_000): PayPalOrder => ({
  id,
  kind: 'ORDER',
  merchantId: 'mer_a',
  sessionId: 'cs_a',
  status: 'CREATED',
  configId: 'pmc_paypal',
  amount: 1000,
  currencyCode: 'EUR',
  returnUrl: 'merchantapp://paypal-success',
  createdAt: T0,
  expiresAt,
});
const payer = (email: string) => ({ externalPayerId: 'ABCDEFGHIJKLM', email, firstName: 'Sandbox', lastName: 'Payer' });

forEachEngine('PayPal order store', (_engine, fresh) => {
  test('an order reads back as inserted; approving keeps the payer; a later choice changes nothing', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    assert.equal(await store.paypal.find('PAYPAL-1'), undefined);
    await store.paypal.insert(order('PAYPAL-1'));
    assert.deepEqual(await store.paypal.find('PAYPAL-1'), order('PAYPAL-1'));
    const approved = { ...order('PAYPAL-1'), status: 'APPROVED', payer: payer('a@example.com') };
    assert.deepEqual(await store.paypal.decide('PAYPAL-1', 'APPROVED', payer('a@example.com')), approved);
    assert.deepEqual(await store.paypal.decide('PAYPAL-1', 'CANCELLED', undefined), approved);
    assert.deepEqual(await store.paypal.find('PAYPAL-1'), approved);
    assert.equal(await store.paypal.decide('PAYPAL-none', 'APPROVED', payer('a@example.com')), undefined);
  });

  test('processes deciding one order at once: one choice wins, and every caller is told that one', async () => {
    const { store, another } = await fresh();
    await withMerchants(store, 'mer_a');
    await store.paypal.insert(order('PAYPAL-race'));
    const handles = [store, await another(), await another()];
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        handles[i % 3]!.paypal.decide('PAYPAL-race', i % 2 ? 'CANCELLED' : 'APPROVED', i % 2 ? undefined : payer(`p${i}@example.com`)),
      ),
    );
    const kept = await store.paypal.find('PAYPAL-race');
    for (const r of results) assert.deepEqual(r, kept);
  });

  test('purgeExpired deletes orders expired before the instant, in batches', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    for (let i = 0; i < 5; i++) await store.paypal.insert(order(`PAYPAL-old${i}`, T0 + i));
    await store.paypal.insert(order('PAYPAL-live', T0 + 1000));
    assert.equal(await store.paypal.purgeExpired(T0 + 500, 3), 3);
    assert.equal(await store.paypal.purgeExpired(T0 + 500, 3), 2);
    assert.equal(await store.paypal.purgeExpired(T0 + 500, 3), 0);
    assert.notEqual(await store.paypal.find('PAYPAL-live'), undefined);
  });
});
