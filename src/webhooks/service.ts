// Webhooks (docs/webhooks.md): a merchant's endpoints, the deliveries of payment events to them, and
// the sending of one delivery (the dispatcher calls `deliver` and records a batch). Secrets are sealed at rest and shown
// once, when made. A delivery's body is the payment as it was at the event, in the endpoint's API
// version, signed afresh on every attempt.
import type { Logger } from 'pino';
import { KassaError, validationError, type FieldError } from '../errors.ts';
import { TokenBuckets } from '../http/rate-limit.ts';
import type { Clock } from '../lib/clock.ts';
import { newUuid } from '../lib/ids.ts';
import type { Metrics } from '../lib/metrics.ts';
import type { Sealer } from '../lib/seal.ts';
import { isFailureEvent } from '../payments/failure-events.ts';
import { primerDate, renderPayment } from '../payments/payment.ts';
import type { PaymentEvent, StoredPayment } from '../payments/payment.store.ts';
import { sessionHistory } from '../sessions/history.ts';
import type { Store } from '../storage/store.ts';
import { attemptLog } from './attempt-log.ts';
import { disputeBody, failureBody, subjectOf } from './event-bodies.ts';
import { Destinations, refusal, type PrivatePolicy, type Resolver } from './destination.ts';
import { healthChange } from './endpoint-health.ts';
import { describeFailure, postJson } from './http-post.ts';
import { retryDelay } from './schedule.ts';
import { kassaSignature, newWebhookSecret, ROTATION_OVERLAP_MS, sign } from './signing.ts';
import {
  type AttemptLog,
  type AttemptResult,
  DEFAULT_EVENT_TYPES,
  type LoggedAttempt,
  WEBHOOK_EVENT_TYPES,
  type DeliveryFilter,
  type WebhookChaos,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEventType,
} from './webhook.store.ts';

const SECRET_SEAL = 'webhook-secret';
const VERSIONS = ['2.1', '2.2', '2.3', '2.4'];
/** A receiver has this long to answer. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Refunds a PAYMENT.* body carries, newest first, besides the SALE: bodies stay bounded however many there are. */
export const WEBHOOK_REFUNDS = 10;
/** POST …/test calls a merchant may make per minute: each makes Kassa connect where the merchant says. */
export const TEST_CALLS_PER_MINUTE = 10;

export interface WebhookServiceDeps {
  /** Only the stores it uses. */
  store: Pick<Store, 'webhooks' | 'payments' | 'sessions'>;
  clock: Clock;
  sealer: Sealer;
  metrics: Metrics;
  /** Multiplies the retry schedule (KASSA_WEBHOOK_RETRY_SCALE). */
  retryScale: number;
  /** How long a delivery waits for the receiver's answer (KASSA_WEBHOOK_TIMEOUT_MS); DELIVERY_TIMEOUT_MS when absent. */
  timeoutMs?: number;
  /** Live endpoints a merchant may have (KASSA_WEBHOOK_ENDPOINTS_MAX); no cap when absent. */
  endpointsMax?: number;
  /** KASSA_WEBHOOK_PRIVATE: whether loopback and private addresses may receive webhooks; `allow` when absent. */
  privateDestinations?: PrivatePolicy;
  /** Resolves a receiver's name (node:dns when absent; tests give their own). */
  resolve?: Resolver;
  /** Failed attempts are logged at warn. */
  logger?: Logger;
  /** Whether the sandbox's webhook chaos applies (not in KASSA_MODE=production); off when absent. */
  chaos?: boolean;
  /** Chaos's dice (Math.random when absent). */
  random?: () => number;
}

/** What one POST came to: the outcome in Kassa's words, and what the delivery log keeps of it. */
interface PostOutcome {
  ok: boolean;
  statusCode?: number;
  error?: string;
  log: AttemptLog;
}

export interface EndpointInput {
  url: string;
  description?: string;
  events?: string[];
  version?: string;
}

/** An endpoint as the API shows it: never its secret. */
export const renderEndpoint = (e: WebhookEndpoint, now: number) => ({
  id: e.id,
  url: e.url,
  ...(e.description !== undefined ? { description: e.description } : {}),
  events: e.events,
  version: e.version,
  createdAt: primerDate(e.createdAt),
  ...(e.previousUntil !== undefined && e.previousUntil > now ? { previousSecretValidUntil: primerDate(e.previousUntil) } : {}),
  ...(e.failingSince !== undefined ? { failingSince: primerDate(e.failingSince), failures: e.failures ?? 0 } : {}),
  ...(e.disabledAt !== undefined ? { disabledAt: primerDate(e.disabledAt), disabledReason: e.disabledReason ?? '' } : {}),
  ...(e.chaos !== undefined ? { chaos: e.chaos } : {}),
});

