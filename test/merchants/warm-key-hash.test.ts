// engines: sqlite
// The configured key's hash, started as the process starts (merchants/key-hash.ts, warmKeyHash): the
// start-up joins that one scrypt instead of computing another, the stored hash is the same slow hash,
// and the key then works without a hash of its own on its first request.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { sha256 } from '../../src/lib/ids.ts';
import { hashApiKey, knownKeyHash, warmingKeyHash, warmKeyHash } from '../../src/merchants/key-hash.ts';
import { Merchants } from '../../src/merchants/merchants.ts';
import { testApp } from '../support/app.ts';

test('a warmed key: bootstrap waits for its hash instead of computing a second one, and stores the scrypt hash', async () => {
  const t = await testApp();
  try {
    const secret = `kassa_warm_${randomBytes(12).toString('hex')}`;
    const quick = sha256(secret);
    warmKeyHash(secret);
    const warming = warmingKeyHash(quick);
    assert.ok(warming, 'under way');
    warmKeyHash(secret);
    assert.equal(warmingKeyHash(quick), warming, 'a second call joins the first');
    let computed = 0;
    const merchants = new Merchants(
      t.store,
      () => t.clock.now,
      () => computed++,
    );
    await merchants.bootstrap(secret);
    assert.equal(computed, 0);
    const expected = await hashApiKey(secret);
    assert.equal(await warming, expected);
    assert.equal(knownKeyHash(quick), expected, 'remembered for the requests');
    assert.equal(warmingKeyHash(quick), undefined);
    assert.ok(await t.store.apiKeys.findBySecretHash(expected), 'stored as its slow hash');
    const principal = await merchants.authenticate(secret, quick, 'client_tokens:write');
    assert.equal(principal.merchantId, 'mer_default');
    assert.equal(computed, 0, 'its first request costs no hash');
  } finally {
    await t.close();
  }
});

test('without warming, bootstrap computes the hash itself', async () => {
  const t = await testApp();
  try {
    let computed = 0;
    await new Merchants(
      t.store,
      () => t.clock.now,
      () => computed++,
    ).bootstrap(`kassa_cold_${randomBytes(12).toString('hex')}`);
    assert.equal(computed, 1);
  } finally {
    await t.close();
  }
});
