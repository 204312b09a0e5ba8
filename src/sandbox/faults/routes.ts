// The faults control: POST, GET and DELETE /kassa/sandbox/faults (docs/sandbox.md, "Faults"). Thin:
// read the input, call the service.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../../http/envelope.ts';
import type { Pipeline } from '../../http/pipeline.ts';
import type { Context } from '../../lib/context.ts';
import type { SandboxFault } from './fault.store.ts';
import { MAX_DELAY_MS, MAX_TIMES, type FaultService } from './service.ts';

const SCOPE = 'sandbox:write';
const COMMON = ['Unauthorized', 'Forbidden', 'TooManyRequests'] as const;
const BODY = ['RequestValidationError', 'InvalidRequestBody', 'UnsupportedMediaType', 'PayloadTooLarge'] as const;
const tags = ['Sandbox'];
const merchantOf = (request: FastifyRequest) => (request.ctx as Context & { merchantId: string }).merchantId;

const Status = Type.Union(
  [Type.Literal(429), Type.Literal(500), Type.Literal(502), Type.Literal(503), Type.Literal(504), Type.Literal('timeout')],
  {
    description:
      'The answer: an error status in Primer\'s envelope, or "timeout" (the connection is held for delayMs, then closed with no answer)',
  },
);
const Phase = Type.Union([Type.Literal('before'), Type.Literal('after')], {
  description: 'before: the request is not served and nothing is written; after: it is served and committed, then its answer is replaced',
});

const FaultBody = Type.Object(
  {
    operation: Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        'A method and a route template as the OpenAPI document names them, e.g. "POST /payments" or "POST /payments/{id}/capture"',
    }),
    status: Status,
    times: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_TIMES, description: 'How many of the next matching requests get it (1 when absent)' }),
    ),
    phase: Type.Optional(Phase),
    delayMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_DELAY_MS,
        description: 'How long the answer waits; for a timeout, how long the connection is held (5000 when absent)',
      }),
    ),
  },
  { title: 'SandboxFaultRequest', additionalProperties: false },
);

const Fault = Type.Object(
  {
    id: Type.String(),
    operation: Type.String(),
    status: Status,
    phase: Phase,
    times: Type.Integer({ description: 'Uses it was made with' }),
    timesLeft: Type.Integer({ description: 'Uses left' }),
    delayMs: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'SandboxFault' },
);
const FaultList = Type.Object({ data: Type.Array(Fault) }, { title: 'SandboxFaultList' });
const Deleted = Type.Object({ id: Type.String(), deleted: Type.Boolean() }, { title: 'SandboxFaultDeleted' });
const Cleared = Type.Object({ deleted: Type.Integer({ description: 'How many faults were deleted' }) }, { title: 'SandboxFaultsCleared' });

export const renderFault = (f: SandboxFault) => ({
  id: f.id,
  operation: f.operation,
  status: f.status,
  phase: f.phase,
  times: f.times,
  timesLeft: f.timesLeft,
  delayMs: f.delayMs,
  createdAt: new Date(f.createdAt).toISOString(),
});

export function faultRoutes(faults: FaultService, pipeline: Pipeline) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.post(
      '/kassa/sandbox/faults',
      {
        ...pipeline.merchant({ scope: SCOPE, body: true }),
        schema: {
          summary: "Answer the merchant's next requests to an operation with an error or a closed connection",
          tags,
          body: FaultBody,
          response: { 201: Fault, ...errorResponses(...COMMON, ...BODY, 'UnknownOperation', 'FaultLimitExceeded') },
        },
      },
      async (request, reply) => {
        const fault = await faults.add(merchantOf(request), request.body);
        return reply.code(201).send(renderFault(fault));
      },
    );
    app.get(
      '/kassa/sandbox/faults',
      {
        ...pipeline.merchant({ scope: SCOPE }),
        schema: {
          summary: "The merchant's sandbox faults, oldest first",
          tags,
          response: { 200: FaultList, ...errorResponses(...COMMON) },
        },
      },
      async (request) => ({ data: (await faults.list(merchantOf(request))).map(renderFault) }),
    );
    app.delete(
      '/kassa/sandbox/faults/:id',
      {
        ...pipeline.merchant({ scope: SCOPE }),
        schema: {
          summary: 'Delete a sandbox fault',
          tags,
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          response: { 200: Deleted, ...errorResponses(...COMMON, 'NotFound') },
        },
      },
      async (request) => {
        await faults.delete(merchantOf(request), request.params.id);
        return { id: request.params.id, deleted: true };
      },
    );
    app.delete(
      '/kassa/sandbox/faults',
      {
        ...pipeline.merchant({ scope: SCOPE }),
        schema: { summary: "Delete all the merchant's sandbox faults", tags, response: { 200: Cleared, ...errorResponses(...COMMON) } },
      },
      async (request) => ({ deleted: await faults.clear(merchantOf(request)) }),
    );
  };
}
