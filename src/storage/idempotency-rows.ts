// The idempotency claim's rules, shared by both engines' adapters.
import type { IdempotencyBegin } from '../idempotency/idempotency.store.ts';

/**
 * When a claim may take an existing record over (SQL on the conflicting row and the claim's `excluded`
 * values): it has expired, or it is the same request whose holder did not finish in time.
 */
export const CLAIMABLE = `idempotency_keys.expires_at <= excluded.created_at
     OR (idempotency_keys.response IS NULL AND idempotency_keys.locked_until <= excluded.created_at
         AND idempotency_keys.request_hash = excluded.request_hash)`;

export interface IdempotencyRow {
  request_hash: string;
  response: string | null;
  claim: string | null;
}

/** What a claim attempt found: ours, or the record someone else holds or completed. */
export function classify(
  taken: { claim: string } | null | undefined,
  row: IdempotencyRow | null | undefined,
  input: { claim: string; requestHash: string },
): IdempotencyBegin {
  if (taken && taken.claim === input.claim) return { state: 'new', claim: input.claim };
  if (!row) return { state: 'in-flight' };
  if (row.request_hash !== input.requestHash) return { state: 'mismatch' };
  if (row.response !== null) return { state: 'completed', response: row.response };
  return { state: 'in-flight' };
}
