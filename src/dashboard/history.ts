// The dashboard's timelines: a session's and a payment's events in order (time, type, what changed,
// the request that made it), each with its webhook deliveries (status, attempts, last error), and
// the redelivery of one. The events come from the overviews (sessions/overview.ts,
// payments/overview.ts), the deliveries from the WebhookService, as the webhook API shows them but
// with the dashboard's ISO 8601 dates.
import { Type, type Static } from 'typebox';
import { KassaError } from '../errors.ts';
import { PAYMENT_STATUSES } from '../payments/model.ts';
import type { PaymentOverview } from '../payments/overview.ts';
import { PAYMENT_EVENT_TYPES, type PaymentEventType } from '../payments/payment.store.ts';
import type { SessionOverview } from '../sessions/overview.ts';
import { byEvent, historyEntries } from '../webhooks/history.ts';
import type { WebhookService } from '../webhooks/service.ts';

const Instant = (description: string) => Type.String({ format: 'date-time', description });
/** A subject has a handful of events, each sent to a few endpoints; more than this is not a page. */
const MAX_DELIVERIES = 500;

export const DeliveryView = Type.Object(
  {
    id: Type.String({ description: 'The delivery id (X-Kassa-Delivery-Id)' }),
    endpointId: Type.String(),
    endpointUrl: Type.Optional(Type.String({ description: 'Absent once the endpoint is deleted' })),
    status: Type.Union([Type.Literal('PENDING'), Type.Literal('DELIVERED'), Type.Literal('FAILED')]),
    attempts: Type.Integer({ description: 'Attempts made so far' }),
    nextAttemptAt: Type.Optional(Instant('When it is sent next (PENDING only)')),
    lastStatusCode: Type.Optional(Type.Integer({ description: "The receiver's last HTTP status" })),
    lastError: Type.Optional(Type.String({ description: 'Why the last attempt failed' })),
    createdAt: Instant('When the event was queued for the endpoint'),
    deliveredAt: Type.Optional(Instant('When a receiver took it')),
  },
  { title: 'DashboardWebhookDelivery' },
);
export type DeliveryView = Static<typeof DeliveryView>;

const Changes = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'What changed. Sessions: each top-level field {from, to} (the order id, currency and amount on creation). Payments: amounts, the previous status (from), the refund, the dispute step, the failed request.',
});
const common = {
  id: Type.String(),
  date: Instant('When the change was made'),
  version: Type.Integer({ description: 'The version the change made' }),
  requestId: Type.Optional(Type.String({ description: "The request that made it (its X-Request-Id); absent for the server's own steps" })),
  idempotencyKey: Type.Optional(Type.String({ description: 'The Idempotency-Key that request was sent with, if any' })),
  changes: Changes,
  triggered: Type.Optional(Type.Boolean({ description: 'Sent by POST /kassa/sandbox/events: the object did not change' })),
  deliveries: Type.Array(DeliveryView, { description: "The event's webhook deliveries, one per endpoint that takes it" }),
};

export const SessionHistory = Type.Object(
  {
    events: Type.Array(
      Type.Object(
        {
          ...common,
          type: Type.Union([
            Type.Literal('CLIENT_SESSION.CREATED'),
            Type.Literal('CLIENT_SESSION.UPDATED'),
            Type.Literal('CLIENT_SESSION.EXPIRED'),
          ]),
        },
        { title: 'DashboardSessionEvent' },
      ),
      { description: 'Oldest first' },
    ),
  },
  { title: 'DashboardSessionHistory' },
);
export type SessionHistory = Static<typeof SessionHistory>;

