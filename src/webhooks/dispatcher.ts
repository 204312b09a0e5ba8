// The webhook dispatcher: every process, a few times a second, makes the deliveries of new events (the
// events a change wrote are the outbox: docs/webhooks.md, "The outbox"), then looks for due deliveries
// and sends them, each as soon as a slot is free. It runs beside the request path, never on it.
//
// Fair by construction (docs/webhooks.md, "Fairness"): due deliveries are read in turns across
// endpoints and merchants (WebhookStore.dueDeliveries), an endpoint has at most ENDPOINT_IN_FLIGHT
// sends at once and a merchant MERCHANT_IN_FLIGHT, the process IN_FLIGHT; a send that ends frees its
// slot at once for the next delivery, so nothing waits for a group's slowest member and a receiver that
// hangs holds only its own endpoint's slots.
//
// Exactly once while processes live: a delivery is claimed just before it is sent (never a batch up
// front), the claim is renewed while the send lasts, and the attempt is recorded only if the claim is
// still this process's (compare-and-set on its token). A process that dies mid-send leaves its claim to
// lapse (one lease); the delivery is then sent again (at least once across a crash, with the same
// X-Kassa-Delivery-Id, so receivers can drop the repeat).
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { WebhookService } from './service.ts';
import type { DeliveryClaim, WebhookDelivery, WebhookStore } from './webhook.store.ts';

export const DISPATCH_POLL_MS = 250;
/** Sends to one endpoint at once (per process): a receiver that hangs ties up this many, no more. */
export const ENDPOINT_IN_FLIGHT = 2;
/** Sends of one merchant at once (per process): however many endpoints it has, others keep slots. */
export const MERCHANT_IN_FLIGHT = 32;
/** Sends at once in the process. */
export const IN_FLIGHT = 64;
/** Due deliveries read per look. */
const PAGE = 200;
/** Events fanned out per statement. */
const BATCH = 50;
/**
 * Claims and records at once. postgres.js 3.4.9 can send a transaction's BEGIN without reserving its
 * connection when the BEGIN fills that connection's pipeline (porsager/postgres#823, #1189), which failed
 * concurrent requests with UNSAFE_TRANSACTION; this keeps the dispatcher's writes far from that limit
 * (100) whatever IN_FLIGHT is. (A send's own reads, the endpoint and the event, are bounded by IN_FLIGHT.)
 */
const DB_IN_FLIGHT = 10;
/**
 * A claim lasts one delivery timeout, at least this long, and is renewed every third of it. Three
 * times the storage's lock-wait bound (5 s): a renewal that waits out another process's lock, even
 * twice running on a loaded machine, still lands before the claim lapses (at 5 s, two processes on
 * one SQLite file at load 10 sent a delivery twice).
 */
const MIN_LEASE_MS = 15_000;
/**
 * Requests first: while the event loop was busier than this share of the last tick (the process is
 * serving at full tilt), a tick fans out and starts only BUSY_BATCH deliveries, and a finished send
 * does not start the next one before the next tick. Deliveries then wait in the database
 * (kassa_webhook_queue_depth shows it) instead of taking the requests' CPU, and catch up as soon as the
 * load drops; BUSY_BATCH keeps them moving meanwhile (40 a second at 4 ticks a second).
 */
const BUSY_UTILIZATION = 0.7;
const BUSY_BATCH = 10;

export interface Dispatcher {
  /** Fans out, sends every due delivery (as the caps allow) and waits for them; resolves with how many were claimed. */
  runDue(): Promise<number>;
  /** The same, starting as the timer does (looking at the event loop's load first). */
  tick(): Promise<number>;
  /** Starts nothing more; waits for the sends in progress (their claims renewed until recorded). */
  stop(): Promise<void>;
}

