// engines: in-file
// The idempotency store's contract, on every engine. A record's answer is stored by the unit of work
// of the change it answers (complete), by the request that holds the record (its claim).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IdempotencyBeginInput } from '../../src/idempotency/idempotency.store.ts';
import type { Store } from '../../src/storage/store.ts';
import { isWriteConflict } from '../../src/storage/unit-of-work.ts';
import { forEachEngine } from '../support/engines.ts';

const T = 1_800_000_000_000;
const base: IdempotencyBeginInput = {
  merchantId: 'mer_default',
  keyHash: 'k1',
  requestHash: 'r1',
  claim: 'c1',
  now: T,
  expiresAt: T + 1000,
  lockedUntil: T + 100,
};
const complete = (s: Store, response: string, claim = base.claim, keyHash = base.keyHash) =>
  s.commit((uow) => uow.idempotency.complete(base.merchantId, keyHash, claim, response));

forEachEngine('idempotency store', (_engine, fresh) => {
  test('new, then in-flight, then completed with the stored response', async () => {
    const { store: s } = await fresh();
    assert.deepEqual(await s.idempotency.begin(base), { state: 'new', claim: 'c1' });
    assert.deepEqual(await s.idempotency.begin({ ...base, claim: 'c2', now: T + 1 }), { state: 'in-flight' });
    await complete(s, 'sealed-response');
    assert.deepEqual(await s.idempotency.begin({ ...base, claim: 'c3', now: T + 2 }), { state: 'completed', response: 'sealed-response' });
  });

  test('another request hash is a mismatch, in flight or completed', async () => {
    const { store: s } = await fresh();
    await s.idempotency.begin(base);
    assert.deepEqual(await s.idempotency.begin({ ...base, claim: 'c2', requestHash: 'r2' }), { state: 'mismatch' });
    await complete(s, 'x');
    assert.deepEqual(await s.idempotency.begin({ ...base, claim: 'c3', requestHash: 'r2' }), { state: 'mismatch' });
  });

  test('keys are scoped to their merchant', async () => {
    const { store: s } = await fresh();
    await s.idempotency.begin(base);
    assert.deepEqual(await s.idempotency.begin({ ...base, merchantId: 'mer_other', claim: 'c2', requestHash: 'r2' }), {
      state: 'new',
      claim: 'c2',
    });
  });

  test('release forgets an in-flight record its holder releases, but never a completed one', async () => {
    const { store: s } = await fresh();
    await s.idempotency.begin(base);
    await s.idempotency.release(base.merchantId, base.keyHash, 'not-the-holder');
    assert.deepEqual(await s.idempotency.begin({ ...base, claim: 'c2' }), { state: 'in-flight' }, 'only the holder releases');
    await s.idempotency.release(base.merchantId, base.keyHash, base.claim);
    assert.deepEqual(await s.idempotency.begin({ ...base, claim: 'c2', requestHash: 'r2' }), { state: 'new', claim: 'c2' });
    await complete(s, 'done', 'c2');
    await s.idempotency.release(base.merchantId, base.keyHash, 'c2');
    assert.deepEqual(await s.idempotency.begin({ ...base, claim: 'c3', requestHash: 'r2' }), { state: 'completed', response: 'done' });
  });

  test('an in-flight claim past lockedUntil is taken over, and the old holder can no longer complete it', async () => {
    const { store: s } = await fresh();
    await s.idempotency.begin(base);
    assert.deepEqual(await s.idempotency.begin({ ...base, claim: 'c2', now: T + 100, lockedUntil: T + 200 }), {
      state: 'new',
      claim: 'c2',
    });
    await assert.rejects(complete(s, 'late', 'c1'), isWriteConflict);
    await complete(s, 'done', 'c2');
    assert.deepEqual(await s.idempotency.begin({ ...base, claim: 'c3', now: T + 300 }), { state: 'completed', response: 'done' });
  });

  test('an expired record counts as absent', async () => {
    const { store: s } = await fresh();
    await s.idempotency.begin(base);
    await complete(s, 'done');
    assert.deepEqual(
      await s.idempotency.begin({ ...base, claim: 'c2', requestHash: 'other', now: T + 1000, expiresAt: T + 5000, lockedUntil: T + 1100 }),
      { state: 'new', claim: 'c2' },
    );
  });

  test('purgeExpired deletes at most `limit` records with expiresAt <= before', async () => {
    const { store: s } = await fresh();
    for (let i = 0; i < 5; i++) await s.idempotency.begin({ ...base, keyHash: `k${i}`, expiresAt: T + i });
    assert.equal(await s.idempotency.purgeExpired(T + 3, 2), 2);
    assert.equal(await s.idempotency.purgeExpired(T + 3, 10), 2);
    assert.equal(await s.idempotency.purgeExpired(T + 3, 10), 0);
    assert.deepEqual(await s.idempotency.begin({ ...base, claim: 'c9', keyHash: 'k4', now: T }), { state: 'in-flight' });
  });
});
