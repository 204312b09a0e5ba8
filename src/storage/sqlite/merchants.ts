// Merchants and API keys on SQLite. Keys are read on every request (one indexed lookup), so a key
// revoked by any process is refused at once.
import type { ApiKey, ApiKeyStore, Merchant, MerchantStore } from '../../merchants/merchant.store.ts';
import { API_KEY_COLUMNS, apiKeyFromRaw, toApiKey, type ApiKeyRow } from '../rows.ts';
import type { SqliteEngine } from './database.ts';

export function sqliteMerchants(engine: SqliteEngine): MerchantStore {
  const insert = engine.db.prepare('INSERT INTO merchants (id, name, created_at) VALUES (?, ?, ?)');
  const byId = engine.query('SELECT id, name, created_at AS createdAt FROM merchants WHERE id = ?');
  const all = engine.query('SELECT id, name, created_at AS createdAt FROM merchants ORDER BY created_at, id');
  return {
    async insert(m) {
      await engine.writer.run(() => insert.run(m.id, m.name, m.createdAt));
    },
    async findById(id) {
      return byId.get(id) as Merchant | undefined;
    },
    async list() {
      return all.all() as Merchant[];
    },
  };
}

export function sqliteApiKeys(engine: SqliteEngine): ApiKeyStore {
  const { db } = engine;
  const insert = db.prepare('INSERT INTO api_keys (id, merchant_id, secret_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)');
  const byHash = engine.query(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE secret_hash = ?`, 'raw');
  // Scopes are stored as a JSON array of strings: the scope, quoted, is in it or not.
  const authenticate = engine.query(
    // The merchant's sandbox clock offset comes with it: every process sees an advance at its next request.
    `SELECT k.id, k.merchant_id, instr(k.scopes, '"' || ? || '"') > 0, c.offset_ms FROM api_keys k
     LEFT JOIN sandbox_clocks c ON c.merchant_id = k.merchant_id WHERE k.secret_hash = ? AND k.revoked_at IS NULL`,
    'raw',
  );
  const byMerchant = engine.query('SELECT * FROM api_keys WHERE merchant_id = ? ORDER BY created_at, id');
  const count = engine.query('SELECT COUNT(*) AS n FROM api_keys', 'pluck');
  const rehash = db.prepare('UPDATE api_keys SET secret_hash = ? WHERE id = ?');
  const revoke = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  return {
    async insert(k: ApiKey) {
      await engine.writer.run(() => insert.run(k.id, k.merchantId, k.secretHash, JSON.stringify(k.scopes), k.createdAt));
    },
    findBySecretHash(hash) {
      const row = byHash.get(hash) as unknown[] | undefined;
      return row ? apiKeyFromRaw(row) : undefined;
    },
    authenticate(hash, scope) {
      // A raw row: no object with named keys on the busiest read.
      const row = authenticate.get(scope, hash) as [string, string, number, number | null] | undefined;
      return row ? { keyId: row[0], merchantId: row[1], hasScope: row[2] === 1, clockOffsetMs: row[3] ?? 0 } : undefined;
    },
    async listByMerchant(merchantId) {
      return (byMerchant.all(merchantId) as ApiKeyRow[]).map(toApiKey);
    },
    async count() {
      return count.get() as number;
    },
    async rehash(id, hash) {
      return (await engine.writer.run(() => rehash.run(hash, id).changes)) === 1;
    },
    async revoke(id, at) {
      return (await engine.writer.run(() => revoke.run(at, id).changes)) === 1;
    },
  };
}