export function startDispatcher(
  store: WebhookStore,
  service: WebhookService,
  clock: Clock,
  logger: Logger,
  pollMs = DISPATCH_POLL_MS,
): Dispatcher {
  const leaseMs = Math.max(service.timeoutMs, MIN_LEASE_MS);
  const byEndpoint = new Map<string, number>();
  const byMerchant = new Map<string, number>();
  /** Claims this process holds while their delivery is sent (renewed together). */
  const held = new Map<string, DeliveryClaim>();
  const sends = new Set<Promise<void>>();
  const writes = limiter(DB_IN_FLIGHT);
  let claimed = 0;
  let stopped = false;
  let busy = false;
  let loop = performance.eventLoopUtilization();
  /** The last page read, in its fair order, less what was started; `cut`: it may not hold all that is due. */
  let page: WebhookDelivery[] = [];
  let cut = false;

  const count = (map: Map<string, number>, key: string, by: number) => {
    const n = (map.get(key) ?? 0) + by;
    if (n === 0) map.delete(key);
    else map.set(key, n);
  };
  const fits = (d: WebhookDelivery) =>
    (byEndpoint.get(d.endpointId) ?? 0) < ENDPOINT_IN_FLIGHT && (byMerchant.get(d.merchantId) ?? 0) < MERCHANT_IN_FLIGHT;

  // ---- Claims ---------------------------------------------------------------------------------------

  let renewing: Promise<void> = Promise.resolve();
  const renew = () => {
    if (held.size === 0) return renewing;
    const claims = [...held.values()];
    const until = Math.max(clock() + leaseMs, ...claims.map((c) => c.until));
    renewing = renewing.then(async () => {
      try {
        const kept = new Set(await writes(() => store.renewClaims(claims, until)));
        for (const c of claims) {
          if (kept.has(c.id)) c.until = until;
          else logger.warn({ delivery: { id: c.id } }, 'webhook delivery claim lost mid-send: its attempt will not be recorded');
        }
      } catch (error) {
        // Tried again at the next renewal; the lease is three renewals long.
        logger.warn({ err: error }, 'renewing webhook delivery claims failed');
      }
    });
    return renewing;
  };
  const renewer = setInterval(renew, Math.max(1, Math.floor(leaseMs / 3)));
  renewer.unref();

  // ---- One delivery ---------------------------------------------------------------------------------

  /** Claims `due` now, sends it, records the attempt if the claim is still held. Its slots are counted by the caller. */
  async function send(due: WebhookDelivery): Promise<void> {
    const now = clock();
    const claim: DeliveryClaim = { id: due.id, until: now + leaseMs };
    const delivery = await writes(() => store.claimDelivery(due.id, now, claim.until)).catch((error: unknown) => {
      logger.warn({ err: error, delivery: { id: due.id } }, 'claiming a webhook delivery failed');
      return undefined;
    });
    if (!delivery) return;
    claimed++;
    held.set(claim.id, claim);
    let result: Awaited<ReturnType<WebhookService['deliver']>> | undefined;
    try {
      result = await service.deliver(delivery);
    } catch (error) {
      // Left claimed: tried again once the claim lapses.
      logger.error({ err: error, delivery: { id: delivery.id, endpointId: delivery.endpointId } }, 'webhook delivery failed to run');
    }
    held.delete(claim.id);
    // A renewal in flight may have moved the token: record with the one it left.
    await renewing;
    if (!result) return;
    const recorded = await writes(() => store.recordAttempt(claim, result)).catch((error: unknown) => {
      logger.warn({ err: error, delivery: { id: delivery.id } }, 'recording a webhook attempt failed: tried again once its claim lapses');
      return true;
    });
    if (!recorded) logger.warn({ delivery: { id: delivery.id } }, 'webhook delivery claim was taken over: its attempt is not recorded');
  }

  /** Starts `d` in a slot; when it ends, the slot goes to the next delivery at once. */
  function start(d: WebhookDelivery) {
    count(byEndpoint, d.endpointId, 1);
    count(byMerchant, d.merchantId, 1);
    const run: Promise<void> = send(d).finally(() => {
      count(byEndpoint, d.endpointId, -1);
      count(byMerchant, d.merchantId, -1);
      sends.delete(run);
      // With no timer (tests), only runDue() drives; under load, the next tick does.
      if (pollMs > 0 && !busy) request(false);
    });
    sends.add(run);
  }

  /** Starts what fits from the page, in its order; resolves with how many were started. */
  function startFromPage(budget: number): number {
    let started = 0;
    const rest: WebhookDelivery[] = [];
    for (const d of page) {
      if (!stopped && started < budget && sends.size < IN_FLIGHT && fits(d)) {
        start(d);
        started++;
      } else rest.push(d);
    }
    page = rest;
    return started;
  }

  async function readPage() {
    page = await store.dueDeliveries(clock(), PAGE, ENDPOINT_IN_FLIGHT);
    const perEndpoint = new Map<string, number>();
    for (const d of page) count(perEndpoint, d.endpointId, 1);
    cut = page.length >= PAGE || [...perEndpoint.values()].some((n) => n >= ENDPOINT_IN_FLIGHT);
  }

  /** One look: with `fresh`, fan out and read the due deliveries again; then start what fits. */
  async function look(fresh: boolean): Promise<number> {
    const budget = busy ? BUSY_BATCH : Number.POSITIVE_INFINITY;
    if (fresh) {
      const started = performance.now();
      const limit = busy ? BUSY_BATCH : BATCH;
      // Not busy: batch after batch of new events while there are more, for up to a tick.
      while ((await store.fanOut(limit)) >= limit && !busy && !stopped && performance.now() - started < pollMs);
      if (stopped) return 0;
      await readPage();
    }
    let started = startFromPage(budget);
    // What the page held is started or waits on a cap: read on when more may be due than it showed.
    if (started === 0 && !fresh && cut && sends.size < IN_FLIGHT && !stopped) {
      await readPage();
      started = startFromPage(budget);
    }
    return started;
  }

  // Looks run one at a time; asked for while one runs, one more follows (a fresh one if any asked so).
  let looking: Promise<void> | undefined;
  let wanted: 'none' | 'page' | 'fresh' = 'none';
  function request(fresh: boolean): Promise<void> {
    if (wanted !== 'fresh') wanted = fresh ? 'fresh' : 'page';
    looking ??= (async () => {
      try {
        while (wanted !== 'none' && !stopped) {
          const kind = wanted;
          wanted = 'none';
          await look(kind === 'fresh');
        }
      } catch (error) {
        logger.warn({ err: error }, 'looking for webhook deliveries failed');
      } finally {
        looking = undefined;
      }
    })();
    return looking;
  }

  const measureLoad = () => {
    const since = performance.eventLoopUtilization(loop);
    loop = performance.eventLoopUtilization();
    busy = since.utilization > BUSY_UTILIZATION;
  };

  const timer =
    pollMs > 0
      ? setInterval(() => {
          measureLoad();
          void request(true);
        }, pollMs)
      : undefined;
  timer?.unref();

  /** Looks again after each send ends, until a look starts nothing and nothing is in flight. */
  async function drain(timed: boolean): Promise<number> {
    const before = claimed;
    if (timed) measureLoad();
    else busy = false;
    for (;;) {
      await request(true);
      if (sends.size === 0 || stopped) break;
      await Promise.race(sends);
    }
    await Promise.all(sends);
    return claimed - before;
  }

  return {
    runDue: () => drain(false),
    tick: () => drain(true),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await looking;
      await Promise.all(sends);
      clearInterval(renewer);
      await renewing;
    },
  };
}

/** Runs at most `n` of the given calls at once, the others queued in order. */
function limiter(n: number) {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(call: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await call();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
