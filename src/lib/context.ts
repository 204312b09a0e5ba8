// What a service call carries besides its input: who asks, in which API version, under which request
// id, and what else must be committed with the change it makes. The HTTP layer makes one per request;
// a job or the CLI can make its own. Nothing here knows HTTP.
import type { UnitOfWork } from '../storage/unit-of-work.ts';
import type { ApiVersion } from './api-version.ts';

/** The answer a change produced, as it will be sent: kept with the change for idempotent replays. */
export interface Answer {
  /** The JSON body. */
  body: string;
  /** Response headers that belong to the answer (ETag). */
  headers?: Record<string, string>;
}

export interface Context {
  /** The merchant the caller acts for (from its API key); undefined for an SDK call until its session is found. */
  merchantId?: string;
  apiVersion: ApiVersion;
  requestId: string;
  /**
   * The request's idempotency key is held: the answer must be recorded in the unit of work of the
   * change, so that the change and its answer commit together (a retry after a crash replays it).
   */
  idempotency?: { record(uow: UnitOfWork, answer: Answer): void };
  /** Time this call spent waiting for storage, for Server-Timing. */
  timing?: { storageMs: number };
}

/** Awaits a storage call made for `ctx`, adding the time it took to the call's storage time. */
export async function timed<T>(ctx: Context, call: () => Promise<T>): Promise<T> {
  if (!ctx.timing) return call();
  const started = performance.now();
  try {
    return await call();
  } finally {
    ctx.timing.storageMs += performance.now() - started;
  }
}
