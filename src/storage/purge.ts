// Background purge of expired sessions, idempotency records and unused payment method tokens, and
// (after their retentions) of payments that are over, with their events and deliveries, and of
// finished deliveries. Deletes in small batches
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
  /** Payments over (a final status, nothing pending) are kept this long after their last change (ms); absent: kept. */
  paymentRetentionMs?: number;
  /** DELIVERED and FAILED webhook deliveries are kept this long after their last attempt (ms); absent: kept. */
  deliveryRetentionMs?: number;
  /** Upper bound on batches per kind in one run. */
  maxBatches?: number;
}

export interface PurgeResult {
  sessions: number;
  idempotencyRecords: number;
  /** SINGLE_USE payment method tokens past their expiry that no payment references. */
  tokens: number;
  payments: number;
  paymentEvents: number;
  /** The purged payments' deliveries and the finished deliveries past their retention. */
  webhookDeliveries: number;
  /** PayPal orders and billing-agreement tokens whose session expired (payments/methods/paypal.store.ts). */
  paypalOrders: number;
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
  let payments = 0;
  let paymentEvents = 0;
  let webhookDeliveries = 0;
  if (options.paymentRetentionMs !== undefined) {
    const before = options.now - options.paymentRetentionMs;
    payments = await drain(
      async () => {
        const purged = await store.payments.purgeFinished(before, options.batchSize);
        paymentEvents += purged.events;
        webhookDeliveries += purged.deliveries;
        return purged.payments;
      },
      options.batchSize,
      maxBatches,
    );
  }
  if (options.deliveryRetentionMs !== undefined) {
    const before = options.now - options.deliveryRetentionMs;
    webhookDeliveries += await drain(() => store.webhooks.purgeFinished(before, options.batchSize), options.batchSize, maxBatches);
  }
  // After the payments: a purged payment's token is no longer referenced, and goes in the same run.
  const tokens = await drain(() => store.payments.purgeExpiredTokens(options.now, options.batchSize), options.batchSize, maxBatches);
  const paypalOrders = await drain(() => store.paypal.purgeExpired(options.now, options.batchSize), options.batchSize, maxBatches);
  return { sessions, idempotencyRecords, tokens, payments, paymentEvents, webhookDeliveries, paypalOrders };
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
  paymentRetentionMs?: number;
  deliveryRetentionMs?: number;
}): Purger {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const run = async () => {
    try {
      const { store, clock, logger, intervalMs, ...retention } = deps;
      const result = await purgeExpired(store, { now: clock(), ...retention });
      if (Object.values(result).some((n) => n > 0)) logger.info(result, 'purged expired records');
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