export const PaymentHistory = Type.Object(
  {
    events: Type.Array(
      Type.Object(
        {
          ...common,
          // Every type a payment records (failed operations and dispute steps too): one missing is a 500 here.
          type: Type.Unsafe<PaymentEventType>({ type: 'string', enum: [...PAYMENT_EVENT_TYPES] }),
          status: Type.Unsafe<(typeof PAYMENT_STATUSES)[number]>({
            type: 'string',
            enum: [...PAYMENT_STATUSES],
            description: 'The payment status after the change',
          }),
        },
        { title: 'DashboardPaymentEvent' },
      ),
      { description: 'Oldest first' },
    ),
  },
  { title: 'DashboardPaymentHistory' },
);
export type PaymentHistory = Static<typeof PaymentHistory>;

const iso = (ms: number) => new Date(ms).toISOString();
/** The webhook API writes Primer's date format (UTC to the microsecond, no offset: lib's primerDate); the dashboard writes ISO 8601. */
export const fromPrimer = (date: string) => new Date(`${date.slice(0, 23)}Z`).toISOString();

type Rendered = Awaited<ReturnType<WebhookService['deliveries']>>[number];

export interface HistoryDeps {
  sessions: SessionOverview;
  /** Absent with KASSA_PAYMENTS=off. */
  payments?: PaymentOverview;
  /** Absent with KASSA_PAYMENTS=off (no dispatcher runs then): events have no deliveries. */
  webhooks?: WebhookService;
}

export class History {
  constructor(private readonly deps: HistoryDeps) {}

  async session(merchantId: string, id: string): Promise<SessionHistory | undefined> {
    const events = await this.deps.sessions.events(merchantId, id);
    if (!events) return undefined;
    const deliveries = await this.deliveries(merchantId, id);
    return { events: historyEntries(events, deliveries, iso) };
  }

  async payment(merchantId: string, id: string): Promise<PaymentHistory | undefined> {
    const events = await this.deps.payments?.events(merchantId, id);
    if (!events) return undefined;
    const deliveries = await this.deliveries(merchantId, id);
    return { events: historyEntries(events, deliveries, iso) as PaymentHistory['events'] };
  }

  /** Queues a delivery again, due now (whatever its status); a dispatcher sends it. NotFound when the merchant has no such delivery. */
  async redeliver(merchantId: string, deliveryId: string): Promise<DeliveryView> {
    if (!this.deps.webhooks) throw new KassaError('NotFound', { detail: 'No webhook delivery with this id belongs to the merchant.' });
    const queued = await this.deps.webhooks.redeliver(merchantId, deliveryId);
    return deliveryView(queued, await this.urls(merchantId));
  }

  /** A subject's deliveries by event id, oldest first. */
  private async deliveries(merchantId: string, subjectId: string): Promise<Map<string, DeliveryView[]>> {
    if (!this.deps.webhooks) return new Map();
    const [list, urls] = await Promise.all([
      this.deps.webhooks.deliveries(merchantId, { subjectId }, MAX_DELIVERIES),
      this.urls(merchantId),
    ]);
    return byEvent(list.reverse(), (d) => deliveryView(d, urls));
  }

  /** The live endpoints' URLs by id. */
  private async urls(merchantId: string): Promise<Map<string, string>> {
    return new Map((await this.deps.webhooks?.endpoints(merchantId))?.map((e) => [e.id, e.url]));
  }
}

/** A delivery as the dashboard shows it: its endpoint's URL beside it, times as ISO instants. */
export function deliveryView(d: Rendered, urls: Map<string, string>): DeliveryView {
  const url = urls.get(d.endpointId);
  return {
    id: d.id,
    endpointId: d.endpointId,
    ...(url !== undefined ? { endpointUrl: url } : {}),
    status: d.status,
    attempts: d.attempts,
    ...(d.nextAttemptAt !== undefined ? { nextAttemptAt: fromPrimer(d.nextAttemptAt) } : {}),
    ...(d.lastStatusCode !== undefined ? { lastStatusCode: d.lastStatusCode } : {}),
    ...(d.lastError !== undefined ? { lastError: d.lastError } : {}),
    createdAt: fromPrimer(d.createdAt),
    ...(d.deliveredAt !== undefined ? { deliveredAt: fromPrimer(d.deliveredAt) } : {}),
  };
}
