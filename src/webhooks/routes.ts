// The webhook API (docs/webhooks.md): endpoints, deliveries, redelivery, a test event, secret
// rotation (scope webhooks:write), and a payment's history (transactions:retrieve). Thin: read the
// input, call the service.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { KassaError } from '../errors.ts';
import { errorResponses } from '../http/envelope.ts';
import type { Pipeline } from '../http/pipeline.ts';
import type { Context } from '../lib/context.ts';
import { primerDate } from '../payments/payment.ts';
import type { PaymentStore } from '../payments/payment.store.ts';
import { sessionHistory } from '../sessions/history.ts';
import type { SessionStore } from '../sessions/session.store.ts';
import { byEvent, historyEntries } from './history.ts';
import {
  Deleted,
  PaymentEventList,
  SessionEventList,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookDeliveryList,
  WebhookChaos,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEndpointWithSecret,
  WebhookTestResult,
} from './schemas.ts';
import type { WebhookService } from './service.ts';
import { WEBHOOK_EVENT_TYPES } from './webhook.store.ts';

const SCOPE = 'webhooks:write';
const COMMON = ['Unauthorized', 'Forbidden', 'TooManyRequests'] as const;
const BODY = ['RequestValidationError', 'InvalidRequestBody', 'UnsupportedMediaType', 'PayloadTooLarge'] as const;
const tags = ['Webhooks'];
const merchantOf = (request: FastifyRequest) => (request.ctx as Context & { merchantId: string }).merchantId;
const Id = Type.Object({ id: Type.String({ maxLength: 100 }) });

const EndpointBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    description: Type.Optional(Type.String({ maxLength: 255 })),
    events: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length })),
    version: Type.Optional(Type.String({ maxLength: 8 })),
  },
  { title: 'WebhookEndpointRequest', additionalProperties: false },
);

const EndpointChange = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 255 })),
    events: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length })),
    version: Type.Optional(Type.String({ maxLength: 8 })),
    chaos: Type.Optional(Type.Union([WebhookChaos, Type.Null()], { description: "The sandbox's webhook chaos; null or {} turns it off" })),
  },
  { title: 'WebhookEndpointChange', additionalProperties: false },
);

