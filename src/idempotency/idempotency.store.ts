// Idempotency records live in the database, so every process sees the same keys. Keys are scoped to
// their merchant and stored only as hashes; a record's response is opaque here (sealed by the service).

/** What `begin` found for a (merchant, key) pair. */
export type IdempotencyBegin =
  /** No live record existed: one is now held in flight for this request, under `claim`. */
  | { state: 'new'; claim: string }
  /** The same request is still being processed by someone else. */
  | { state: 'in-flight' }
  /** The same request completed; `response` is what was stored with its change. */
  | { state: 'completed'; response: string }
  /** The key was used with a different request (another `requestHash`). */
  | { state: 'mismatch' };

export interface IdempotencyBeginInput {
  merchantId: string;
  /** sha256 of the client's idempotency key; the key itself is never stored. */
  keyHash: string;
  /** Fingerprint of method + route + API version + canonical body. */
  requestHash: string;
  /** Random, names this request's hold on the record (a hold that lapsed and was taken over is not ours). */
  claim: string;
  now: number;
  /** When the record may be forgotten (ms). */
  expiresAt: number;
  /** An in-flight record whose holder has not finished by then is taken over (a crashed process). */
  lockedUntil: number;
}

/**
 * `begin` is atomic across processes. An expired record, or an in-flight record past `lockedUntil`,
 * counts as absent.
 */
export interface IdempotencyStore {
  begin(input: IdempotencyBeginInput): Promise<IdempotencyBegin>;
  /** Forgets an in-flight record this request holds, so a retry runs again. */
  release(merchantId: string, keyHash: string, claim: string): Promise<void>;
  /** Deletes at most `limit` records with `expiresAt <= before`; returns how many went. */
  purgeExpired(before: number, limit: number): Promise<number>;
  /** A sandbox reset (sandbox/reset): deletes every record of the merchant, held ones too. */
  resetMerchant(merchantId: string): Promise<{ idempotencyRecords: number }>;
}

/** Held in the unit of work of the change the request made, so the change and its answer commit together. */
export interface IdempotencyWrites {
  /** Stores the answer on the record this request holds; the unit fails if the hold was lost. */
  complete(merchantId: string, keyHash: string, claim: string, response: string): void;
}