/** What PATCH /kassa/webhook-endpoints/{id} may change; chaos null or {} turns it off. */
export interface EndpointChange {
  description?: string;
  events?: string[];
  version?: string;
  chaos?: WebhookChaos | null;
}

/** How long shuffle spreads the first attempts of an endpoint's deliveries. */
export const SHUFFLE_WINDOW_MS = 2000;

/** Only the knobs that are on: {} and all-off are no chaos. */
function chaosOf(input: WebhookChaos | null | undefined): WebhookChaos | undefined {
  if (!input) return undefined;
  const on: WebhookChaos = {
    ...(input.duplicate ? { duplicate: input.duplicate } : {}),
    ...(input.shuffle ? { shuffle: true } : {}),
    ...(input.failFirst ? { failFirst: input.failFirst } : {}),
    ...(input.delayMs ? { delayMs: input.delayMs } : {}),
  };
  return Object.keys(on).length > 0 ? on : undefined;
}

/** One attempt of the delivery log as the API shows it. */
export const renderAttempt = (a: LoggedAttempt) => ({
  attempt: a.attempt,
  date: primerDate(a.at),
  durationMs: a.durationMs,
  ...(a.request ? { request: a.request } : {}),
  ...(a.response ? { response: a.response } : {}),
  outcome: a.outcome,
});

export const renderDelivery = (d: WebhookDelivery) => ({
  id: d.id,
  endpointId: d.endpointId,
  eventId: d.eventId,
  eventType: d.eventType,
  ...(subjectOf(d.eventType) === 'payment' ? { paymentId: d.subjectId } : { clientSessionId: d.subjectId }),
  status: d.status,
  attempts: d.attempts,
  ...(d.status === 'PENDING' ? { nextAttemptAt: primerDate(d.nextAttemptAt) } : {}),
  ...(d.lastStatusCode !== undefined ? { lastStatusCode: d.lastStatusCode } : {}),
  ...(d.lastError !== undefined ? { lastError: d.lastError } : {}),
  createdAt: primerDate(d.createdAt),
  ...(d.deliveredAt !== undefined ? { deliveredAt: primerDate(d.deliveredAt) } : {}),
});

/** http(s) only, without credentials; where it may point is Destinations' to say. */
function checkUrl(url: unknown, errors: FieldError[]): string | undefined {
  if (typeof url !== 'string' || url.length > 2048) {
    errors.push({ path: '$.url', description: 'Must be an http(s) URL of at most 2048 characters.' });
    return undefined;
  }
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
    if (parsed.username || parsed.password) throw new Error('credentials');
    return parsed.toString();
  } catch {
    errors.push({ path: '$.url', description: 'Must be an http(s) URL without credentials.' });
    return undefined;
  }
}

export class WebhookService {
  private readonly destinations: Destinations;
  private readonly testCalls: TokenBuckets;

  constructor(private readonly deps: WebhookServiceDeps) {
    this.destinations = new Destinations(deps.privateDestinations ?? 'allow', deps.resolve);
    this.testCalls = new TokenBuckets(TEST_CALLS_PER_MINUTE, 60_000, deps.clock);
  }

  /** How long a delivery waits for the receiver's answer; the dispatcher's claim leases last one of it, at least 15 s. */
  get timeoutMs(): number {
    return this.deps.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  }

  private get random(): () => number {
    return this.deps.random ?? Math.random;
  }

  private get store() {
    return this.deps.store.webhooks;
  }

  // ---- Endpoints -----------------------------------------------------------------------------------

