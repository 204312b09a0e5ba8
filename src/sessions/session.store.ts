// What the Client Session API needs from storage. Each engine implements it in
// storage/<engine>/sessions.ts; nothing here knows SQL.
import type { Awaitable } from '../lib/awaitable.ts';
import type { UnitOfWork } from '../storage/unit-of-work.ts';
import type { SessionData } from './schemas.ts';

export interface StoredSession {
  id: string;
  merchantId: string;
  accessTokenHash: string;
  data: SessionData;
  /** Starts at 1; every committed change adds one (the ETag names it). */
  version: number;
  createdAt: number;
  updatedAt: number;
  /** When the session's client token expires (ms since epoch). */
  expiresAt: number;
}

/** Who owns a session and which version is stored: enough to tell whether a cached answer is current. */
export type SessionVersion = Pick<StoredSession, 'merchantId' | 'version' | 'expiresAt'> & MerchantClockOffset;

/**
 * The session's merchant's sandbox clock offset (ms), read in the same statement as the session by a
 * token's lookup, so an SDK route sees another process's advance at no extra round trip; absent when
 * the merchant has none (sandbox/clock/merchant-clocks.ts).
 */
export interface MerchantClockOffset {
  clockOffsetMs?: number;
}

export interface SessionStore {
  /** A session's events, oldest first (its history). */
  events(merchantId: string, sessionId: string): Promise<SessionEvent[]>;
  // Reads answer at once on SQLite and later on PostgreSQL (lib/awaitable.ts).
  /**
   * The session whose accessToken hashes to `accessTokenHash`, whoever owns it: callers with an API
   * key compare `merchantId` themselves; the SDK routes hold only the access token.
   */
  findByAccessTokenHash(accessTokenHash: string): Awaitable<(StoredSession & MerchantClockOffset) | undefined>;
  findById(merchantId: string, id: string): Awaitable<StoredSession | undefined>;
  versionOf(accessTokenHash: string): Awaitable<SessionVersion | undefined>;
  /** Most recent first; `before` is a createdAt cursor. */
  listByMerchant(merchantId: string, options: { limit: number; before?: number }): Awaitable<StoredSession[]>;
  /**
   * A change to one session, serialised with every other change to it, in every process: `decide`
   * sees the stored session as it is now, records its writes in `uow`, and they are committed together
   * (SQLite: inside the writer's transaction; PostgreSQL: holding the row's lock). `decide` may throw:
   * nothing is written then. A change that cannot get the session in time fails with a retryable
   * error (a 503).
   */
  change<R>(accessTokenHash: string, decide: (current: StoredSession | undefined, uow: UnitOfWork) => R): Promise<R>;
  /**
   * Deletes at most `limit` sessions whose `expiresAt` is before `before` on their merchant's time
   * (`before` plus its sandbox clock offset), oldest first; returns how many went. Small batches keep
   * each write short so requests are not held up.
   */
  purgeExpired(before: number, limit: number): Promise<number>;
  /** The same for one merchant's sessions (its sandbox clock was advanced). */
  purgeExpiredOf(merchantId: string, before: number, limit: number): Promise<number>;
  /**
   * Records `CLIENT_SESSION.EXPIRED` (the event `eventOf` makes) for at most `limit` sessions whose
   * `expiresAt` is at or before `now` on their merchant's time (its sandbox offset), oldest first, and
   * marks them, in one transaction: a conditional UPDATE of the mark, so however many processes run
   * this at once, each session gets its event once. Returns how many were recorded.
   */
  recordExpired(now: number, limit: number, eventOf: (session: StoredSession) => SessionEvent): Promise<number>;
  /** A sandbox reset (sandbox/reset): deletes every session of the merchant and their history, in one transaction. */
  resetMerchant(merchantId: string): Promise<{ sessions: number; events: number }>;
}

/** Session writes a unit of work can hold. */
export interface SessionWrites {
  insert(session: StoredSession): void;
  /** Stores `session` over version `session.version - 1`; the unit fails if another version is stored. */
  update(session: StoredSession): void;
  /** The event of a change (the session's history; webhooks deliver it to endpoints that ask for it). */
  recordEvent(event: SessionEvent): void;
}

/** The events a session records (Kassa's extensions: off unless an endpoint names them). */
export const SESSION_EVENT_TYPES = ['CLIENT_SESSION.CREATED', 'CLIENT_SESSION.UPDATED', 'CLIENT_SESSION.EXPIRED'] as const;
export type SessionEventType = (typeof SESSION_EVENT_TYPES)[number];

/** A change to a session, recorded in the unit of work that makes it. */
export interface SessionEvent {
  id: string;
  merchantId: string;
  sessionId: string;
  type: SessionEventType;
  /** The session's version after the change. */
  version: number;
  createdAt: number;
  requestId?: string;
  /** The Idempotency-Key of that request, if it had one. */
  idempotencyKey?: string;
  /**
   * CREATED: the order's id, currency and amount. UPDATED: each value changed at its path
   * (`{$paths: PathChange[]}`, sessions/history.ts), which sessionHistory shows as each top-level field {from, to}.
   */
  detail: Record<string, unknown>;
  /** Sent by POST /kassa/sandbox/events (the session did not change): its detail is the session then, shown as stored. */
  triggered?: boolean;
  /** Where it sorts among its version's events, which can share an instant: 0 (the change) unless set. Written, not read back. */
  ordinal?: number;
}
