// Everything Kassa keeps, as one object: each feature's store (the interfaces live with the features)
// plus the engine's own operations. Engines: storage/sqlite (the default) and storage/postgres.
import type { IdempotencyStore } from '../idempotency/idempotency.store.ts';
import type { ApiKeyStore, MerchantStore } from '../merchants/merchant.store.ts';
import type { WebhookStore } from '../webhooks/webhook.store.ts';
import type { PaymentStore } from '../payments/payment.store.ts';
import type { SessionStore } from '../sessions/session.store.ts';
import type { SigningKeyStore } from '../tokens/signing-key.store.ts';
import type { UnitOfWork } from './unit-of-work.ts';

export type Engine = 'sqlite' | 'postgres';

export interface Store {
  readonly engine: Engine;
  readonly sessions: SessionStore;
  readonly merchants: MerchantStore;
  readonly apiKeys: ApiKeyStore;
  readonly signingKeys: SigningKeyStore;
  readonly idempotency: IdempotencyStore;
  readonly payments: PaymentStore;
  readonly webhooks: WebhookStore;
  /** Commits the writes `record` makes in a unit of work, atomically; resolves with its result once durable. */
  commit<R>(record: (uow: UnitOfWork) => R): Promise<R>;
  /** Applies pending migrations; safe when several processes start at once. */
  migrate(): Promise<void>;
  /** True when the storage answers (a cheap round trip, for every readiness check). */
  ping(): Promise<boolean>;
  /**
   * Proof that the storage works, after a request failed on it (health.ts): commits a small write
   * and, on SQLite, checks the file's integrity. Throws the storage's error when it does not.
   */
  probe(): Promise<void>;
  close(): Promise<void>;
}
