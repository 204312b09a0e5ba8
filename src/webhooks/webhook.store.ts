// What webhooks need from storage: a merchant's endpoints and the deliveries of events to them.
// Deliveries are not written by the webhooks feature: the engine adds one per subscribed endpoint when
// a payment event is recorded, in the same unit of work (storage/<engine>/payments.ts), so a change
// and its deliveries commit together (the outbox). Dispatchers in every process claim due ones.
import type { Awaitable } from '../lib/awaitable.ts';

export const WEBHOOK_EVENT_TYPES = ['PAYMENT.STATUS', 'PAYMENT.REFUND', 'CLIENT_SESSION.CREATED', 'CLIENT_SESSION.UPDATED'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** What an endpoint gets when it names no events: Primer's. The session events are Kassa's, asked for by name. */
export const DEFAULT_EVENT_TYPES: readonly WebhookEventType[] = ['PAYMENT.STATUS', 'PAYMENT.REFUND'];

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
  insertEndpoint(endpoint: WebhookEndpoint): Promise<void>;
  /** Stores url, description, events, version, secrets and deletedAt. */
  updateEndpoint(endpoint: WebhookEndpoint): Promise<void>;
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
   * false (nothing written) when it lapsed and another process took the delivery over.
   */
  recordAttempt(claim: DeliveryClaim, result: AttemptResult): Promise<boolean>;
  /** Makes a delivery PENDING again, due now (redeliver); a claim in progress is left to its holder. */
  requeue(merchantId: string, id: string, now: number): Promise<boolean>;
  /**
   * Deletes at most `limit` deliveries that are DELIVERED or FAILED and were last attempted before
   * `before`, oldest first; a PENDING one (retrying, or claimed) is kept. Resolves with how many went.
   */
  purgeFinished(before: number, limit: number): Promise<number>;
  /** Undelivered deliveries, counting an event not yet fanned out as one, and the oldest's time (metrics). */
  backlog(): Promise<{ pending: number; oldestCreatedAt?: number }>;
}
