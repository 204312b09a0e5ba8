// Storage contract for the issue-5 additions (IdempotencyStore, SessionStore.purgeExpired), written
// against the Store interface so every engine can run it: call it with a factory of fresh stores.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store, StoredSession } from '../../src/storage/store.ts';

export interface FreshStore {
  store: Store;
  close(): Promise<void>;
}

const T = 1_800_000_000_000;
const base = { merchantId: 'mer_default', keyHash: 'k1', requestHash: 'r1', now: T, expiresAt: T + 1000, lockedUntil: T + 100 };

export function reliabilityStoreContract(engine: string, fresh: () => Promise<FreshStore>): void {
  const withStore = (name: string, body: (store: Store) => Promise<void>) =>
    test(`${engine}: ${name}`, async () => {
      const f = await fresh();
      try {
        await body(f.store);
      } finally {
        await f.close();
      }
    });

  withStore('idempotency: new, then in-flight, then completed with the stored response', async (s) => {
    assert.deepEqual(await s.idempotency.begin(base), { state: 'new' });
    assert.deepEqual(await s.idempotency.begin({ ...base, now: T + 1 }), { state: 'in-flight' });
    await s.idempotency.complete(base.merchantId, base.keyHash, 'sealed-response');
    assert.deepEqual(await s.idempotency.begin({ ...base, now: T + 2 }), { state: 'completed', response: 'sealed-response' });
  });

  withStore('idempotency: another request hash is a mismatch, in flight or completed', async (s) => {
    await s.idempotency.begin(base);
    assert.deepEqual(await s.idempotency.begin({ ...base, requestHash: 'r2' }), { state: 'mismatch' });
    await s.idempotency.complete(base.merchantId, base.keyHash, 'x');
    assert.deepEqual(await s.idempotency.begin({ ...base, requestHash: 'r2' }), { state: 'mismatch' });
  });

  withStore('idempotency: keys are scoped to their merchant', async (s) => {
    await s.idempotency.begin(base);
    assert.deepEqual(await s.idempotency.begin({ ...base, merchantId: 'mer_other', requestHash: 'r2' }), { state: 'new' });
  });

  withStore('idempotency: release forgets an in-flight record but never a completed one', async (s) => {
    await s.idempotency.begin(base);
    await s.idempotency.release(base.merchantId, base.keyHash);
    assert.deepEqual(await s.idempotency.begin({ ...base, requestHash: 'r2' }), { state: 'new' });
    await s.idempotency.complete(base.merchantId, base.keyHash, 'done');
    await s.idempotency.release(base.merchantId, base.keyHash);
    assert.deepEqual(await s.idempotency.begin({ ...base, requestHash: 'r2' }), { state: 'completed', response: 'done' });
  });

  withStore('idempotency: an in-flight claim past lockedUntil is taken over; an expired record counts as absent', async (s) => {
    await s.idempotency.begin(base);
    assert.deepEqual(await s.idempotency.begin({ ...base, now: T + 100, lockedUntil: T + 200 }), { state: 'new' });
    await s.idempotency.complete(base.merchantId, base.keyHash, 'done');
    assert.deepEqual(await s.idempotency.begin({ ...base, requestHash: 'other', now: T + 1000, expiresAt: T + 5000, lockedUntil: T + 1100 }), { state: 'new' });
  });

  withStore('idempotency: purgeExpired deletes at most `limit` records with expiresAt <= before', async (s) => {
    for (let i = 0; i < 5; i++) await s.idempotency.begin({ ...base, keyHash: `k${i}`, expiresAt: T + i });
    assert.equal(await s.idempotency.purgeExpired(T + 3, 2), 2);
    assert.equal(await s.idempotency.purgeExpired(T + 3, 10), 2);
    assert.equal(await s.idempotency.purgeExpired(T + 3, 10), 0);
    assert.deepEqual(await s.idempotency.begin({ ...base, keyHash: 'k4', now: T }), { state: 'in-flight' });
  });

  withStore('sessions: purgeExpired deletes at most `limit` sessions with expiresAt < before, oldest first', async (s) => {
    const session = (i: number): StoredSession => ({
      id: `cs_${i}`,
      merchantId: 'mer_default',
      accessTokenHash: `h${i}`,
      data: { orderId: `o${i}` },
      version: 1,
      createdAt: T,
      updatedAt: T,
      expiresAt: T + i * 10,
    });
    if (!(await s.merchants.findById('mer_default'))) await s.merchants.insert({ id: 'mer_default', name: 'Default', createdAt: T });
    for (let i = 0; i < 6; i++) await s.sessions.insert(session(i));
    assert.equal(await s.sessions.purgeExpired(T + 40, 3), 3);
    assert.equal(await s.sessions.findById('mer_default', 'cs_0'), undefined);
    assert.ok(await s.sessions.findById('mer_default', 'cs_3'));
    assert.equal(await s.sessions.purgeExpired(T + 40, 3), 1);
    assert.equal(await s.sessions.purgeExpired(T + 40, 3), 0);
    assert.equal((await s.sessions.listByMerchant('mer_default', { limit: 10 })).length, 2);
  });
}
