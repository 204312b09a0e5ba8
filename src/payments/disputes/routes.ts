// POST /kassa/sandbox/payments/{id}/dispute (docs/sandbox.md, "Disputes and failure events"): opens a
// dispute on a settled payment or moves it one step. A sandbox control: scope sandbox:write, served
// only outside KASSA_MODE=production (sandbox/routes.ts). Thin: read the input, call the service.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../../http/envelope.ts';
import type { Pipeline } from '../../http/pipeline.ts';
import { ctxOf, merchantOf } from '../http.ts';
import { DISPUTE_STATUSES, DISPUTE_TYPES } from './machine.ts';
import type { Disputes } from './service.ts';

const Literals = <T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
const When = (description: string) => Type.String({ description: `${description} (UTC, no zone designator, microseconds)` });

const DisputeRequest = Type.Object(
  {
    status: Literals(DISPUTE_STATUSES),
    type: Type.Optional(Literals(DISPUTE_TYPES)),
    amount: Type.Optional(
      Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Opening only; default: captured minus refunded' }),
    ),
    reasonCode: Type.Optional(Type.String({ minLength: 1, maxLength: 16, description: 'Opening only; default 10.4' })),
    reason: Type.Optional(Type.String({ maxLength: 255, description: 'Opening only, with reasonCode' })),
  },
  { title: 'SandboxDisputeRequest', additionalProperties: false },
);

export const Dispute = Type.Object(
  {
    id: Type.String({ description: 'processorDisputeId: the same across the dispute’s steps' }),
    paymentId: Type.String(),
    type: Literals(DISPUTE_TYPES),
    status: Literals(DISPUTE_STATUSES),
    amount: Type.Integer({ description: 'The disputed amount, in minor units' }),
    currencyCode: Type.String(),
    reasonCode: Type.String(),
    reason: Type.String(),
    openedAt: When('When the dispute opened'),
    receivedAt: When('When this step was recorded'),
    challengeRequiredBy: Type.Optional(When('While OPEN: by when the merchant must challenge')),
  },
  { title: 'SandboxDispute' },
);

export function disputeRoutes(disputes: Disputes, pipeline: Pipeline, scope: string) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.post(
      '/kassa/sandbox/payments/:id/dispute',
      {
        ...pipeline.merchant({ scope, body: true }),
        schema: {
          summary: 'Sandbox: open a dispute on a settled payment, or move it one step (DISPUTE.OPENED, DISPUTE.STATUS)',
          tags: ['Sandbox'],
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          body: DisputeRequest,
          response: {
            200: Dispute,
            ...errorResponses(
              'Unauthorized',
              'Forbidden',
              'TooManyRequests',
              'RequestValidationError',
              'InvalidRequestBody',
              'UnsupportedMediaType',
              'PayloadTooLarge',
              'PaymentNotFoundError',
              'PaymentNotDisputable',
              'DisputeTransitionNotAllowed',
            ),
          },
        },
      },
      async (request) => disputes.advance(ctxOf(request), merchantOf(request), request.params.id, request.body),
    );
  };
}