export function webhookRoutes(service: WebhookService, payments: PaymentStore, sessions: SessionStore, pipeline: Pipeline) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const steps = (body = false) => pipeline.merchant({ scope: SCOPE, body });

    app.post(
      '/kassa/webhook-endpoints',
      {
        ...steps(true),
        schema: {
          summary: 'Add a webhook endpoint (its secret is shown once)',
          tags,
          body: EndpointBody,
          response: { 200: WebhookEndpointWithSecret, ...errorResponses(...COMMON, ...BODY, 'WebhookEndpointLimitExceeded') },
        },
      },
      async (request) => service.createEndpoint(merchantOf(request), request.body),
    );
    app.get(
      '/kassa/webhook-endpoints',
      {
        ...steps(),
        schema: {
          summary: "The merchant's webhook endpoints",
          tags,
          response: { 200: WebhookEndpointList, ...errorResponses(...COMMON) },
        },
      },
      async (request) => ({ data: await service.endpoints(merchantOf(request)) }),
    );
    app.get(
      '/kassa/webhook-endpoints/:id',
      {
        ...steps(),
        schema: {
          summary: 'A webhook endpoint',
          tags,
          params: Id,
          response: { 200: WebhookEndpoint, ...errorResponses(...COMMON, 'NotFound') },
        },
      },
      async (request) => {
        return service.endpointView(merchantOf(request), request.params.id);
      },
    );
    app.patch(
      '/kassa/webhook-endpoints/:id',
      {
        ...steps(true),
        schema: {
          summary: "Change a webhook endpoint's description, events, version or sandbox chaos",
          tags,
          params: Id,
          body: EndpointChange,
          response: { 200: WebhookEndpoint, ...errorResponses(...COMMON, ...BODY, 'NotFound') },
        },
      },
      async (request) => service.changeEndpoint(merchantOf(request), request.params.id, request.body),
    );
    app.delete(
      '/kassa/webhook-endpoints/:id',
      {
        ...steps(),
        schema: {
          summary: 'Delete a webhook endpoint',
          tags,
          params: Id,
          response: { 200: Deleted, ...errorResponses(...COMMON, 'NotFound') },
        },
      },
      async (request) => service.deleteEndpoint(merchantOf(request), request.params.id),
    );
    app.post(
      '/kassa/webhook-endpoints/:id/rotate-secret',
      {
        ...steps(),
        schema: {
          summary: 'A new signing secret (shown once); the old one also signs for 24 h',
          tags,
          params: Id,
          response: { 200: WebhookEndpointWithSecret, ...errorResponses(...COMMON, 'NotFound') },
        },
      },
      async (request) => service.rotateSecret(merchantOf(request), request.params.id),
    );
    app.post(
      '/kassa/webhook-endpoints/:id/enable',
      {
        ...steps(),
        schema: {
          summary: 'Enable a webhook endpoint again (one disabled after failing for days): new events get deliveries',
          tags,
          params: Id,
          response: { 200: WebhookEndpoint, ...errorResponses(...COMMON, 'NotFound') },
        },
      },
      async (request) => service.enableEndpoint(merchantOf(request), request.params.id),
    );
    app.post(
      '/kassa/webhook-endpoints/:id/test',
      {
        ...steps(),
        schema: {
          summary: 'Send a signed KASSA.TEST event to the endpoint now',
          tags,
          params: Id,
          response: { 200: WebhookTestResult, ...errorResponses(...COMMON, 'NotFound') },
        },
      },
      async (request) => service.test(merchantOf(request), request.params.id),
    );
    app.get(
      '/kassa/webhook-deliveries',
      {
        ...steps(),
        schema: {
          summary: 'Webhook deliveries, newest first',
          tags,
          querystring: Type.Object(
            {
              status: Type.Optional(Type.Union([Type.Literal('PENDING'), Type.Literal('DELIVERED'), Type.Literal('FAILED')])),
              endpoint_id: Type.Optional(Type.String({ maxLength: 100 })),
              payment_id: Type.Optional(Type.String({ maxLength: 100 })),
              client_session_id: Type.Optional(Type.String({ maxLength: 100 })),
              // A string: query values are not coerced (app.ts), so an integer schema would refuse every limit.
              limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: '1 to 100; 50 when absent' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: WebhookDeliveryList, ...errorResponses(...COMMON, 'RequestValidationError') },
        },
      },
      async (request) => {
        const q = request.query;
        const filter = {
          ...(q.status ? { status: q.status } : {}),
          ...(q.endpoint_id ? { endpointId: q.endpoint_id } : {}),
          ...(q.payment_id ? { subjectId: q.payment_id } : q.client_session_id ? { subjectId: q.client_session_id } : {}),
        };
        return { data: await service.deliveries(merchantOf(request), filter, q.limit ? Number(q.limit) : 50) };
      },
    );
    app.get(
      '/kassa/webhook-deliveries/:id',
      {
        ...steps(),
        schema: {
          summary: 'A webhook delivery with its attempts (the delivery log) and, while PENDING, its next attempt',
          tags,
          params: Id,
          response: { 200: WebhookDeliveryDetail, ...errorResponses(...COMMON, 'NotFound') },
        },
      },
      async (request) => service.delivery(merchantOf(request), request.params.id),
    );
    app.post(
      '/kassa/webhook-deliveries/:id/redeliver',
      {
        ...steps(),
        schema: {
          summary: 'Send a delivery again, now',
          tags,
          params: Id,
          response: { 200: WebhookDelivery, ...errorResponses(...COMMON, 'NotFound') },
        },
      },
      async (request) => service.redeliver(merchantOf(request), request.params.id),
    );

    // A payment's history: every event recorded with its changes, oldest first.
    app.get(
      '/kassa/payments/:id/events',
      {
        ...pipeline.merchant({ scope: 'transactions:retrieve' }),
        schema: {
          summary: "A payment's history: each change's event",
          tags: ['Payments API'],
          params: Id,
          response: { 200: PaymentEventList, ...errorResponses(...COMMON, 'PaymentError') },
        },
      },
      async (request) => {
        const merchantId = merchantOf(request);
        const payment = await payments.findById(merchantId, request.params.id);
        if (!payment) throw new KassaError('PaymentError');
        const [events, deliveries] = await Promise.all([
          payments.events(merchantId, payment.id),
          service.deliveries(merchantId, { subjectId: payment.id }, 100),
        ]);
        return {
          data: historyEntries(
            events,
            byEvent(deliveries, (d) => d),
            primerDate,
          ),
        };
      },
    );

    // A session's history: its creation and every change, what changed, and the deliveries of each.
    app.get(
      '/kassa/client-sessions/:id/events',
      {
        ...pipeline.merchant({ scope: 'client_tokens:write' }),
        schema: {
          summary: "A client session's history: each change's event",
          tags: ['Client Session API'],
          params: Id,
          response: { 200: SessionEventList, ...errorResponses(...COMMON, 'SessionNotFound') },
        },
      },
      async (request) => {
        const merchantId = merchantOf(request);
        const session = await sessions.findById(merchantId, request.params.id);
        if (!session) throw new KassaError('SessionNotFound');
        const [stored, deliveries] = await Promise.all([
          sessions.events(merchantId, session.id),
          service.deliveries(merchantId, { subjectId: session.id }, 100),
        ]);
        const events = sessionHistory(session, stored);
        return {
          data: historyEntries(
            events,
            byEvent(deliveries, (d) => d),
            primerDate,
          ),
        };
      },
    );
  };
}
