// The shapes of the webhook API's answers and of the histories (docs/webhooks.md), written once each:
// the OpenAPI document shows them and fast-json-stringify writes them, dropping what they do not name.
import { Type } from 'typebox';
import { PAYMENT_EVENT_TYPES } from '../payments/payment.store.ts';
import { WEBHOOK_EVENT_TYPES } from './webhook.store.ts';

const When = (description: string) => Type.String({ description: `${description} (UTC, no zone designator, microseconds)` });
// A plain string enum: fast-json-stringify writes it as a string, where a union of literals is tried branch by branch.
const Literals = <T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

/** The sandbox's chaos on an endpoint's deliveries (docs/sandbox.md, "Webhook chaos"); every knob optional, off when absent. */
export const WebhookChaos = Type.Object(
  {
    duplicate: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'Chance that a sent delivery is sent again at once, same delivery id' }),
    ),
    shuffle: Type.Optional(
      Type.Boolean({ description: 'Deliveries wait a random part of 2 s before their first attempt, so they leave out of order' }),
    ),
    failFirst: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 10, description: 'The first n attempts of each delivery are recorded as failed, not sent' }),
    ),
    delayMs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 30_000, description: "A delivery's first attempt waits this long after its event" }),
    ),
  },
  { additionalProperties: false },
);

export const WebhookEndpoint = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    description: Type.Optional(Type.String()),
    events: Type.Array(Literals(WEBHOOK_EVENT_TYPES)),
    version: Type.String({ description: 'The API version of the bodies sent to it' }),
    createdAt: When('When it was added'),
    previousSecretValidUntil: Type.Optional(When('Until when the secret before the last rotation also signs')),
    failingSince: Type.Optional(When('While every attempt fails: since when')),
    failures: Type.Optional(Type.Integer({ description: 'While every attempt fails: how many in a row' })),
    disabledAt: Type.Optional(When('When it was disabled for failing (docs/webhooks.md); it gets no new deliveries until enabled')),
    disabledReason: Type.Optional(Type.String({ description: 'Why it was disabled' })),
    chaos: Type.Optional(WebhookChaos),
  },
  { title: 'WebhookEndpoint' },
);

export const WebhookEndpointWithSecret = Type.Object(
  { ...WebhookEndpoint.properties, secret: Type.String({ description: 'The signing secret: shown this once' }) },
  { title: 'WebhookEndpointWithSecret' },
);

export const WebhookEndpointList = Type.Object({ data: Type.Array(WebhookEndpoint) }, { title: 'WebhookEndpointList' });

export const Deleted = Type.Object({ id: Type.String(), deleted: Type.Boolean() }, { title: 'Deleted' });

export const WebhookTestResult = Type.Object(
  {
    delivered: Type.Boolean({ description: 'The receiver answered 2xx' }),
    statusCode: Type.Optional(Type.Integer({ description: "The receiver's HTTP status" })),
    error: Type.Optional(Type.String({ description: 'Why it was not delivered' })),
  },
  { title: 'WebhookTestResult' },
);

export const WebhookDelivery = Type.Object(
  {
    id: Type.String({ description: 'The delivery id (X-Kassa-Delivery-Id)' }),
    endpointId: Type.String(),
    eventId: Type.String(),
    eventType: Literals(WEBHOOK_EVENT_TYPES),
    paymentId: Type.Optional(Type.String({ description: 'PAYMENT.* and DISPUTE.* events' })),
    clientSessionId: Type.Optional(Type.String({ description: 'CLIENT_SESSION.* events' })),
    status: Literals(['PENDING', 'DELIVERED', 'FAILED'] as const),
    attempts: Type.Integer({ description: 'Attempts made so far' }),
    nextAttemptAt: Type.Optional(When('When it is sent next (PENDING only)')),
    lastStatusCode: Type.Optional(Type.Integer({ description: "The receiver's last HTTP status" })),
    lastError: Type.Optional(Type.String({ description: 'Why the last attempt failed' })),
    createdAt: When('When the event was queued for the endpoint'),
    deliveredAt: Type.Optional(When('When a receiver took it')),
  },
  { title: 'WebhookDelivery' },
);

const Headers = Type.Record(Type.String(), Type.String());
const Attempt = Type.Object(
  {
    attempt: Type.Integer({ description: "The delivery's attempt number, from 1" }),
    date: Type.String({ description: 'When it started' }),
    durationMs: Type.Integer(),
    request: Type.Optional(
      Type.Object(
        { headers: Headers, body: Type.String() },
        { description: 'What was sent (the signatures, never the secret); absent when nothing was' },
      ),
    ),
    response: Type.Optional(
      Type.Object(
        { statusCode: Type.Integer(), headers: Headers, body: Type.String({ description: 'At most its first 4 KiB' }) },
        { description: "The receiver's answer; absent when it gave none" },
      ),
    ),
    outcome: Type.String({ description: "What happened, in Kassa's words" }),
  },
  { title: 'WebhookAttempt' },
);
export const WebhookDeliveryDetail = Type.Object(
  {
    ...WebhookDelivery.properties,
    attemptLog: Type.Array(Attempt, { description: 'Oldest first; the last 10 attempts' }),
  },
  { title: 'WebhookDeliveryDetail' },
);

export const WebhookDeliveryList = Type.Object({ data: Type.Array(WebhookDelivery) }, { title: 'WebhookDeliveryList' });

const historyFields = {
  date: When('When the change was made'),
  version: Type.Integer({ description: 'The version the change made' }),
  requestId: Type.Optional(Type.String({ description: "The request that made it (its X-Request-Id); absent for the server's own steps" })),
  idempotencyKey: Type.Optional(Type.String({ description: 'The idempotency key that request was sent with, if any' })),
  changes: Type.Record(Type.String(), Type.Unknown(), { description: 'What changed' }),
  triggered: Type.Optional(Type.Boolean({ description: 'Sent by POST /kassa/sandbox/events: the object did not change' })),
  deliveries: Type.Array(WebhookDelivery, { description: "The event's webhook deliveries, one per endpoint that takes it" }),
};

export const PaymentEventList = Type.Object(
  {
    data: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          type: Literals(PAYMENT_EVENT_TYPES),
          status: Type.Optional(Type.String({ description: 'The status after the change' })),
          ...historyFields,
        },
        { title: 'PaymentEvent' },
      ),
      { description: 'Oldest first' },
    ),
  },
  { title: 'PaymentEventList' },
);

export const SessionEventList = Type.Object(
  {
    data: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          type: Literals(['CLIENT_SESSION.CREATED', 'CLIENT_SESSION.UPDATED', 'CLIENT_SESSION.EXPIRED'] as const),
          ...historyFields,
        },
        { title: 'SessionEvent' },
      ),
      { description: 'Oldest first' },
    ),
  },
  { title: 'SessionEventList' },
);
