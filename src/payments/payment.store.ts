// What the payments sandbox needs from storage: payments, payment method tokens (the vault is the
// MULTI_USE ones), the durable jobs of async steps, and the events every change records. Engines
// implement it in storage/<engine>/payments.ts; nothing here knows SQL. No card number or CVV is ever
// part of any of these records (docs/payments.md, "Card data").
import type { Awaitable } from '../lib/awaitable.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import type { UnitOfWork } from '../storage/unit-of-work.ts';
import type { CardData, MethodData, PaymentStatus } from './model.ts';
import type { PaymentData } from './payment.ts';

export type TokenType = 'SINGLE_USE' | 'MULTI_USE';

/** A payment method token: what tokenizing a card leaves, never the number or the CVV. */
export interface StoredToken {
  /** tok_…: what the merchant's server sends to pay and vault. */
  token: string;
  merchantId: string;
  tokenType: TokenType;
  /** A SINGLE_USE token is bound to the session it was made in. */
  sessionId?: string;
  /** A MULTI_USE token belongs to one customer. */
  customerId?: string;
  /** vpm_…: the id the SDKs see for a vaulted method (a browser never gets a MULTI_USE token). */
  vaultedId?: string;
  /** SINGLE_USE made by exchanging a vaulted method: that MULTI_USE token. MULTI_USE: the token it was vaulted from. */
  sourceToken?: string;
  analyticsId: string;
  /** A card's data; absent on a non-card instrument, which has `method` instead. */
  card?: CardData;
  /** A non-card instrument (OFF_SESSION_PAYMENT: redirect and test methods, methods/registry.ts). */
  method?: MethodData;
  /** The test card's scenario key (cards.ts); a method's token keeps the plain success card's (captures and refunds as it). */
  scenario: string;
  cvvGiven: boolean;
  /** A keyed hash of the card number (card-input.ts, cardFingerprint): never the number. Absent on tokens made before it existed. */
  fingerprint?: string;
  isDefault: boolean;
  createdAt: number;
  /** SINGLE_USE: expires with its session. */
  expiresAt?: number;
  /** SINGLE_USE: the payment that used it. */
  usedAt?: number;
  deletedAt?: number;
}

export interface StoredPayment {
  id: string;
  merchantId: string;
  sessionId?: string;
  /** The payment method token it was created with. */
  token: string;
  status: PaymentStatus;
  /** Starts at 1; every committed change adds one. */
  version: number;
  createdAt: number;
  updatedAt: number;
  /** The open required action's id (3DS), while there is one. */
  actionId?: string;
  /** Hash of the access token inside the required action's client token, while the action is open. */
  actionTokenHash?: string;
  /** Capture, cancel and refund calls refused so far (kept beside the payment; they do not change it). */
  failedRequests: number;
  data: PaymentData;
}

/**
 * A due step of a payment that does not finish at once (an async authorization, a settlement, an action
 * left open): a row of its own, but for an authorization's expiry, found from the payment (lapsedAuthorizations).
 */
export interface PaymentJob {
  id: string;
  merchantId: string;
  paymentId: string;
  kind: 'authorize' | 'settle' | 'expire-action' | 'expire-authorization';
  runAt: number;
}

/** The events a payment records: its status and refunds, its failed operations (failure-events.ts) and its dispute's steps (disputes/). */
export const PAYMENT_EVENT_TYPES = [
  'PAYMENT.STATUS',
  'PAYMENT.REFUND',
  'PAYMENT.CAPTURE.FAILED',
  'PAYMENT.REFUND.FAILED',
  'PAYMENT.CANCELLATION.FAILED',
  'PAYMENT.AUTHORIZATION_ADJUSTMENT.FAILED',
  'DISPUTE.OPENED',
  'DISPUTE.STATUS',
] as const;
export type PaymentEventType = (typeof PAYMENT_EVENT_TYPES)[number];

/** A change to a payment, recorded in the unit of work that makes it (webhooks and history read these). */
export interface PaymentEvent {
  id: string;
  merchantId: string;
  paymentId: string;
  type: PaymentEventType;
  /** The payment's status after the change. */
  status: PaymentStatus;
  /** The payment's version after the change, and the event's place within it. */
  version: number;
  ordinal: number;
  createdAt: number;
  requestId?: string;
  /** The Idempotency-Key of that request, if it had one. */
  idempotencyKey?: string;
  /** What changed: amounts, the refund, the transaction event. */
  detail: Record<string, unknown>;
  /** Sent by POST /kassa/sandbox/events (the payment did not change): the history marks it. */
  triggered?: boolean;
}

export interface PaymentFilter {
  status?: PaymentStatus[];
  currencyCode?: string[];
  orderId?: string;
  customerId?: string[];
  customerEmail?: string[];
  last4?: string[];
  processor?: string[];
  processorMerchantId?: string[];
  minAmount?: number;
  maxAmount?: number;
  fromDate?: number;
  toDate?: number;
}

/** Where a list page starts: after this payment (newest first, ties by id). */
export interface PaymentCursor {
  createdAt: number;
  id: string;
  /** Whether the page goes backwards (prevCursor). */
  backwards: boolean;
}

/** Where a page of saved cards starts: after this one (newest first, ties by vaulted id, which the browser may see). */
export interface VaultCursor {
  createdAt: number;
  vaultedId: string;
}

/**
 * Which customer's saved card of the same number a change needs (Locked.sameCard), once the rows are
 * read; undefined when it will not vault. Engines lock that customer before reading it.
 */
export type SavedCardOf = (locked: Locked) => string | undefined;