  /** A new endpoint and its secret (given, or made now): the only time the secret is shown. */
  async createEndpoint(
    merchantId: string,
    input: EndpointInput,
    secret: string = newWebhookSecret(),
    maxLive: number | undefined = this.deps.endpointsMax,
  ) {
    const errors: FieldError[] = [];
    const url = checkUrl(input.url, errors);
    const events = (input.events ?? [...DEFAULT_EVENT_TYPES]) as WebhookEventType[];
    if (!Array.isArray(events) || events.length === 0 || events.some((e) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e))) {
      errors.push({ path: '$.events', description: `Must be a non-empty list of ${WEBHOOK_EVENT_TYPES.join(', ')}.` });
    }
    const version = input.version ?? '2.4';
    if (!VERSIONS.includes(version)) errors.push({ path: '$.version', description: `Must be one of ${VERSIONS.join(', ')}.` });
    const refused = url === undefined ? undefined : await this.destinations.check(new URL(url));
    if (refused) errors.push({ path: '$.url', description: refusal(refused) });
    if (errors.length > 0 || !url) throw validationError('WebhookEndpointRequest', errors);
    const endpoint: WebhookEndpoint = {
      id: newUuid(),
      merchantId,
      url,
      ...(input.description !== undefined ? { description: input.description } : {}),
      events: [...new Set(events)],
      version,
      secretSealed: this.deps.sealer.seal(secret, SECRET_SEAL),
      createdAt: this.deps.clock(),
    };
    if (!(await this.store.insertEndpoint(endpoint, maxLive))) {
      throw new KassaError('WebhookEndpointLimitExceeded', {
        detail: `A merchant may have at most ${maxLive} webhook endpoints; delete one before adding another.`,
      });
    }
    return { ...renderEndpoint(endpoint, this.deps.clock()), secret };
  }

  async endpoints(merchantId: string) {
    return (await this.store.endpoints(merchantId)).map((e) => renderEndpoint(e, this.deps.clock()));
  }

  async endpoint(merchantId: string, id: string): Promise<WebhookEndpoint> {
    const found = await this.store.findEndpoint(merchantId, id);
    if (!found || found.deletedAt !== undefined)
      throw new KassaError('NotFound', { detail: 'No webhook endpoint with this id belongs to the merchant.' });
    return found;
  }

  /** One endpoint as the API shows it. */
  async endpointView(merchantId: string, id: string) {
    return renderEndpoint(await this.endpoint(merchantId, id), this.deps.clock());
  }

  async deleteEndpoint(merchantId: string, id: string) {
    const endpoint = await this.endpoint(merchantId, id);
    await this.store.updateEndpoint({ ...endpoint, deletedAt: this.deps.clock() });
    return { id, deleted: true };
  }

  /** Changes an endpoint's description, events, version or chaos; what is not sent stays. */
  async changeEndpoint(merchantId: string, id: string, change: EndpointChange) {
    const endpoint = await this.endpoint(merchantId, id);
    const errors: FieldError[] = [];
    const events = (change.events ?? endpoint.events) as WebhookEventType[];
    if (events.length === 0 || events.some((e) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e))) {
      errors.push({ path: '$.events', description: `Must be a non-empty list of ${WEBHOOK_EVENT_TYPES.join(', ')}.` });
    }
    const version = change.version ?? endpoint.version;
    if (!VERSIONS.includes(version)) errors.push({ path: '$.version', description: `Must be one of ${VERSIONS.join(', ')}.` });
    if (change.chaos && !this.deps.chaos && chaosOf(change.chaos) !== undefined)
      errors.push({ path: '$.chaos', description: 'Webhook chaos is a sandbox control, off when KASSA_MODE=production.' });
    if (errors.length > 0) throw validationError('WebhookEndpointChange', errors);
    const description = change.description ?? endpoint.description;
    const changed: WebhookEndpoint = {
      ...endpoint,
      events: [...new Set(events)],
      version,
      ...(description !== undefined ? { description } : {}),
    };
    if (change.description !== undefined || change.events !== undefined || change.version !== undefined)
      await this.store.updateEndpoint(changed);
    if (change.chaos !== undefined) {
      const chaos = chaosOf(change.chaos);
      if (!(await this.store.setChaos(merchantId, id, chaos)))
        throw new KassaError('NotFound', { detail: 'No webhook endpoint with this id belongs to the merchant.' });
    }
    return this.endpointView(merchantId, id);
  }

  /** Enables an endpoint again (it was disabled for failing, or not): new events get deliveries from now on. */
  async enableEndpoint(merchantId: string, id: string) {
    await this.endpoint(merchantId, id);
    if (!(await this.store.enableEndpoint(merchantId, id)))
      throw new KassaError('NotFound', { detail: 'No webhook endpoint with this id belongs to the merchant.' });
    return this.endpointView(merchantId, id);
  }

  /** A new secret; the old one signs too (X-Signature-Secondary) for a day. */
  async rotateSecret(merchantId: string, id: string) {
    const endpoint = await this.endpoint(merchantId, id);
    const secret = newWebhookSecret();
    const rotated: WebhookEndpoint = {
      ...endpoint,
      secretSealed: this.deps.sealer.seal(secret, SECRET_SEAL),
      previousSecretSealed: endpoint.secretSealed,
      previousUntil: this.deps.clock() + ROTATION_OVERLAP_MS,
    };
    await this.store.updateEndpoint(rotated);
    return { ...renderEndpoint(rotated, this.deps.clock()), secret };
  }

  /**
   * KASSA_WEBHOOK_URL for the default merchant: made at start-up when no live endpoint has that URL.
   * Returns the secret when one had to be made (printed once by the server).
   */
  async ensureEndpoint(merchantId: string, url: string, secret: string | undefined): Promise<string | undefined> {
    const existing = (await this.store.endpoints(merchantId)).find((e) => e.url === new URL(url).toString());
    if (existing) {
      // A configured secret always wins: the operator may have changed it.
      if (secret !== undefined && this.open(existing.secretSealed) !== secret) {
        await this.store.updateEndpoint({ ...existing, secretSealed: this.deps.sealer.seal(secret, SECRET_SEAL) });
      }
      return undefined;
    }
    // The operator's own endpoint is not held to the merchants' cap.
    const made = await this.createEndpoint(merchantId, { url, description: 'KASSA_WEBHOOK_URL' }, secret, undefined);
    // Processes started together may each have made one (every event would then go twice): the oldest
    // stays, the others go, and every process that looks decides the same.
    const same = (await this.store.endpoints(merchantId)).filter((e) => e.url === made.url);
    for (const extra of same.slice(1)) await this.store.updateEndpoint({ ...extra, deletedAt: this.deps.clock() });
    const kept = same[0]?.id === made.id;
    return secret === undefined && kept ? made.secret : undefined;
  }

  // ---- Deliveries ----------------------------------------------------------------------------------

  async deliveries(merchantId: string, filter: DeliveryFilter, limit: number) {
    return (await this.store.deliveries(merchantId, filter, limit)).map(renderDelivery);
  }

  /** One delivery with its attempts, oldest first (the last ATTEMPTS_KEPT), and for a PENDING one its next attempt's time. */
  async delivery(merchantId: string, id: string) {
    const found = await this.store.findDelivery(merchantId, id);
    if (!found) throw new KassaError('NotFound', { detail: 'No webhook delivery with this id belongs to the merchant.' });
    return { ...renderDelivery(found), attemptLog: (await this.store.attemptLog(merchantId, id)).map(renderAttempt) };
  }

  async redeliver(merchantId: string, id: string) {
    if (!(await this.store.requeue(merchantId, id, this.deps.clock()))) {
      throw new KassaError('NotFound', { detail: 'No webhook delivery with this id belongs to the merchant.' });
    }
    return renderDelivery((await this.store.findDelivery(merchantId, id))!);
  }

  /** Sends a signed KASSA.TEST event to the endpoint now, and says how the receiver answered. Nothing is stored. */
  async test(merchantId: string, id: string) {
    const endpoint = await this.endpoint(merchantId, id);
    const wait = this.testCalls.take(merchantId);
    if (wait > 0) {
      throw new KassaError('TooManyRequests', {
        retryAfterSeconds: wait,
        detail: `At most ${TEST_CALLS_PER_MINUTE} test events a minute per merchant.`,
      });
    }
    const body = JSON.stringify({
      eventType: 'KASSA.TEST',
      date: primerDate(this.deps.clock()),
      notificationConfig: { id: endpoint.id, description: endpoint.description ?? '' },
      version: endpoint.version,
      signedAt: String(Math.floor(this.deps.clock() / 1000)),
    });
    const outcome = await this.post(endpoint, body, `test-${newUuid()}`);
    return {
      delivered: outcome.ok,
      ...(outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : {}),
      ...(outcome.error ? { error: outcome.error } : {}),
    };
  }

  // ---- Sending -------------------------------------------------------------------------------------

  /** Sends a claimed delivery once and says what to record (the dispatcher records it while its claim holds). */
  async deliver(delivery: WebhookDelivery): Promise<AttemptResult> {
    const endpoint = await this.store.findEndpoint(delivery.merchantId, delivery.endpointId);
    const attempts = delivery.attempts + 1;
    const deleted = !endpoint || endpoint.deletedAt !== undefined;
    // A disabled endpoint's pending deliveries fail without a send; after enabling it, redeliver what is needed.
    const gone = deleted || endpoint.disabledAt !== undefined;
    const chaos = gone || !this.deps.chaos ? undefined : endpoint.chaos;
    // Chaos's delay and shuffle put the first attempt off once, as a due time: no sending slot is held
    // meanwhile, so a delayed endpoint holds up no one's deliveries. (A fanned-out delivery is due at its event's time.)
    if (chaos && (chaos.delayMs || chaos.shuffle) && delivery.attempts === 0 && delivery.nextAttemptAt === delivery.createdAt) {
      const jitter = chaos.shuffle ? 1 + Math.floor(this.random() * SHUFFLE_WINDOW_MS) : 0;
      return { status: 'PENDING', attempts: 0, nextAttemptAt: delivery.createdAt + (chaos.delayMs ?? 0) + jitter };
    }
    const unsent = (error: string): PostOutcome => ({
      ok: false,
      error,
      log: attemptLog({ at: this.deps.clock(), durationMs: 0, outcome: error }),
    });
    let outcome: PostOutcome;
    let sent = false;
    if (deleted) outcome = unsent('The endpoint was deleted.');
    else if (gone) outcome = unsent('The endpoint is disabled.');
    // Not sent, and not held against the endpoint's health: the receiver sees only the attempts after these.
    else if (chaos?.failFirst && attempts <= chaos.failFirst)
      outcome = unsent(`Webhook chaos: attempt ${attempts} of the first ${chaos.failFirst} counted as failed, not sent.`);
    else {
      const made = await this.body(delivery, endpoint);
      sent = made !== undefined;
      outcome =
        made === undefined ? unsent('The event no longer exists.') : await this.post(endpoint, made.body, delivery.id, made.triggered);
      if (made !== undefined && chaos?.duplicate && this.random() < chaos.duplicate) {
        // The same delivery again (same X-Kassa-Delivery-Id), as a retry after a lost answer would be; its answer counts for nothing.
        await this.post(endpoint, made.body, delivery.id, made.triggered);
        outcome = { ...outcome, log: { ...outcome.log, outcome: `${outcome.log.outcome} Webhook chaos: sent twice.` } };
      }
    }
    // On the merchant's time, as the delivery's due time is: an advanced sandbox clock brings retries due.
    const now = this.deps.clock(delivery.merchantId);
    const delay = outcome.ok || gone ? undefined : retryDelay(attempts, this.deps.retryScale);
    const status = outcome.ok ? 'DELIVERED' : delay === undefined ? 'FAILED' : 'PENDING';
    this.deps.metrics.webhookAttempt(outcome.ok ? 'delivered' : status === 'PENDING' ? 'retry' : 'failed');
    if (!outcome.ok) {
      // Who and what only: never the secret, the body or the receiver's answer.
      this.deps.logger?.warn(
        { webhook: { endpointId: delivery.endpointId, deliveryId: delivery.id, attempts, status, outcome: outcome.error } },
        'webhook delivery failed',
      );
    }
    return {
      status,
      attempts,
      nextAttemptAt: delay === undefined ? now : now + delay,
      ...(outcome.statusCode !== undefined ? { lastStatusCode: outcome.statusCode } : {}),
      ...(outcome.error !== undefined ? { lastError: outcome.error } : {}),
      ...(outcome.ok ? { deliveredAt: now } : {}),
      log: outcome.log,
      ...(sent ? { health: healthChange(outcome.ok, now) } : {}),
    };
  }

  /** POSTs a signed body; any 2xx is a success; redirects are not followed. */
  private async post(endpoint: WebhookEndpoint, body: string, deliveryId: string, triggered = false): Promise<PostOutcome> {
    const secrets = [this.open(endpoint.secretSealed)];
    if (endpoint.previousSecretSealed && (endpoint.previousUntil ?? 0) > this.deps.clock()) {
      secrets.push(this.open(endpoint.previousSecretSealed));
    }
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Kassa-Webhooks/1',
      'x-signature-primary': sign(body, secrets[0]!),
      'kassa-signature': kassaSignature(Math.floor(this.deps.clock() / 1000), deliveryId, body, secrets),
      'x-kassa-delivery-id': deliveryId,
    };
    if (secrets[1] !== undefined) headers['x-signature-secondary'] = sign(body, secrets[1]);
    // A triggered event's body is Primer's; only this header tells a receiver that a test asked for it.
    if (triggered) headers['kassa-triggered'] = 'true';
    const at = this.deps.clock();
    const exchange = await postJson(endpoint.url, headers, body, { timeoutMs: this.timeoutMs, destinations: this.destinations });
    const answer = exchange.kind === 'answer' ? exchange : undefined;
    const log = (outcome: string) =>
      attemptLog({
        at,
        durationMs: exchange.durationMs,
        request: { headers, body },
        ...(answer ? { response: { statusCode: answer.statusCode, headers: answer.headers, body: answer.body } } : {}),
        outcome,
      });
    if (!answer) {
      const error = describeFailure(exchange.kind === 'failure' ? exchange.reason : 'unreachable', this.timeoutMs);
      return { ok: false, error, log: log(error) };
    }
    const status = answer.statusCode;
    if (status >= 200 && status < 300) return { ok: true, statusCode: status, log: log(`Delivered: the receiver answered ${status}.`) };
    const error = `The receiver answered ${status}.`;
    return { ok: false, statusCode: status, error, log: log(error) };
  }

  private open(sealed: string): string {
    const secret = this.deps.sealer.open(sealed, SECRET_SEAL);
    if (secret === undefined) throw new Error('a webhook secret no server secret opens');
    return secret;
  }

  /** The body of a delivery: the payment (or session) as of its event, in the endpoint's version; signedAt is now. */
  private async body(delivery: WebhookDelivery, endpoint: WebhookEndpoint): Promise<{ body: string; triggered: boolean } | undefined> {
    const envelope = (date: number) => ({
      eventType: delivery.eventType,
      date: primerDate(date),
      notificationConfig: { id: endpoint.id, description: endpoint.description ?? '' },
      version: endpoint.version,
      signedAt: String(Math.floor(this.deps.clock() / 1000)),
    });
    if (subjectOf(delivery.eventType) === 'session') {
      const session = await this.deps.store.sessions.findById(delivery.merchantId, delivery.subjectId);
      const stored = session ? await this.deps.store.sessions.events(delivery.merchantId, delivery.subjectId) : [];
      const event = session && sessionHistory(session, stored).find((e) => e.id === delivery.eventId);
      if (!event) return undefined;
      const body = JSON.stringify({
        ...envelope(event.createdAt),
        clientSession: { id: event.sessionId, version: event.version, changes: event.detail },
      });
      return { body, triggered: event.triggered === true };
    }
    const [payment, events] = await Promise.all([
      this.deps.store.payments.findById(delivery.merchantId, delivery.subjectId),
      this.deps.store.payments.events(delivery.merchantId, delivery.subjectId),
    ]);
    const event = events.find((e) => e.id === delivery.eventId);
    if (!payment || !event) return undefined;
    const type = event.type;
    const body =
      type === 'DISPUTE.OPENED' || type === 'DISPUTE.STATUS'
        ? disputeBody(type, payment, event, endpoint.version)
        : isFailureEvent(type)
          ? failureBody(envelope(event.createdAt), payment, event)
          : { ...envelope(event.createdAt), payment: paymentAsOf(payment, event, endpoint.version) };
    return { body: JSON.stringify(body), triggered: event.triggered === true };
  }
}

