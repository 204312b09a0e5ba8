// The Client Session API's routes: thin, each reads validated input, calls the service, returns.
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses } from '../http/errors.ts';
import { jsonObjectBody } from '../http/body-guards.ts';
import {
  CreateSessionBody,
  GetSessionQuery,
  SessionResponse,
  SessionWithTokenResponse,
  UpdateSessionBody,
  type SessionData,
} from './schemas.ts';
import type { SessionService } from './service.ts';

const COMMON_ERRORS = ['InvalidApiVersion', 'Unauthorized', 'Forbidden', 'ClientSessionValidationError'] as const;
const BODY_ERRORS = ['RequestValidationError', 'InvalidRequestBody', 'UnsupportedMediaType', 'PayloadTooLarge'] as const;

export function sessionRoutes(service: SessionService, authenticate: preHandlerAsyncHookHandler) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const config = { scope: 'client_tokens:write', versioned: true };

    app.post(
      '/client-session',
      {
        config,
        onRequest: authenticate,
        preValidation: jsonObjectBody,
        schema: {
          summary: 'Create a client session',
          tags: ['Client Session API'],
          body: CreateSessionBody,
          response: { 200: SessionWithTokenResponse, ...errorResponses(...COMMON_ERRORS, ...BODY_ERRORS, 'MetadataContainsEmptyKey') },
        },
      },
      async (request) => service.create(request.principal!.merchantId, request.body as SessionData, request.apiVersion),
    );

    app.get(
      '/client-session',
      {
        config,
        onRequest: authenticate,
        schema: {
          summary: 'Retrieve a client session',
          tags: ['Client Session API'],
          querystring: GetSessionQuery,
          response: { 200: SessionResponse, ...errorResponses(...COMMON_ERRORS, 'RequestValidationError') },
        },
      },
      async (request) => (await service.get(request.principal!.merchantId, request.query.clientToken)).session,
    );

    app.patch(
      '/client-session',
      {
        config,
        onRequest: authenticate,
        preValidation: jsonObjectBody,
        schema: {
          summary: 'Update a client session',
          tags: ['Client Session API'],
          body: UpdateSessionBody,
          response: { 200: SessionResponse, ...errorResponses(...COMMON_ERRORS, ...BODY_ERRORS, 'MetadataContainsEmptyKey') },
        },
      },
      async (request) =>
        (await service.update(request.principal!.merchantId, request.body as never, request.apiVersion)).session,
    );
  };
}
