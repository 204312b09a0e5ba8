// POST /kassa/sandbox/reset (docs/sandbox.md, "Reset"): empties the calling merchant's data and answers
// what went, per kind. Thin: the merchant from the API key, the reset from reset.ts.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../../http/envelope.ts';
import type { Pipeline } from '../../http/pipeline.ts';
import type { Context } from '../../lib/context.ts';
import type { Stores } from '../../storage/store.ts';
import { type RESET_STORES, resetMerchant } from './reset.ts';

const Count = (description: string) => Type.Integer({ minimum: 0, description });

export const ResetResponse = Type.Object(
  {
    merchantId: Type.String(),
    removed: Type.Object(
      {
        sessions: Count('Client sessions'),
        payments: Count('Payments, with their jobs'),
        tokens: Count('Payment method tokens, saved cards included'),
        events: Count('Payment and session events (the histories, and the outbox)'),
        deliveries: Count('Webhook deliveries, with their attempt logs'),
        idempotencyRecords: Count('Idempotency records'),
        paypalOrders: Count('PayPal orders and billing agreements'),
        faults: Count('Sandbox faults'),
        clocks: Count("The merchant's sandbox clock offset (1, or 0 when it had none)"),
      },
      // A store added to RESET_STORES later adds its own kind.
      { additionalProperties: Type.Integer({ minimum: 0 }), description: 'How many of each kind were removed' },
    ),
  },
  { title: 'SandboxResetResponse' },
);

const COMMON = ['Unauthorized', 'Forbidden', 'TooManyRequests'] as const;
const BODY = ['RequestValidationError', 'InvalidRequestBody', 'UnsupportedMediaType'] as const;
const Body = Type.Object({}, { additionalProperties: false, title: 'SandboxResetRequest' });
const merchantOf = (request: FastifyRequest) => (request.ctx as Context & { merchantId: string }).merchantId;

export function resetRoutes(deps: { store: Pick<Stores, (typeof RESET_STORES)[number]>; pipeline: Pipeline; scope: string }) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.post(
      '/kassa/sandbox/reset',
      {
        ...deps.pipeline.merchant({ scope: deps.scope, body: 'optional' }),
        schema: {
          summary: "Sandbox: empty the merchant's sessions, payments, tokens, events, deliveries and idempotency records",
          description: 'The merchant, its API keys and its webhook endpoints stay. Calling it again removes nothing more.',
          tags: ['Sandbox'],
          body: Body,
          response: {
            200: ResetResponse,
            ...errorResponses(...COMMON, ...BODY),
          },
        },
      },
      async (request) => {
        const merchantId = merchantOf(request);
        return { merchantId, removed: await resetMerchant(deps.store, merchantId) };
      },
    );
  };
}
