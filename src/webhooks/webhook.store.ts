// What webhooks need from storage: a merchant's endpoints and the deliveries of events to them. A
// change writes its events in its own unit of work (the outbox); fanOut later makes each event's
// deliveries, one per live endpoint taking its type, and dispatchers in every process claim due ones.
import type { Awaitable } from '../lib/awaitable.ts';
import { PAYMENT_EVENT_TYPES } from '../payments/payment.store.ts';
import { SESSION_EVENT_TYPES } from '../sessions/session.store.ts';

/** Every event Kassa sends: what payments and sessions record. */
export const WEBHOOK_EVENT_TYPES = [...PAYMENT_EVENT_TYPES, ...SESSION_EVENT_TYPES] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** How many attempts of one delivery the log keeps (the newest): six scheduled, and a few redeliveries. */
export const ATTEMPTS_KEPT = 10;
/** What an endpoint gets when it names no events: Primer's. The session events are Kassa's, asked for by name. */
export const DEFAULT_EVENT_TYPES: readonly WebhookEventType[] = ['PAYMENT.STATUS', 'PAYMENT.REFUND'];

/**
 * The sandbox's webhook chaos on one endpoint (docs/sandbox.md, "Webhook chaos"); absent when off. Only
 * the knobs that are on are kept.
 */
export interface WebhookChaos {
  /** The chance (0 to 1) that a sent delivery is sent a second time, at once, with the same delivery id. */
  duplicate?: number;
  /** Each delivery waits a random part of SHUFFLE_WINDOW_MS before its first attempt, so they leave out of order. */
  shuffle?: boolean;
  /** The first n attempts of each delivery are recorded as failed without being sent, so retries run. */
  failFirst?: number;
  /** Each delivery's first attempt waits this long after its event (as a due time: no sending slot is held). */
  delayMs?: number;
}

export interface WebhookEndpoint {
  /** UUID. */
  id: string;
  merchantId: string;
  url: string;
  description?: string;
  events: WebhookEventType[];
  /** The API version the payment in the body is written in. */
  version: string;
  /** Sealed (lib/seal.ts): the signing secret is never stored in clear. */
  secretSealed: string;
  /** After a rotation, the old secret (sealed) signs too, until `previousUntil`. */
  previousSecretSealed?: string;
  previousUntil?: number;
  createdAt: number;
  deletedAt?: number;
  /** Since when every attempt to it has failed (cleared by a 2xx); with `failures`, what disabling reads. */
  failingSince?: number;
  /** Attempts failed in a row (absent when none). */
  failures?: number;
  /** Disabled (endpoint-health.ts): it gets no new deliveries until enabled again. */
  disabledAt?: number;
  disabledReason?: string;
  /** The sandbox's chaos on its deliveries; absent when off. */
  chaos?: WebhookChaos;
}

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

export interface WebhookDelivery {
  /** UUID, stable across attempts (X-Kassa-Delivery-Id). */
  id: string;
  merchantId: string;
  endpointId: string;
  /** The event delivered (payment_events.id or session_events.id). */
  eventId: string;
  eventType: WebhookEventType;
  /** The payment or the session the event is about. */
  subjectId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastStatusCode?: number;
  lastError?: string;
  createdAt: number;
  deliveredAt?: number;
}

/** What one attempt left. */
export interface AttemptResult {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastStatusCode?: number;
  lastError?: string;
  deliveredAt?: number;
  /** What the attempt sent and got, for the delivery log (attempt-log.ts bounds it). */
  log?: AttemptLog;
  /** A send's effect on its endpoint's health; absent when nothing was sent (the endpoint was gone or disabled). */
  health?: EndpointHealthChange;
}

/** One attempt as the delivery log keeps it: never the secret, and the receiver's answer only in part. */
export interface AttemptLog {
  at: number;
  durationMs: number;
  /** Absent when nothing was sent (the endpoint was deleted or disabled, the event gone). */
  request?: { headers: Record<string, string>; body: string };
  /** Absent when the receiver gave no HTTP answer. */
  response?: { statusCode: number; headers: Record<string, string>; body: string };
  /** What happened, in Kassa's words. */
  outcome: string;
}

/** An attempt in the log, numbered as the delivery counts its attempts (1-based). */
export interface LoggedAttempt extends AttemptLog {
  attempt: number;
}

