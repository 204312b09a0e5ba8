// GET and POST /kassa/sandbox/clock (docs/sandbox.md, "Clock"): thin, the service decides.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorResponses } from '../../http/envelope.ts';
import type { Pipeline } from '../../http/pipeline.ts';
import type { Context } from '../../lib/context.ts';
import { ClockAdvanceBody, ClockState } from './schemas.ts';
import type { SandboxClock } from './service.ts';

const COMMON = ['Unauthorized', 'Forbidden', 'TooManyRequests'] as const;
const BODY = ['RequestValidationError', 'InvalidRequestBody', 'UnsupportedMediaType', 'PayloadTooLarge'] as const;
const tags = ['Sandbox'];
const merchantOf = (request: FastifyRequest) => (request.ctx as Context & { merchantId: string }).merchantId;

export function clockRoutes(service: SandboxClock, pipeline: Pipeline, scope: string) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/kassa/sandbox/clock',
      {
        ...pipeline.merchant({ scope }),
        schema: { summary: "Sandbox: the merchant's clock", tags, response: { 200: ClockState, ...errorResponses(...COMMON) } },
      },
      async (request) => service.show(merchantOf(request)),
    );
    app.post(
      '/kassa/sandbox/clock',
      {
        ...pipeline.merchant({ scope, body: true }),
        schema: {
          summary: "Sandbox: move the merchant's clock forward, with what that time passing does to its data",
          tags,
          body: ClockAdvanceBody,
          response: { 200: ClockState, ...errorResponses(...COMMON, ...BODY, 'InvalidClockAdvance') },
        },
      },
      async (request) => service.advance(merchantOf(request), request.body.advanceSeconds),
    );
  };
}
