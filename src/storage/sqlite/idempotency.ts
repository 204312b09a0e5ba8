// Idempotency records on SQLite. The claim is one unit in the writer thread (so it is atomic for every
// process sharing the file): take the record over if it is free, then read what is there.
import type { IdempotencyBegin, IdempotencyStore, IdempotencyWrites } from '../../idempotency/idempotency.store.ts';
import type { SqliteEngine } from './database.ts';
import type { SqliteUnitOfWork } from './unit-of-work.ts';

// Free: no record, an expired one, or the same request whose holder did not finish in time.
export const CLAIM_SQL = `
  INSERT INTO idempotency_keys (merchant_id, key_hash, request_hash, response, created_at, locked_until, expires_at, claim)
  VALUES (?, ?, ?, NULL, ?, ?, ?, ?)
  ON CONFLICT (merchant_id, key_hash) DO UPDATE SET
    request_hash = excluded.request_hash, response = NULL, created_at = excluded.created_at,
    locked_until = excluded.locked_until, expires_at = excluded.expires_at, claim = excluded.claim
  WHERE idempotency_keys.expires_at <= excluded.created_at
     OR (idempotency_keys.response IS NULL AND idempotency_keys.locked_until <= excluded.created_at
         AND idempotency_keys.request_hash = excluded.request_hash)
  RETURNING claim`;

interface Row {
  request_hash: string;
  response: string | null;
  claim: string | null;
}

/** What a claim attempt found: ours, or the record someone else holds or completed. */
export function classify(taken: { claim: string } | null | undefined, row: Row | null | undefined, input: { claim: string; requestHash: string }): IdempotencyBegin {
  if (taken && taken.claim === input.claim) return { state: 'new', claim: input.claim };
  if (!row) return { state: 'in-flight' };
  if (row.request_hash !== input.requestHash) return { state: 'mismatch' };
  if (row.response !== null) return { state: 'completed', response: row.response };
  return { state: 'in-flight' };
}

export function idempotencyWrites(uow: SqliteUnitOfWork): IdempotencyWrites {
  return {
    complete(merchantId, keyHash, claim, response) {
      uow.ops.push({
        sql: `UPDATE idempotency_keys SET response = ?, claim = NULL
              WHERE merchant_id = ? AND key_hash = ? AND claim = ? AND response IS NULL`,
        params: [response, merchantId, keyHash, claim],
        expect: 'one',
      });
    },
  };
}

export function sqliteIdempotency(engine: SqliteEngine): IdempotencyStore {
  return {
    async begin(input) {
      const [taken, row] = await engine.writer.run([
        {
          sql: CLAIM_SQL,
          params: [input.merchantId, input.keyHash, input.requestHash, input.now, input.lockedUntil, input.expiresAt, input.claim],
          returns: 'row',
        },
        {
          sql: 'SELECT request_hash, response, claim FROM idempotency_keys WHERE merchant_id = ? AND key_hash = ?',
          params: [input.merchantId, input.keyHash],
          returns: 'row',
        },
      ]);
      return classify(taken as { claim: string } | null, row as Row | null, input);
    },
    async release(merchantId, keyHash, claim) {
      await engine.writer.run([
        {
          sql: 'DELETE FROM idempotency_keys WHERE merchant_id = ? AND key_hash = ? AND claim = ? AND response IS NULL',
          params: [merchantId, keyHash, claim],
        },
      ]);
    },
    async purgeExpired(before, limit) {
      const [changes] = await engine.writer.run([
        {
          sql: 'DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE expires_at <= ? LIMIT ?)',
          params: [before, limit],
        },
      ]);
      return changes as number;
    },
  };
}