/** Which rows a change locks and reads before it decides. */
export type PaymentKey =
  | { kind: 'payment'; merchantId: string; paymentId: string; savedCardOf?: SavedCardOf }
  /** A token, its session and (for 3DS continue) the payment waiting on it. */
  | { kind: 'token'; token: string; savedCardOf?: SavedCardOf }
  | { kind: 'action'; actionId: string; savedCardOf?: SavedCardOf }
  /**
   * A session about to get a token (tokenize, exchange): how many it has (Locked.sessionTokens), counted
   * one change at a time, and with `card`, that customer's live saved card of that number.
   */
  | { kind: 'session'; sessionId: string; card?: { merchantId: string; customerId: string; fingerprint: string } };

export interface Locked {
  payment?: StoredPayment;
  /** The token named, or the payment's token. */
  token?: StoredToken;
  /** The vaulted (MULTI_USE) method `token` became or was exchanged from: its `sourceToken`. */
  vaulted?: StoredToken;
  /** A SINGLE_USE token's session. */
  session?: StoredSession;
  /** The live saved card of the customer `savedCardOf` (or the key's `card`) names with the token's fingerprint. */
  sameCard?: StoredToken;
  /** A 'session' key: the tokens that session has. */
  sessionTokens?: number;
}

export interface PaymentStore {
  // Reads answer at once on SQLite and later on PostgreSQL (lib/awaitable.ts).
  findById(merchantId: string, id: string): Awaitable<StoredPayment | undefined>;
  findByActionTokenHash(hash: string): Awaitable<StoredPayment | undefined>;
  list(merchantId: string, filter: PaymentFilter, limit: number, cursor?: PaymentCursor): Promise<StoredPayment[]>;
  listBySession(merchantId: string, sessionId: string): Promise<StoredPayment[]>;
  findToken(token: string): Awaitable<StoredToken | undefined>;
  findVaultedById(merchantId: string, vaultedId: string): Awaitable<StoredToken | undefined>;
  /** A page of a customer's live vaulted methods, newest first (ties by vaulted id), after `after` when given. */
  vaulted(merchantId: string, customerId: string, limit: number, after?: VaultCursor): Promise<StoredToken[]>;
  /**
   * A change serialised with every other change to the same payment or token, in every process:
   * `decide` sees the rows `key` names as they are now, records its writes in `uow`, and they commit
   * together. `decide` may throw: nothing is written then.
   */
  change<R>(key: PaymentKey, decide: (locked: Locked, uow: UnitOfWork) => R): Promise<R>;
  /** Counts one refused capture, cancel or refund; resolves with the new count. */
  countRefused(merchantId: string, paymentId: string): Promise<number>;
  events(merchantId: string, paymentId: string): Promise<PaymentEvent[]>;
  /**
   * Deletes up to `limit` SINGLE_USE tokens that expired before `before` and that no payment references
   * (never used, or their payments are gone); resolves with how many.
   */
  purgeExpiredTokens(before: number, limit: number): Promise<number>;
  /**
   * Deletes at most `limit` payments that are over (DECLINED, FAILED, CANCELLED, SETTLED, or
   * PARTIALLY_SETTLED with capturing closed) and unchanged since before `before`, oldest first, with
   * their events and webhook deliveries, in one transaction. A payment with a job, an event awaiting
   * its deliveries or a delivery still PENDING is kept. Resolves with how many of each went.
   */
  purgeFinished(before: number, limit: number): Promise<PurgedPayments>;
  /** Jobs due at `now` on their merchant's clock (`now` plus its sandbox offset) that no process holds. */
  dueJobs(now: number, limit: number): Promise<PaymentJob[]>;
  /**
   * Payments with something left to capture that were authorized by `authorizedBy` on their merchant's
   * clock, oldest first: each as an `expire-authorization` job with no row (nothing to claim).
   */
  lapsedAuthorizations(authorizedBy: number, limit: number): Promise<PaymentJob[]>;
  /** Takes a due job for this process until `until`; false when another process took it. */
  claimJob(id: string, now: number, until: number): Promise<boolean>;
  /**
   * A sandbox reset (sandbox/reset): deletes every payment of the merchant with its events and jobs,
   * and every token, saved cards included, in one transaction. Resolves with how many of each went.
   */
  resetMerchant(merchantId: string): Promise<{ payments: number; tokens: number; events: number }>;
}

/** What may change on a stored token; a mark once set is never taken back, so only setting is needed. */
export type TokenChange = Partial<Pick<StoredToken, 'customerId' | 'sourceToken' | 'isDefault' | 'usedAt' | 'deletedAt'>>;

export interface PurgedPayments {
  payments: number;
  events: number;
  deliveries: number;
}

/** Payment writes a unit of work can hold. */
export interface PaymentWrites {
  insert(payment: StoredPayment): void;
  /** Stores `payment` over version `payment.version - 1`; the unit fails if another version is stored. */
  update(payment: StoredPayment): void;
  insertToken(token: StoredToken): void;
  /**
   * Sets the fields `change` names on the token and keeps the others. A change, not a whole copy: two
   * changes of one token in one unit both hold (a copy read before the first would undo it on writing).
   */
  updateToken(token: string, change: TokenChange): void;
  /** Makes `token` the customer's only default vaulted method. */
  setDefault(merchantId: string, customerId: string, token: string): void;
  insertEvent(event: PaymentEvent): void;
  scheduleJob(job: PaymentJob): void;
  /** Drops a payment's pending jobs (of one kind, or all). */
  dropJobs(paymentId: string, kind?: PaymentJob['kind']): void;
}
