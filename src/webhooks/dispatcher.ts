// The webhook dispatcher: every process, a few times a second, makes the deliveries of new events (the
// events a change wrote are the outbox: docs/webhooks.md, "The outbox"), then looks for due deliveries,
// claims each one (so one process sends it), and sends the claimed ones concurrently. It runs beside the request
// path, never on it: a slow receiver holds a delivery's claim, not a request. A process that dies
// mid-delivery leaves its claim to lapse; the delivery is then sent again (at least once, with the
// same X-Kassa-Delivery-Id, so receivers can drop the repeat).
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import { startPoller, type Poller } from '../lib/poller.ts';
import type { WebhookService } from './service.ts';
import type { WebhookStore } from './webhook.store.ts';

export const DISPATCH_POLL_MS = 250;
/** A claim lasts this many times the delivery timeout: longer than a delivery can take, so a live process never loses its claim mid-send. */
const CLAIM_TIMEOUTS = 3;
const BATCH = 50;
/**
 * Deliveries of a group handled at once. Not all fifty: each costs a few queries, and postgres.js
 * 3.4.9 can send a transaction's BEGIN without reserving its connection when the BEGIN fills that
 * connection's pipeline (porsager/postgres#823, #1189), which failed concurrent requests with
 * UNSAFE_TRANSACTION; this keeps the dispatcher's share of a pipeline far from the limit (100).
 */
const IN_FLIGHT = 10;
/**
 * Requests first: while the event loop was busier than this share of the last tick (the process is
 * serving at full tilt), a tick takes only BUSY_BATCH deliveries. Deliveries then wait in the
 * database (kassa_webhook_queue_depth shows it) instead of taking the requests' CPU, and catch up
 * as soon as the load drops; BUSY_BATCH keeps them moving meanwhile (40 a second at 4 ticks a second).
 * A tick that is not busy takes group after group of BATCH while there is more, for up to a tick.
 */
const BUSY_UTILIZATION = 0.7;
const BUSY_BATCH = 10;

export type Dispatcher = Pick<Poller, 'runDue' | 'tick' | 'stop'>;

export function startDispatcher(
  store: WebhookStore,
  service: WebhookService,
  clock: Clock,
  logger: Logger,
  pollMs = DISPATCH_POLL_MS,
): Dispatcher {
  // A dead process's claims lapse after three delivery timeouts (KASSA_WEBHOOK_TIMEOUT_MS).
  const claimMs = service.timeoutMs * CLAIM_TIMEOUTS;
  let loop = performance.eventLoopUtilization();

  /** One group: the deliveries of up to `limit` new events, then up to `limit` due deliveries sent. */
  const group = async (limit: number) => {
    // First the deliveries of new events (the outbox), then whatever is due.
    const events = await store.fanOut(limit);
    const now = clock();
    const due = poller.stopped ? [] : await store.dueDeliveries(now, limit);
    if (poller.stopped || due.length === 0) return { events, sent: 0, full: events >= limit };
    // Claimed, sent and recorded IN_FLIGHT at a time: on SQLite the calls in flight together share a commit.
    const won = await eachLimited(due, (d) => store.claimDelivery(d.id, now, now + claimMs));
    const claimed = due.filter((_, i) => won[i]);
    const results = await eachLimited(claimed, (delivery) =>
      service.deliver(delivery).catch((error: unknown) => {
        // Left claimed: tried again once the claim lapses.
        logger.error({ err: error, delivery: { id: delivery.id, endpointId: delivery.endpointId } }, 'webhook delivery failed to run');
        return undefined;
      }),
    );
    await eachLimited(claimed, async (d, i) => (results[i] ? store.recordAttempt(d.id, results[i]) : undefined));
    return { events, sent: claimed.length, full: events >= limit || due.length >= limit };
  };

  const poller: Poller = startPoller(
    async (timed) => {
      if (!timed) return (await group(BATCH)).sent;
      const since = performance.eventLoopUtilization(loop);
      loop = performance.eventLoopUtilization();
      if (since.utilization > BUSY_UTILIZATION) return (await group(BUSY_BATCH)).sent;
      // Not busy: group after group while there is more, for up to a tick (the next tick looks at the load again).
      const started = performance.now();
      let sent = 0;
      for (;;) {
        const done = await group(BATCH);
        sent += done.sent;
        if (!done.full || poller.stopped || performance.now() - started >= pollMs) return sent;
      }
    },
    pollMs,
    logger,
    'webhook deliveries',
  );
  return poller;
}

/** `work` on every item, at most IN_FLIGHT at once; the results in the items' order. */
async function eachLimited<T, R>(items: readonly T[], work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, worker));
  return results;
}
