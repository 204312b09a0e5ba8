// Idempotency records on PostgreSQL: the claim and the read are one transaction, with the same rules
// as on SQLite (storage/idempotency-rows.ts).
import type { IdempotencyStore, IdempotencyWrites } from '../../idempotency/idempotency.store.ts';
import { CLAIMABLE, classify, type IdempotencyRow } from '../idempotency-rows.ts';
import { WriteConflict } from '../unit-of-work.ts';
import type { PostgresEngine } from './database.ts';
import type { PostgresUnitOfWork } from './unit-of-work.ts';

export function idempotencyWrites(uow: PostgresUnitOfWork): IdempotencyWrites {
  return {
    complete(merchantId, keyHash, claim, response) {
      uow.ops.push(async (tx) => {
        const result = await tx`
          UPDATE idempotency_keys SET response = ${response}, claim = NULL
          WHERE merchant_id = ${merchantId} AND key_hash = ${keyHash} AND claim = ${claim} AND response IS NULL`;
        if (result.count !== 1) throw new WriteConflict('the idempotency key is no longer held by this request');
      });
    },
  };
}

export function postgresIdempotency(pg: PostgresEngine): IdempotencyStore {
  return {
    async begin(input) {
      const [taken, row] = await pg.transaction(async (tx) => {
        const [claimed] = await tx<{ claim: string }[]>`
            INSERT INTO idempotency_keys (merchant_id, key_hash, request_hash, response, created_at, locked_until, expires_at, claim)
            VALUES (${input.merchantId}, ${input.keyHash}, ${input.requestHash}, NULL, ${input.now}, ${input.lockedUntil},
                    ${input.expiresAt}, ${input.claim})
            ON CONFLICT (merchant_id, key_hash) DO UPDATE SET
              request_hash = excluded.request_hash, response = NULL, created_at = excluded.created_at,
              locked_until = excluded.locked_until, expires_at = excluded.expires_at, claim = excluded.claim
            WHERE ${tx.unsafe(CLAIMABLE)}
            RETURNING claim`;
        const [current] = await tx<IdempotencyRow[]>`
            SELECT request_hash, response, claim FROM idempotency_keys
            WHERE merchant_id = ${input.merchantId} AND key_hash = ${input.keyHash}`;
        return [claimed, current] as const;
      });
      return classify(taken, row, input);
    },
    async release(merchantId, keyHash, claim) {
      await pg.query`
        DELETE FROM idempotency_keys
        WHERE merchant_id = ${merchantId} AND key_hash = ${keyHash} AND claim = ${claim} AND response IS NULL`;
    },
    async purgeExpired(before, limit) {
      const result = await pg.query`
        DELETE FROM idempotency_keys WHERE (merchant_id, key_hash) IN (
          SELECT merchant_id, key_hash FROM idempotency_keys WHERE expires_at <= ${before} LIMIT ${limit})`;
      return result.count;
    },
    async resetMerchant(merchantId) {
      const result = await pg.query`DELETE FROM idempotency_keys WHERE merchant_id = ${merchantId}`;
      return { idempotencyRecords: result.count };
    },
  };
}