/** The payment as it stood when `event` was recorded: its status, amounts and transactions then. */
export function paymentAsOf(payment: StoredPayment, event: PaymentEvent, version: string): Record<string, unknown> {
  const detail = event.detail as { amount?: number; amountCaptured?: number; amountRefunded?: number };
  const machine = {
    ...payment.data.machine,
    status: event.status,
    ...(detail.amount !== undefined ? { amount: detail.amount } : {}),
    ...(detail.amountCaptured !== undefined ? { amountCaptured: detail.amountCaptured } : {}),
    ...(detail.amountRefunded !== undefined ? { amountRefunded: detail.amountRefunded } : {}),
  };
  const then: StoredPayment = {
    ...payment,
    status: event.status,
    updatedAt: event.createdAt,
    data: {
      ...payment.data,
      machine,
      transactions: boundedTransactions(payment.data.transactions.filter((t) => t.date <= event.createdAt)),
      action: undefined,
    },
  };
  const {
    order: _order,
    requiredAction: _action,
    ...rendered
  } = renderPayment(then, { apiVersion: version, events: false, actionToken: () => '' });
  if (event.type === 'PAYMENT.REFUND') delete rendered.dateUpdated;
  return rendered;
}

/** The SALE and the newest WEBHOOK_REFUNDS refunds, in their order; GET /payments/{id} has them all. */
function boundedTransactions<T extends { type: string }>(transactions: T[]): T[] {
  const refunds = transactions.filter((t) => t.type === 'REFUND');
  if (refunds.length <= WEBHOOK_REFUNDS) return transactions;
  const kept = new Set(refunds.slice(-WEBHOOK_REFUNDS));
  return transactions.filter((t) => t.type !== 'REFUND' || kept.has(t));
}
