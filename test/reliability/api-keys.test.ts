// engines: sqlite, postgres
// API keys at rest and under guessing: the database holds a slow hash and no part of a secret; keys
// stored before that still work and are rehashed; a client that keeps failing to authenticate is
// stopped per address (docs/operations.md, "API keys").
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sha256 } from '../../src/lib/ids.ts';
import { hashApiKey } from '../../src/merchants/key-hash.ts';
import { Merchants } from '../../src/merchants/merchants.ts';
import { headers, testApp } from '../support/app.ts';

const create = (t: Awaited<ReturnType<typeof testApp>>, key: string, remoteAddress = '127.0.0.1') =>
  t.app.inject({ method: 'POST', url: '/client-session', headers: headers(key), remoteAddress, payload: { orderId: 'o-1' } });

/** kassa_api_key_hashes_total: the scrypt hashes the app has computed. */
const hashes = async (t: Awaited<ReturnType<typeof testApp>>) =>
  Number(/^kassa_api_key_hashes_total (\d+)$/m.exec((await t.app.inject({ method: 'GET', url: '/metrics' })).body)![1]);

/** A key this process has never hashed (its hash is made here, so the app does not remember it). */
async function unseenKey(t: Awaited<ReturnType<typeof testApp>>): Promise<string> {
  const secret = `kassa_sk_unseen_${randomBytes(12).toString('hex')}`;
  const id = `key_unseen_${randomBytes(4).toString('hex')}`;
  const key = {
    id,
    merchantId: 'mer_default',
    secretHash: await hashApiKey(secret),
    scopes: ['client_tokens:write'],
    createdAt: t.clock.now,
  };
  await t.store.apiKeys.insert(key);
  return secret;
}

describe('API keys at rest', () => {
  test('the database keeps a slow (scrypt) hash and no part of the secret, and the listing shows no part of it either', async () => {
    const t = await testApp();
    try {
      const made = await new Merchants(t.store, () => t.clock.now).createKey('mer_default');
      const rows = await t.query('SELECT * FROM api_keys');
      assert.equal(rows.length, 2);
      for (const [secret, row] of [
        [t.apiKey, rows.find((r) => r.id !== made.key.id)!],
        [made.secret, rows.find((r) => r.id === made.key.id)!],
      ] as const) {
        assert.equal(row.secret_hash, await hashApiKey(secret));
        assert.match(String(row.secret_hash), /^s1:[0-9a-f]{64}$/);
        assert.notEqual(row.secret_hash, sha256(secret), 'not a fast hash');
        const stored = JSON.stringify(row);
        // No run of six characters of the secret is stored anywhere in the row.
        for (let i = 0; i + 6 <= secret.length; i++)
          assert.ok(!stored.includes(secret.slice(i, i + 6)), `row holds "${secret.slice(i, i + 6)}"`);
      }
      assert.deepEqual(Object.keys(rows[0]!).sort(), ['created_at', 'id', 'merchant_id', 'revoked_at', 'scopes', 'secret_hash']);
      assert.equal((await create(t, made.secret)).statusCode, 200);
    } finally {
      await t.close();
    }
  });

  test('a key stored with the old fast hash still works, and its first use rehashes it', async () => {
    const t = await testApp();
    try {
      const secret = 'kassa_sk_legacy_0123456789abcdefghij';
      await t.store.apiKeys.insert({
        id: 'key_legacy',
        merchantId: 'mer_default',
        secretHash: sha256(secret),
        scopes: ['client_tokens:write'],
        createdAt: t.clock.now,
      });
      assert.equal((await create(t, secret)).statusCode, 200);
      const [row] = await t.query("SELECT secret_hash FROM api_keys WHERE id = 'key_legacy'");
      assert.equal(row!.secret_hash, await hashApiKey(secret));
      assert.equal((await create(t, secret)).statusCode, 200);
      // A revoked legacy key is not revived by its secret.
      const other = 'kassa_sk_legacy_revoked_0123456789ab';
      await t.store.apiKeys.insert({
        id: 'key_gone',
        merchantId: 'mer_default',
        secretHash: sha256(other),
        scopes: ['client_tokens:write'],
        createdAt: t.clock.now,
      });
      await t.store.apiKeys.revoke('key_gone', t.clock.now);
      assert.equal((await create(t, other)).statusCode, 401);
    } finally {
      await t.close();
    }
  });

  test('a key that worked is refused at once when revoked (the remembered hash decides nothing)', async () => {
    const t = await testApp();
    try {
      const merchants = new Merchants(t.store, () => t.clock.now);
      const made = await merchants.createKey('mer_default');
      assert.equal((await create(t, made.secret)).statusCode, 200);
      await merchants.revokeKey(made.key.id);
      assert.equal((await create(t, made.secret)).statusCode, 401);
    } finally {
      await t.close();
    }
  });
});

