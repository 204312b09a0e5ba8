// The dashboard's webhook pages: the merchant's endpoints with their health (a disabled one says since
// when and why, and can be enabled again), and one delivery's attempt log. What the webhook API shows,
// with the dashboard's ISO 8601 dates.
import { Type, type Static } from 'typebox';
import type { WebhookService } from '../webhooks/service.ts';
import { DeliveryView, deliveryView, fromPrimer } from './history.ts';

const Instant = (description: string) => Type.String({ format: 'date-time', description });
const Headers = Type.Record(Type.String(), Type.String());

export const EndpointView = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    description: Type.Optional(Type.String()),
    events: Type.Array(Type.String()),
    version: Type.String(),
    status: Type.Union([Type.Literal('ENABLED'), Type.Literal('DISABLED')]),
    createdAt: Instant('When it was added'),
    failingSince: Type.Optional(Instant('Since when every attempt to it failed (absent once one succeeds)')),
    failures: Type.Optional(Type.Integer({ description: 'Attempts failed in a row' })),
    disabledAt: Type.Optional(Instant('When it was disabled for failing')),
    disabledReason: Type.Optional(Type.String()),
  },
  { title: 'DashboardWebhookEndpoint' },
);
export type EndpointView = Static<typeof EndpointView>;
export const EndpointList = Type.Object(
  { endpoints: Type.Array(EndpointView, { description: 'Oldest first' }) },
  { title: 'DashboardWebhookEndpoints' },
);

const AttemptView = Type.Object(
  {
    attempt: Type.Integer(),
    date: Instant('When it started'),
    durationMs: Type.Integer(),
    request: Type.Optional(Type.Object({ headers: Headers, body: Type.String() })),
    response: Type.Optional(
      Type.Object({ statusCode: Type.Integer(), headers: Headers, body: Type.String({ description: 'Its first 4 KiB' }) }),
    ),
    outcome: Type.String(),
  },
  { title: 'DashboardWebhookAttempt' },
);
export const DeliveryDetail = Type.Object(
  { ...DeliveryView.properties, attemptLog: Type.Array(AttemptView, { description: 'Oldest first; the last 10 attempts' }) },
  { title: 'DashboardWebhookDeliveryDetail' },
);
export type DeliveryDetail = Static<typeof DeliveryDetail>;

/** The webhook API writes Primer's date format (UTC to the microsecond, no offset); the dashboard writes ISO 8601. */
type RenderedEndpoint = Awaited<ReturnType<WebhookService['endpointView']>> & {
  failingSince?: string;
  failures?: number;
  disabledAt?: string;
  disabledReason?: string;
};

function endpointView(e: RenderedEndpoint): EndpointView {
  return {
    id: e.id,
    url: e.url,
    ...(e.description !== undefined ? { description: e.description } : {}),
    events: e.events,
    version: e.version,
    status: e.disabledAt !== undefined ? 'DISABLED' : 'ENABLED',
    createdAt: fromPrimer(e.createdAt),
    ...(e.failingSince !== undefined ? { failingSince: fromPrimer(e.failingSince), failures: e.failures ?? 0 } : {}),
    ...(e.disabledAt !== undefined ? { disabledAt: fromPrimer(e.disabledAt), disabledReason: e.disabledReason ?? '' } : {}),
  };
}

export class WebhookPages {
  constructor(private readonly webhooks: WebhookService) {}

  async endpoints(merchantId: string): Promise<{ endpoints: EndpointView[] }> {
    return { endpoints: (await this.webhooks.endpoints(merchantId)).map(endpointView) };
  }

  async enable(merchantId: string, id: string): Promise<EndpointView> {
    return endpointView(await this.webhooks.enableEndpoint(merchantId, id));
  }

  async delivery(merchantId: string, id: string): Promise<DeliveryDetail> {
    const d = await this.webhooks.delivery(merchantId, id);
    const url = (await this.webhooks.endpoints(merchantId)).find((e) => e.id === d.endpointId)?.url;
    return {
      ...deliveryView(d, new Map(url !== undefined ? [[d.endpointId, url]] : [])),
      attemptLog: d.attemptLog.map((a) => ({ ...a, date: fromPrimer(a.date) })),
    };
  }
}
