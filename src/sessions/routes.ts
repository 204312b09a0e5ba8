// The Client Session API's routes: thin, each reads validated input, calls the service, and sends the
// answer it got (serialized once, by the service).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../http/envelope.ts';
import type { Pipeline } from '../http/pipeline.ts';
import { REPLAY } from '../idempotency/policy.ts';
import type { Context } from '../lib/context.ts';
import {
  CreateSessionBody,
  GetSessionQuery,
  SessionResponse,
  SessionWithTokenResponse,
  UpdateSessionBody,
  type SessionData,
} from './schemas.ts';
import type { SessionAnswer, SessionService } from './service.ts';

/** POST and PATCH take no query parameters; any is a 422 naming it (docs/api.md, "Hostile input"). */
const NoQuery = Type.Object({}, { title: 'QueryParameters', additionalProperties: false });

const COMMON_ERRORS = ['InvalidApiVersion', 'Unauthorized', 'Forbidden', 'ClientSessionValidationError', 'TooManyRequests'] as const;
const BODY_ERRORS = ['RequestValidationError', 'InvalidRequestBody', 'UnsupportedMediaType', 'PayloadTooLarge'] as const;
const SCOPE = 'client_tokens:write';

/** The merchant routes' Context: the pipeline set it, with the API key's merchant. */
export const merchantContext = (request: FastifyRequest) => request.ctx as Context & { merchantId: string };

/** A ready answer: its body is already JSON. */
export const sendAnswer = (reply: FastifyReply, answer: SessionAnswer) =>
  reply.header('ETag', answer.etag).type('application/json; charset=utf-8').send(answer.body);

export function sessionRoutes(service: SessionService, pipeline: Pipeline) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/client-session',
      {
        ...pipeline.merchant({ scope: SCOPE, versioned: true, body: 'optional', idempotency: REPLAY }),
        schema: {
          summary: 'Create a client session',
          tags: ['Client Session API'],
          querystring: NoQuery,
          body: CreateSessionBody,
          response: {
            200: SessionWithTokenResponse,
            ...errorResponses(
              ...COMMON_ERRORS,
              ...BODY_ERRORS,
              'MetadataContainsEmptyKey',
              'IdempotencyKeyReused',
              'IdempotencyKeyInFlight',
            ),
          },
        },
      },
      async (request, reply) =>
        sendAnswer(reply, await service.create(merchantContext(request), request.body as SessionData, request.ignoredFields ?? [])),
    );

    app.get(
      '/client-session',
      {
        ...pipeline.merchant({ scope: SCOPE, versioned: true, clientToken: 'query' }),
        schema: {
          summary: 'Retrieve a client session',
          tags: ['Client Session API'],
          querystring: GetSessionQuery,
          response: { 200: SessionResponse, ...errorResponses(...COMMON_ERRORS, 'RequestValidationError') },
        },
      },
      async (request, reply) => sendAnswer(reply, await service.get(merchantContext(request), request.query.clientToken)),
    );

    app.patch(
      '/client-session',
      {
        ...pipeline.merchant({ scope: SCOPE, versioned: true, body: true, idempotency: REPLAY, clientToken: 'body' }),
        schema: {
          summary: 'Update a client session',
          tags: ['Client Session API'],
          querystring: NoQuery,
          body: UpdateSessionBody,
          response: {
            200: SessionResponse,
            ...errorResponses(
              ...COMMON_ERRORS,
              ...BODY_ERRORS,
              'MetadataContainsEmptyKey',
              'SessionVersionMismatch',
              'IdempotencyKeyReused',
              'IdempotencyKeyInFlight',
              'ServiceUnavailable',
            ),
          },
        },
      },
      async (request, reply) => {
        const ifMatch = request.headers['if-match'];
        return sendAnswer(reply, await service.update(merchantContext(request), request.body as never, ifMatch));
      },
    );
  };
}