describe('failed authentication is limited per client address', () => {
  test('after the allowed failures an address gets 429 with Retry-After, whatever key it sends; other addresses are not affected', async () => {
    const t = await testApp({ env: { KASSA_RATE_LIMIT: 'key:off,token:off,failures:5/min' } });
    try {
      const guesser = '198.51.100.7';
      for (let i = 0; i < 5; i++) {
        const res = await create(t, `kassa_sk_guess_${i}_0123456789abcdef`, guesser);
        assert.equal(res.statusCode, 401, `guess ${i}`);
      }
      const limited = await create(t, 'kassa_sk_guess_x_0123456789abcdef', guesser);
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.json().error.errorId, 'TooManyRequests');
      assert.match(limited.json().error.description, /failed authentications/);
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      // A missing key counts too, and the right key from that address waits as well.
      assert.equal((await create(t, t.apiKey, guesser)).statusCode, 429);
      // Another address is unaffected.
      assert.equal((await create(t, 'kassa_sk_wrong_0123456789abcdef', '203.0.113.9')).statusCode, 401);
      assert.equal((await create(t, t.apiKey, '203.0.113.9')).statusCode, 200);
      // The bucket refills with time.
      t.clock.advance(60_000);
      assert.equal((await create(t, t.apiKey, guesser)).statusCode, 200);
      // Successful requests never count.
      for (let i = 0; i < 10; i++) assert.equal((await create(t, t.apiKey, guesser)).statusCode, 200);
    } finally {
      await t.close();
    }
  });

  test('with X-Forwarded-For trusted (KASSA_TRUST_PROXY), the limit applies to the client, not the proxy', async () => {
    const t = await testApp({ env: { KASSA_RATE_LIMIT: 'key:off,token:off,failures:2/min', KASSA_TRUST_PROXY: '1' } });
    try {
      const via = (client: string, key: string) =>
        t.app.inject({
          method: 'POST',
          url: '/client-session',
          headers: { ...headers(key), 'x-forwarded-for': client },
          remoteAddress: '10.0.0.2',
          payload: { orderId: 'o-1' },
        });
      assert.equal((await via('198.51.100.1', 'kassa_sk_wrong_a_0123456789abcdef')).statusCode, 401);
      assert.equal((await via('198.51.100.1', 'kassa_sk_wrong_b_0123456789abcdef')).statusCode, 401);
      assert.equal((await via('198.51.100.1', 'kassa_sk_wrong_c_0123456789abcdef')).statusCode, 429);
      assert.equal((await via('198.51.100.2', t.apiKey)).statusCode, 200);
    } finally {
      await t.close();
    }
  });

  test('200 concurrent wrong keys from one address cost at most the limit in hashes (30), and a new valid key from elsewhere is answered during the flood', async () => {
    const t = await testApp({ env: { KASSA_RATE_LIMIT: 'key:off,token:off' } });
    try {
      const valid = await unseenKey(t);
      const before = await hashes(t);
      const answered: string[] = [];
      const flood = Array.from({ length: 200 }, (_, i) =>
        create(t, `kassa_sk_flood_${i}_0123456789abcdef`, '198.51.100.7').then((res) => {
          answered.push(String(res.statusCode));
          return res.statusCode;
        }),
      );
      const first = create(t, valid, '203.0.113.9').then((res) => {
        answered.push('valid');
        return res.statusCode;
      });
      const statuses = await Promise.all(flood);
      assert.equal(await first, 200);
      assert.equal(statuses.filter((s) => s === 401).length, 30);
      assert.equal(statuses.filter((s) => s === 429).length, 170);
      // The 30 reserved wrong keys and the valid one; none of the 170 refused ones.
      assert.equal((await hashes(t)) - before, 31);
      // The valid key's hash did not wait behind the flood's (one at a time per address, two in all):
      // it is answered before the flood's last answer, and indeed before its fifth failure.
      const failures = answered.filter((a) => a !== '429');
      assert.ok(failures.indexOf('valid') < 4, failures.join(' '));
      // Once the flood has failed, the address stays refused, and its right key waits as well.
      assert.equal((await create(t, valid, '198.51.100.7')).statusCode, 429);
      assert.equal((await hashes(t)) - before, 31);
    } finally {
      await t.close();
    }
  });

  test('concurrent requests with one new key share one hash: a burst with a valid key is not refused, a burst with a wrong one costs one hash', async () => {
    const t = await testApp({ env: { KASSA_RATE_LIMIT: 'key:off,token:off,failures:5/min' } });
    try {
      const valid = await unseenKey(t);
      const before = await hashes(t);
      const burst = await Promise.all(Array.from({ length: 20 }, () => create(t, valid, '198.51.100.8')));
      assert.deepEqual(
        burst.map((r) => r.statusCode),
        Array(20).fill(200),
      );
      assert.equal((await hashes(t)) - before, 1);
      // Its failure reservation was given back: the address still has its 5 failures.
      const wrong = await Promise.all(Array.from({ length: 20 }, () => create(t, 'kassa_sk_same_wrong_0123456789abcdef', '198.51.100.8')));
      assert.deepEqual(
        wrong.map((r) => r.statusCode),
        Array(20).fill(401),
      );
      assert.equal((await hashes(t)) - before, 2);
      // Those 20 failures took the bucket into debt: the address waits more than a minute.
      const refused = await create(t, valid, '198.51.100.8');
      assert.equal(refused.statusCode, 429);
      assert.ok(Number(refused.headers['retry-after']) > 60, refused.headers['retry-after']);
      t.clock.advance(60_000);
      assert.equal((await create(t, valid, '198.51.100.8')).statusCode, 429);
      t.clock.advance(72_000);
      assert.equal((await create(t, valid, '198.51.100.8')).statusCode, 200);
    } finally {
      await t.close();
    }
  });
});