/** What a send tells about its endpoint: a 2xx clears its failure streak; a failure extends it and may disable it. */
export interface EndpointHealthChange {
  ok: boolean;
  at: number;
  /** Disable when the streak began at or before this time and counts at least `disableAfterFailures`. */
  disableIfFailingSince: number;
  disableAfterFailures: number;
  disableReason: string;
}

/**
 * A process's hold on a delivery it is sending. The token is the time the claim lasts until: a claim is
 * taken only once the previous one lapsed and a renewal only moves it later, so it grows with every
 * holder and a process whose claim was taken over can never match it again.
 */
export interface DeliveryClaim {
  id: string;
  until: number;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  endpointId?: string;
  subjectId?: string;
}

export interface WebhookStore {
  /**
   * Adds an endpoint; with `maxLive`, only while the merchant has fewer live (not deleted) endpoints, counted
   * in the same transaction as the insert, so creations at once cannot overshoot. False when refused.
   */
  insertEndpoint(endpoint: WebhookEndpoint, maxLive?: number): Promise<boolean>;
  /** Stores url, description, events, version, secrets and deletedAt (never the health fields: attempts own those). */
  updateEndpoint(endpoint: WebhookEndpoint): Promise<void>;
  /** Sets (or, undefined, turns off) an endpoint's chaos; false when the merchant has no such live endpoint. */
  setChaos(merchantId: string, id: string, chaos: WebhookChaos | undefined): Promise<boolean>;
  /** Enables a disabled endpoint and clears its failure streak; false when the merchant has no such live endpoint. */
  enableEndpoint(merchantId: string, id: string): Promise<boolean>;
  findEndpoint(merchantId: string, id: string): Awaitable<WebhookEndpoint | undefined>;
  /** The merchant's live endpoints, oldest first. */
  endpoints(merchantId: string): Promise<WebhookEndpoint[]>;
  findDelivery(merchantId: string, id: string): Awaitable<WebhookDelivery | undefined>;
  /** Newest first. */
  deliveries(merchantId: string, filter: DeliveryFilter, limit: number): Promise<WebhookDelivery[]>;
  /**
   * Makes the deliveries of up to `limit` of the oldest events (of each kind, payment and session) that
   * await them, and marks those events done, in one transaction; resolves with how many events.
   */
  fanOut(limit: number): Promise<number>;
  /**
   * PENDING deliveries due at `now` that no process holds, at most `perEndpoint` of each endpoint, in
   * turns: every endpoint's oldest before any endpoint's second, merchants alternating within a turn
   * (one merchant's many endpoints do not push another's to the back), older first; at most `limit`.
   */
  dueDeliveries(now: number, limit: number, perEndpoint?: number): Promise<WebhookDelivery[]>;
  /**
   * Takes a due delivery until `until` (the claim's token); resolves with it as claimed (attempts as
   * stored now), or undefined when another process holds it, tried it since, or it is no longer due.
   */
  claimDelivery(id: string, now: number, until: number): Promise<WebhookDelivery | undefined>;
  /** Moves each claim still held (token unchanged) to `until`; resolves with the ids of those kept. */
  renewClaims(claims: readonly DeliveryClaim[], until: number): Promise<string[]>;
  /**
   * Records an attempt's outcome and releases the claim, only if the claim is still the caller's;
   * false (nothing written) when it lapsed and another process took the delivery over. In the same
   * transaction, its log (the last ATTEMPTS_KEPT of a delivery are kept) and its endpoint's health change.
   */
  recordAttempt(claim: DeliveryClaim, result: AttemptResult): Promise<boolean>;
  /** A delivery's logged attempts, oldest first (the last ATTEMPTS_KEPT). */
  attemptLog(merchantId: string, deliveryId: string): Promise<LoggedAttempt[]>;
  /** Makes a delivery PENDING again, due now (redeliver); a claim in progress is left to its holder. */
  requeue(merchantId: string, id: string, now: number): Promise<boolean>;
  /**
   * Deletes at most `limit` deliveries that are DELIVERED or FAILED and were last attempted before
   * `before`, oldest first; a PENDING one (retrying, or claimed) is kept. Resolves with how many went.
   */
  purgeFinished(before: number, limit: number): Promise<number>;
  /** Undelivered deliveries, counting an event not yet fanned out as one, and the oldest's time (metrics). */
  backlog(): Promise<{ pending: number; oldestCreatedAt?: number }>;
  /** A sandbox reset (sandbox/reset): deletes every delivery of the merchant with its attempt log; endpoints stay. */
  resetMerchant(merchantId: string): Promise<{ deliveries: number }>;
}
