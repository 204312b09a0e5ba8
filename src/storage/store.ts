// The storage interface every engine implements (conventions: "stores speak the domain").
// Row <-> object mapping lives in each adapter; nothing above this file knows SQL.
import type { SessionData } from '../sessions/schemas.ts';

export interface StoredSession {
  id: string;
  merchantId: string;
  accessTokenHash: string;
  data: SessionData;
  version: number;
  createdAt: number;
  updatedAt: number;
  /** When the session's client token expires (ms since epoch). */
  expiresAt: number;
}

export interface SessionStore {
  insert(session: StoredSession): Promise<void>;
  /**
   * The session whose accessToken hashes to `accessTokenHash`, whoever owns it: callers with an API
   * key must compare `merchantId` themselves; the SDK routes hold only the access token.
   */
  findByAccessTokenHash(accessTokenHash: string): Promise<StoredSession | undefined>;
  findById(merchantId: string, id: string): Promise<StoredSession | undefined>;
  /**
   * Replaces the data when the stored version is still `expectedVersion`, and bumps the version.
   * Returns the new row, or undefined when another writer got there first.
   */
  update(id: string, data: SessionData, expectedVersion: number, updatedAt: number): Promise<StoredSession | undefined>;
  /** Most recent first; `before` is a createdAt cursor. */
  listByMerchant(merchantId: string, options: { limit: number; before?: number }): Promise<StoredSession[]>;
  /**
   * Deletes at most `limit` sessions whose `expiresAt` is before `before` (oldest first); returns how
   * many went. Small batches keep each write short so requests are not held up.
   */
  purgeExpired(before: number, limit: number): Promise<number>;
}

/** What `IdempotencyStore.begin` found for a (merchant, key) pair. */
export type IdempotencyBegin =
  /** No live record existed: one is now held in flight for this request. */
  | { state: 'new' }
  /** The same request is still being processed by someone else. */
  | { state: 'in-flight' }
  /** The same request completed; `response` is what `complete` stored (opaque to the store). */
  | { state: 'completed'; response: string }
  /** The key was used with a different request (another `requestHash`). */
  | { state: 'mismatch' };

export interface IdempotencyBeginInput {
  merchantId: string;
  /** sha256 of the client's idempotency key; the key itself is never stored. */
  keyHash: string;
  /** Fingerprint of method + route + API version + canonical body. */
  requestHash: string;
  now: number;
  /** When the record may be forgotten (ms). */
  expiresAt: number;
  /** An in-flight record whose holder has not finished by then is taken over (a crashed process). */
  lockedUntil: number;
}

/**
 * Idempotency records (conventions habit 7: they live in the database). Keys are scoped to their
 * merchant. An expired record, or an in-flight record past `lockedUntil`, counts as absent.
 * `begin` must be atomic across processes (one transaction / row lock).
 */
export interface IdempotencyStore {
  begin(input: IdempotencyBeginInput): Promise<IdempotencyBegin>;
  /** Stores the response of the in-flight record for replays; `response` is opaque (encrypted). */
  complete(merchantId: string, keyHash: string, response: string): Promise<void>;
  /** Forgets an in-flight record whose request failed, so a retry runs again. */
  release(merchantId: string, keyHash: string): Promise<void>;
  /** Deletes at most `limit` records with `expiresAt <= before`; returns how many went. */
  purgeExpired(before: number, limit: number): Promise<number>;
}

export interface Merchant {
  id: string;
  name: string;
  createdAt: number;
}

export interface MerchantStore {
  insert(merchant: Merchant): Promise<void>;
  findById(id: string): Promise<Merchant | undefined>;
  list(): Promise<Merchant[]>;
}

export interface ApiKey {
  id: string;
  merchantId: string;
  /** sha256 of the secret; the secret itself is never stored. */
  secretHash: string;
  /** First characters of the secret, to recognise a key in listings. */
  prefix: string;
  scopes: string[];
  createdAt: number;
  revokedAt?: number;
}

export interface ApiKeyStore {
  insert(key: ApiKey): Promise<void>;
  findBySecretHash(secretHash: string): Promise<ApiKey | undefined>;
  listByMerchant(merchantId: string): Promise<ApiKey[]>;
  count(): Promise<number>;
  /** Returns false when no such unrevoked key exists. */
  revoke(id: string, at: number): Promise<boolean>;
}

export interface SigningKey {
  kid: string;
  secret: string;
  createdAt: number;
}

export interface SigningKeyStore {
  /** Stores `candidate` unless a key already exists; returns the key every process must use. */
  ensure(candidate: SigningKey): Promise<SigningKey>;
  list(): Promise<SigningKey[]>;
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly sessions: SessionStore;
  readonly merchants: MerchantStore;
  readonly apiKeys: ApiKeyStore;
  readonly signingKeys: SigningKeyStore;
  readonly idempotency: IdempotencyStore;
  /** Applies pending migrations; safe when several processes start at once. */
  migrate(): Promise<void>;
  /** True when the storage answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
