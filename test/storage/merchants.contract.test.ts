// engines: in-file
// The merchant and API-key stores' contract, on every engine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiKey } from '../../src/merchants/merchant.store.ts';
import { T0, forEachEngine, withMerchants } from '../support/engines.ts';

const key = (over: Partial<ApiKey> = {}): ApiKey => ({
  id: 'key_1',
  merchantId: 'mer_a',
  secretHash: 'secret-hash-1',
  scopes: ['client_tokens:write', 'transactions:retrieve'],
  createdAt: T0,
  ...over,
});

forEachEngine('merchant and API-key stores', (_engine, fresh) => {
  test('merchants: insert, find, list in creation order; a duplicate id is refused', async () => {
    const { store } = await fresh();
    await store.merchants.insert({ id: 'mer_b', name: 'B', createdAt: T0 + 1 });
    await store.merchants.insert({ id: 'mer_a', name: 'A', createdAt: T0 + 1 });
    await store.merchants.insert({ id: 'mer_c', name: 'C', createdAt: T0 });
    await assert.rejects(store.merchants.insert({ id: 'mer_a', name: 'again', createdAt: T0 }));
    assert.deepEqual(await store.merchants.findById('mer_a'), { id: 'mer_a', name: 'A', createdAt: T0 + 1 });
    assert.equal(await store.merchants.findById('mer_zzz'), undefined);
    assert.deepEqual(
      (await store.merchants.list()).map((m) => m.id),
      ['mer_c', 'mer_a', 'mer_b'],
    );
  });

  test('API keys: find by secret hash, list per merchant, count, revoke once', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a', 'mer_b');
    await store.apiKeys.insert(key());
    await store.apiKeys.insert(key({ id: 'key_2', secretHash: 'secret-hash-2', createdAt: T0 + 1, scopes: [] }));
    await store.apiKeys.insert(key({ id: 'key_3', secretHash: 'secret-hash-3', merchantId: 'mer_b' }));
    await assert.rejects(store.apiKeys.insert(key({ id: 'key_4' })), 'a secret hash is unique');
    assert.deepEqual(await store.apiKeys.findBySecretHash('secret-hash-1'), key());
    assert.equal(await store.apiKeys.findBySecretHash('unknown'), undefined);
    assert.deepEqual(
      (await store.apiKeys.listByMerchant('mer_a')).map((k) => k.id),
      ['key_1', 'key_2'],
    );
    assert.equal(await store.apiKeys.count(), 3);

    assert.equal(await store.apiKeys.revoke('key_1', T0 + 50), true);
    assert.equal(await store.apiKeys.revoke('key_1', T0 + 60), false, 'already revoked');
    assert.equal(await store.apiKeys.revoke('key_unknown', T0 + 60), false);
    assert.deepEqual(await store.apiKeys.findBySecretHash('secret-hash-1'), { ...key(), revokedAt: T0 + 50 });
    assert.equal(await store.apiKeys.count(), 3, 'revoked keys still count');
  });

  test('rehash: a key gets a new stored hash and is found by it alone', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    await store.apiKeys.insert(key());
    assert.equal(await store.apiKeys.rehash('key_1', 's1:new-hash'), true);
    assert.equal(await store.apiKeys.rehash('key_unknown', 's1:other'), false);
    assert.equal(await store.apiKeys.findBySecretHash('secret-hash-1'), undefined);
    assert.equal((await store.apiKeys.authenticate('s1:new-hash', 'client_tokens:write'))?.keyId, 'key_1');
  });

  test('authenticate: the unrevoked key of a secret hash, and whether it has a scope', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    await store.apiKeys.insert(key());
    assert.deepEqual(await store.apiKeys.authenticate('secret-hash-1', 'client_tokens:write'), {
      keyId: 'key_1',
      merchantId: 'mer_a',
      hasScope: true,
      clockOffsetMs: 0,
    });
    assert.deepEqual(await store.apiKeys.authenticate('secret-hash-1', 'transactions:capture'), {
      keyId: 'key_1',
      merchantId: 'mer_a',
      hasScope: false,
      clockOffsetMs: 0,
    });
    // The merchant's sandbox clock offset comes with the key (the same statement).
    assert.ok(await store.sandboxClocks.advance('mer_a', 5000, 10_000, T0));
    assert.equal((await store.apiKeys.authenticate('secret-hash-1', 'client_tokens:write'))?.clockOffsetMs, 5000);
    // A scope that is only part of another is not that scope.
    assert.equal((await store.apiKeys.authenticate('secret-hash-1', 'client_tokens'))?.hasScope, false);
    assert.equal(await store.apiKeys.authenticate('unknown', 'client_tokens:write'), undefined);
    await store.apiKeys.revoke('key_1', T0 + 1);
    assert.equal(await store.apiKeys.authenticate('secret-hash-1', 'client_tokens:write'), undefined);
  });

  test('a key for an unknown merchant is refused', async () => {
    const { store } = await fresh();
    await assert.rejects(store.apiKeys.insert(key({ merchantId: 'mer_nobody' })));
    assert.equal(await store.apiKeys.count(), 0);
  });

  test('a key revoked by another process is refused on the very next lookup', async () => {
    const { store, another } = await fresh();
    const other = await another();
    await withMerchants(store, 'mer_a');
    await store.apiKeys.insert(key());
    assert.equal((await store.apiKeys.findBySecretHash('secret-hash-1'))?.revokedAt, undefined);
    assert.equal(await other.apiKeys.revoke('key_1', 70), true);
    assert.equal((await store.apiKeys.findBySecretHash('secret-hash-1'))?.revokedAt, 70);
    // and a key created elsewhere after an unknown lookup is found
    assert.equal(await store.apiKeys.findBySecretHash('secret-hash-9'), undefined);
    await other.apiKeys.insert(key({ id: 'key_9', secretHash: 'secret-hash-9' }));
    assert.equal((await store.apiKeys.findBySecretHash('secret-hash-9'))?.id, 'key_9');
  });
});
