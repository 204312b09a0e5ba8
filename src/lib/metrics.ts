// Prometheus metrics, one registry per app (never prom-client's global one), so two apps in one
// process, as in tests, count separately. Served at GET /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds; from a cached read to a slow remote database. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Metrics {
  readonly registry: Registry;
  /** One finished HTTP request; `route` is the route pattern, never the raw URL. */
  observeRequest(labels: { method: string; route: string; status: number }, seconds: number): void;
  /** One storage call, e.g. operation `sessions.insert`. */
  observeStorage(operation: string, seconds: number): void;
  sessionCreated(): void;
  sessionUpdated(): void;
  /** A response served again from an idempotency record instead of running the request. */
  idempotentReplay(): void;
  /** A request refused with 429 by the rate limiter. */
  rateLimited(): void;
  /** One API key's secret hashed with scrypt (its first use in the process, a wrong key, a key being made). */
  apiKeyHashed(): void;
  /** One webhook delivery attempt, by outcome. */
  webhookAttempt(outcome: 'delivered' | 'retry' | 'failed'): void;
  /** One request answered by a sandbox fault (sandbox/faults/): the operation, the fault's status and phase. */
  faultInjected(labels: { operation: string; status: string; phase: 'before' | 'after' }): void;
  /** Where the webhook backlog is read from when metrics are scraped. */
  watchWebhookBacklog(read: () => Promise<{ pending: number; oldestCreatedAt?: number }>, clock: () => number): void;
}

export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  // CPU, memory, event-loop lag, GC: only for the real process (they watch global state).
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'kassa_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'kassa_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const storage = new Histogram({
    name: 'kassa_storage_duration_seconds',
    help: 'Time spent in one storage call, by operation.',
    labelNames: ['operation'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const created = new Counter({ name: 'kassa_sessions_created_total', help: 'Client sessions created.', registers: [registry] });
  const updated = new Counter({ name: 'kassa_sessions_updated_total', help: 'Client sessions updated.', registers: [registry] });
  const replays = new Counter({
    name: 'kassa_idempotent_replays_total',
    help: 'Responses replayed from an idempotency record.',
    registers: [registry],
  });
  const limited = new Counter({
    name: 'kassa_rate_limited_total',
    help: 'Requests refused with 429 Too Many Requests.',
    registers: [registry],
  });
  const hashes = new Counter({
    name: 'kassa_api_key_hashes_total',
    help: "API keys' secrets hashed with scrypt: a key's first use in this process, each wrong key, each key made.",
    registers: [registry],
  });

  const attempts = new Counter({
    name: 'kassa_webhook_deliveries_total',
    help: 'Webhook delivery attempts, by outcome: delivered, retry (failed, tried again later), failed (no retry left).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const faults = new Counter({
    name: 'kassa_sandbox_faults_total',
    help: 'Requests answered by a sandbox fault, by operation, status and phase.',
    labelNames: ['operation', 'status', 'phase'] as const,
    registers: [registry],
  });
  let backlog: (() => Promise<{ pending: number; oldestCreatedAt?: number }>) | undefined;
  let backlogClock: () => number = Date.now;
  const readBacklog = async () => (backlog ? backlog().catch(() => undefined) : undefined);
  new Gauge({
    name: 'kassa_webhook_queue_depth',
    help: 'Webhook deliveries not yet delivered or failed.',
    registers: [registry],
    async collect() {
      const b = await readBacklog();
      this.set(b?.pending ?? 0);
    },
  });
  new Gauge({
    name: 'kassa_webhook_oldest_undelivered_seconds',
    help: 'Age of the oldest webhook delivery not yet delivered or failed (0 when none).',
    registers: [registry],
    async collect() {
      const b = await readBacklog();
      this.set(b?.oldestCreatedAt !== undefined ? Math.max(0, (backlogClock() - b.oldestCreatedAt) / 1000) : 0);
    },
  });

  // Each label set's children, looked up once: prom-client hashes the labels object on every call
  // otherwise. The sets are as bounded as the series themselves (route patterns, not URLs).
  const requestSeries = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
  const storageSeries = new Map<string, { observe(v: number): void }>();
  return {
    registry,
    observeRequest(labels, seconds) {
      const key = `${labels.method} ${labels.status} ${labels.route}`;
      let series = requestSeries.get(key);
      if (!series) {
        const l = { method: labels.method, route: labels.route, status: String(labels.status) };
        series = { count: requests.labels(l), time: duration.labels(l) };
        requestSeries.set(key, series);
      }
      series.count.inc();
      series.time.observe(seconds);
    },
    observeStorage(operation, seconds) {
      let series = storageSeries.get(operation);
      if (!series) {
        series = storage.labels({ operation });
        storageSeries.set(operation, series);
      }
      series.observe(seconds);
    },
    sessionCreated: () => created.inc(),
    sessionUpdated: () => updated.inc(),
    idempotentReplay: () => replays.inc(),
    rateLimited: () => limited.inc(),
    apiKeyHashed: () => hashes.inc(),
    webhookAttempt: (outcome) => attempts.labels({ outcome }).inc(),
    faultInjected: (labels) => faults.labels(labels).inc(),
    watchWebhookBacklog(read, clock) {
      backlog = read;
      backlogClock = clock;
    },
  };
}
