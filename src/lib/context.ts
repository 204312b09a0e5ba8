// What a service call carries besides its input: who asks, in which API version, under which request
// id, and what else must be committed with the change it makes. The HTTP layer makes one per request;
// a job or the CLI can make its own. Nothing here knows HTTP.
import type { UnitOfWork } from '../storage/unit-of-work.ts';
import type { Awaitable } from './awaitable.ts';
import type { ApiVersion } from '../primer/versions.ts';

/** The answer a change produced, as it will be sent: kept with the change for idempotent replays. */
export interface Answer {
  /** The JSON body. */
  body: string;
  /** Response headers that belong to the answer (ETag). */
  headers?: Record<string, string>;
  /**
   * When the answer stops being true (ms since epoch): its client token expires then, and a replay
   * after that is answered as a fresh request with that token would be.
   */
  validUntil?: number;
}

/** What a refused repeat of a payment request names (Primer's 409): the payment the first one made. */
export interface FirstOutcome {
  paymentId: string;
  paymentStatus: string;
}

export interface Context {
  /** The merchant the caller acts for (from its API key); undefined for an SDK call until its session is found. */
  merchantId?: string;
  apiVersion: ApiVersion;
  /** No X-Api-Version was sent, so apiVersion is the default (2.1): a refusal of a newer field says so. */
  apiVersionDefaulted?: boolean;
  requestId: string;
  /**
   * The request's idempotency key is held: its outcome must be recorded in the unit of work of the
   * change, so that they commit together (a retry after a crash gets it). The route's policy says
   * which outcome: the answer to replay (sessions), or the payment a refusal names (payments).
   */
  idempotency?: { key: string; record(uow: UnitOfWork, outcome: Answer | FirstOutcome): void };
  /** Where this call's storage time goes (Server-Timing, the storage metrics); none outside requests. */
  timing?: Timing;
}

/** Where an event came from, as its history shows it: none for the server's own steps (a job). */
export interface EventOrigin {
  requestId?: string;
  /** The Idempotency-Key the request was sent with, if any. */
  idempotencyKey?: string;
}

/** The origin of a change made for `ctx`; `idempotencyKey` when the caller read the key itself (payments). */
export const originOf = (ctx: Context, idempotencyKey: string | undefined = ctx.idempotency?.key): EventOrigin => ({
  requestId: ctx.requestId,
  ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
});

/** One request's storage time, and the histogram every storage call of a request is reported to. */
export class Timing {
  storageMs = 0;

  constructor(private readonly observe: (operation: string, seconds: number) => void = () => {}) {}

  /** Adds the time since `started` (performance.now()) under `operation`. */
  end(operation: string, started: number): void {
    const ms = performance.now() - started;
    this.storageMs += ms;
    this.observe(operation, ms / 1000);
  }
}

/** A storage call made for `ctx`, timed as `operation` (failures too); a read answered at once costs no promise. */
export function timed<T>(ctx: Context, operation: string, call: () => Awaitable<T>): Awaitable<T> {
  const timing = ctx.timing;
  if (!timing) return call();
  const started = performance.now();
  let result: Awaitable<T>;
  try {
    result = call();
  } catch (error) {
    timing.end(operation, started);
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => timing.end(operation, started));
  timing.end(operation, started);
  return result;
}
