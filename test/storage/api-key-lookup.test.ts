// API-key lookups are remembered between requests (issue 6), yet a revoked key is refused on the
// very next lookup, whether it was revoked through this store or by another process.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { sha256 } from '../../src/ids.ts';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import type { ApiKey, Store } from '../../src/storage/store.ts';

let dir: string;
let store: Store;
let other: Store;

const key = (secret: string, id = 'key_1'): ApiKey => ({
  id,
  merchantId: 'mer_1',
  secretHash: sha256(secret),
  prefix: secret.slice(0, 12),
  scopes: ['client_tokens:write'],
  createdAt: 1,
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kassa-keys-'));
  store = openSqliteStore({ path: join(dir, 'kassa.db') });
  // A second connection to the same file plays another process (a second server, the CLI).
  other = openSqliteStore({ path: join(dir, 'kassa.db') });
  await store.merchants.insert({ id: 'mer_1', name: 'Shop', createdAt: 1 });
});

afterEach(async () => {
  await store.close();
  await other.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a key revoked through the same store is revoked on the next lookup', async () => {
  await store.apiKeys.insert(key('secret-one'));
  assert.equal((await store.apiKeys.findBySecretHash(sha256('secret-one')))?.revokedAt, undefined);
  assert.equal((await store.apiKeys.findBySecretHash(sha256('secret-one')))?.revokedAt, undefined);
  assert.equal(await store.apiKeys.revoke('key_1', 50), true);
  assert.equal((await store.apiKeys.findBySecretHash(sha256('secret-one')))?.revokedAt, 50);
});

test('a key revoked by another process is revoked on the next lookup', async () => {
  await store.apiKeys.insert(key('secret-one'));
  assert.equal((await store.apiKeys.findBySecretHash(sha256('secret-one')))?.revokedAt, undefined);
  assert.equal(await other.apiKeys.revoke('key_1', 70), true);
  assert.equal((await store.apiKeys.findBySecretHash(sha256('secret-one')))?.revokedAt, 70);
});

test('an unknown key is not remembered: created elsewhere afterwards, it is found', async () => {
  assert.equal(await store.apiKeys.findBySecretHash(sha256('secret-two')), undefined);
  await other.apiKeys.insert(key('secret-two', 'key_2'));
  assert.equal((await store.apiKeys.findBySecretHash(sha256('secret-two')))?.id, 'key_2');
});

test('a remembered key cannot be changed by the caller that received it', async () => {
  await store.apiKeys.insert(key('secret-one'));
  const found = await store.apiKeys.findBySecretHash(sha256('secret-one'));
  assert.throws(() => (found!.scopes as string[]).push('payment_instrument:write'));
  assert.deepEqual((await store.apiKeys.findBySecretHash(sha256('secret-one')))?.scopes, ['client_tokens:write']);
});
