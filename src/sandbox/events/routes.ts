// POST /kassa/sandbox/events (docs/sandbox.md, "Triggers"): sends an event Kassa sends, now, for an
// existing payment or session of the merchant. Thin: read the input, call the service.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../../http/envelope.ts';
import type { Pipeline } from '../../http/pipeline.ts';
import { ctxOf, merchantOf } from '../../payments/http.ts';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/webhook.store.ts';
import type { Triggers } from './service.ts';

const TriggerRequest = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64, description: `One of ${WEBHOOK_EVENT_TYPES.join(', ')}` }),
    paymentId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'PAYMENT.* and DISPUTE.* events' })),
    clientSessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'CLIENT_SESSION.* events' })),
  },
  { title: 'SandboxTriggerRequest', additionalProperties: false },
);

export const TriggeredEvent = Type.Object(
  {
    id: Type.String({ description: "The event's id: its deliveries name it (eventId)" }),
    type: Type.Unsafe<(typeof WEBHOOK_EVENT_TYPES)[number]>({ type: 'string', enum: [...WEBHOOK_EVENT_TYPES] }),
    paymentId: Type.Optional(Type.String()),
    clientSessionId: Type.Optional(Type.String()),
    date: Type.String({ description: 'When it was recorded (UTC, no zone designator, microseconds)' }),
    status: Type.Optional(Type.String({ description: "Payment events: the payment's status" })),
    version: Type.Integer({ description: "The object's version, which the event did not change" }),
    requestId: Type.Optional(Type.String()),
    changes: Type.Record(Type.String(), Type.Unknown(), { description: 'What the body is built from: the object as it is' }),
    triggered: Type.Literal(true),
  },
  { title: 'SandboxTriggeredEvent' },
);

export function triggerRoutes(triggers: Triggers, pipeline: Pipeline, scope: string) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.post(
      '/kassa/sandbox/events',
      {
        ...pipeline.merchant({ scope, body: true }),
        schema: {
          summary: 'Sandbox: send an event now for an existing payment or session, delivered like any other and marked triggered',
          tags: ['Sandbox'],
          body: TriggerRequest,
          response: {
            201: TriggeredEvent,
            ...errorResponses(
              'Unauthorized',
              'Forbidden',
              'TooManyRequests',
              'RequestValidationError',
              'InvalidRequestBody',
              'UnsupportedMediaType',
              'PayloadTooLarge',
              'InvalidEventTrigger',
              'PaymentNotFoundError',
              'SessionNotFound',
            ),
          },
        },
      },
      async (request, reply) => {
        const event = await triggers.trigger(ctxOf(request), merchantOf(request), request.body);
        return reply.code(201).send(event);
      },
    );
  };
}
