// Background purge of expired sessions, idempotency records and unused payment method tokens. Deletes in small batches
// and yields to the event loop between them, so requests are never held behind one long delete.
// `purgeExpired` is the one-shot form (the CLI can call it); `startPurger` runs it on a timer.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { Store } from './store.ts';

export interface PurgeOptions {
  now: number;
  /** Sessions are kept this long after they expire (ms). Idempotency records and unused tokens go when they expire. */
  retentionMs: number;
  batchSize: number;
  /** Upper bound on batches per kind in one run. */
  maxBatches?: number;
}

export interface PurgeResult {
  sessions: number;
  idempotencyRecords: number;
  /** SINGLE_USE payment method tokens past their expiry that no payment references. */
  tokens: number;
}

async function drain(deleteBatch: () => Promise<number>, batchSize: number, maxBatches: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await deleteBatch();
    total += n;
    if (n < batchSize) break;
    await yieldToEventLoop();
  }
  return total;
}

export async function purgeExpired(store: Store, options: PurgeOptions): Promise<PurgeResult> {
  const maxBatches = options.maxBatches ?? 1000;
  const sessionsBefore = options.now - options.retentionMs;
  const sessions = await drain(() => store.sessions.purgeExpired(sessionsBefore, options.batchSize), options.batchSize, maxBatches);
  const idempotencyRecords = await drain(
    () => store.idempotency.purgeExpired(options.now, options.batchSize),
    options.batchSize,
    maxBatches,
  );
  const tokens = await drain(() => store.payments.purgeExpiredTokens(options.now, options.batchSize), options.batchSize, maxBatches);
  return { sessions, idempotencyRecords, tokens };
}

export interface Purger {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

export function startPurger(deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  retentionMs: number;
  batchSize: number;
}): Purger {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const run = async () => {
    try {
      const result = await purgeExpired(deps.store, { now: deps.clock(), retentionMs: deps.retentionMs, batchSize: deps.batchSize });
      if (result.sessions + result.idempotencyRecords + result.tokens > 0) deps.logger.info(result, 'purged expired records');
    } catch (err) {
      deps.logger.warn({ err }, 'purge failed; will retry');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = run().then(schedule);
    }, deps.intervalMs);
    timer.unref();
  };
  if (deps.intervalMs > 0) schedule();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
