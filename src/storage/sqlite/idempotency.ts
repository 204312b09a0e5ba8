// Idempotency records on SQLite. The claim is one unit in the writer's transaction (so it is atomic
// for every process sharing the file): take the record over if it is free, then read what is there.
import type Database from 'better-sqlite3';
import type { IdempotencyStore, IdempotencyWrites } from '../../idempotency/idempotency.store.ts';
import { CLAIMABLE, classify, type IdempotencyRow } from '../idempotency-rows.ts';
import { WriteConflict } from '../unit-of-work.ts';
import type { SqliteEngine } from './database.ts';

// Free: no record, or one CLAIMABLE (idempotency-rows.ts).
const CLAIM_SQL = `
  INSERT INTO idempotency_keys (merchant_id, key_hash, request_hash, response, created_at, locked_until, expires_at, claim)
  VALUES (?, ?, ?, NULL, ?, ?, ?, ?)
  ON CONFLICT (merchant_id, key_hash) DO UPDATE SET
    request_hash = excluded.request_hash, response = NULL, created_at = excluded.created_at,
    locked_until = excluded.locked_until, expires_at = excluded.expires_at, claim = excluded.claim
  WHERE ${CLAIMABLE}
  RETURNING claim`;

export function sqliteIdempotencyWrites(db: Database.Database): IdempotencyWrites {
  const complete = db.prepare(
    'UPDATE idempotency_keys SET response = ?, claim = NULL WHERE merchant_id = ? AND key_hash = ? AND claim = ? AND response IS NULL',
  );
  return {
    complete(merchantId, keyHash, claim, response) {
      if (complete.run(response, merchantId, keyHash, claim).changes !== 1) {
        throw new WriteConflict('the idempotency key is no longer held by this request');
      }
    },
  };
}

export function sqliteIdempotency(engine: SqliteEngine): IdempotencyStore {
  const { db } = engine;
  const claim = db.prepare(CLAIM_SQL);
  const read = db.prepare('SELECT request_hash, response, claim FROM idempotency_keys WHERE merchant_id = ? AND key_hash = ?');
  const release = db.prepare('DELETE FROM idempotency_keys WHERE merchant_id = ? AND key_hash = ? AND claim = ? AND response IS NULL');
  const purge = db.prepare(
    'DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE expires_at <= ? LIMIT ?)',
  );
  const reset = db.prepare('DELETE FROM idempotency_keys WHERE merchant_id = ?');
  return {
    begin(input) {
      return engine.writer.run(() => {
        const taken = claim.get(
          input.merchantId,
          input.keyHash,
          input.requestHash,
          input.now,
          input.lockedUntil,
          input.expiresAt,
          input.claim,
        );
        return classify(
          taken as { claim: string } | undefined,
          read.get(input.merchantId, input.keyHash) as IdempotencyRow | undefined,
          input,
        );
      });
    },
    async release(merchantId, keyHash, holder) {
      await engine.writer.run(() => release.run(merchantId, keyHash, holder));
    },
    purgeExpired(before, limit) {
      return engine.writer.run(() => purge.run(before, limit).changes);
    },
    resetMerchant(merchantId) {
      return engine.writer.run(() => ({ idempotencyRecords: reset.run(merchantId).changes }));
    },
  };
}
