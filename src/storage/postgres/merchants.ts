// Merchants and API keys on PostgreSQL.
import type { ApiKeyStore, Merchant, MerchantStore } from '../../merchants/merchant.store.ts';
import { toApiKey, type ApiKeyRow } from '../rows.ts';
import type { PostgresEngine } from './database.ts';

type MerchantRow = { id: string; name: string; created_at: string };
const toMerchant = (row: MerchantRow): Merchant => ({ id: row.id, name: row.name, createdAt: Number(row.created_at) });

export function postgresMerchants(pg: PostgresEngine): MerchantStore {
  return {
    async insert(m) {
      await pg.query`INSERT INTO merchants (id, name, created_at) VALUES (${m.id}, ${m.name}, ${m.createdAt})`;
    },
    async findById(id) {
      const [row] = await pg.query<MerchantRow[]>`SELECT * FROM merchants WHERE id = ${id}`;
      return row ? toMerchant(row) : undefined;
    },
    async list() {
      return (await pg.query<MerchantRow[]>`SELECT * FROM merchants ORDER BY created_at, id`).map(toMerchant);
    },
  };
}

export function postgresApiKeys(pg: PostgresEngine): ApiKeyStore {
  return {
    async insert(k) {
      await pg.query`
        INSERT INTO api_keys (id, merchant_id, secret_hash, scopes, created_at)
        VALUES (${k.id}, ${k.merchantId}, ${k.secretHash}, ${JSON.stringify(k.scopes)}, ${k.createdAt})`;
    },
    async findBySecretHash(hash) {
      const [row] = await pg.query<ApiKeyRow[]>`SELECT * FROM api_keys WHERE secret_hash = ${hash}`;
      return row ? toApiKey(row) : undefined;
    },
    async authenticate(hash, scope) {
      // The merchant's sandbox clock offset comes with it: every process sees an advance at its next request.
      const [row] = await pg.query<{ id: string; merchant_id: string; has_scope: boolean; offset_ms: string | null }[]>`
          SELECT k.id, k.merchant_id, (k.scopes::jsonb ? ${scope}) AS has_scope, c.offset_ms FROM api_keys k
          LEFT JOIN sandbox_clocks c ON c.merchant_id = k.merchant_id
          WHERE k.secret_hash = ${hash} AND k.revoked_at IS NULL`;
      return row
        ? { keyId: row.id, merchantId: row.merchant_id, hasScope: row.has_scope, clockOffsetMs: Number(row.offset_ms ?? 0) }
        : undefined;
    },
    async listByMerchant(merchantId) {
      const rows = await pg.query<ApiKeyRow[]>`SELECT * FROM api_keys WHERE merchant_id = ${merchantId} ORDER BY created_at, id`;
      return rows.map(toApiKey);
    },
    async count() {
      const [row] = await pg.query<{ n: number }[]>`SELECT COUNT(*)::int AS n FROM api_keys`;
      return row!.n;
    },
    async rehash(id, hash) {
      const result = await pg.query`UPDATE api_keys SET secret_hash = ${hash} WHERE id = ${id}`;
      return result.count === 1;
    },
    async revoke(id, at) {
      const result = await pg.query`UPDATE api_keys SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL`;
      return result.count === 1;
    },
  };
}
