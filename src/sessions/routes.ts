// The Client Session API's routes: thin, each reads validated input, calls the service, returns.
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
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
import { sessionEtag } from './etag.ts';
import type { SessionService } from './service.ts';

/** POST and PATCH take no query parameters; any is a 422 naming it (issue 5, hostile input). */
const NoQuery = Type.Object({}, { title: 'QueryParameters', additionalProperties: false });

const COMMON_ERRORS = ['InvalidApiVersion', 'Unauthorized', 'Forbidden', 'ClientSessionValidationError'] as const;
const BODY_ERRORS = ['RequestValidationError', 'InvalidRequestBody', 'UnsupportedMediaType', 'PayloadTooLarge'] as const;

export function sessionRoutes(service: SessionService, authenticate: preHandlerAsyncHookHandler) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const config = { scope: 'client_tokens:write', versioned: true };
    const writeConfig = { ...config, idempotent: true };

    app.post(
      '/client-session',
      {
        config: writeConfig,
        onRequest: authenticate,
        preValidation: jsonObjectBody,
        schema: {
          summary: 'Create a client session',
          tags: ['Client Session API'],
          querystring: NoQuery,
          body: CreateSessionBody,
          response: { 200: SessionWithTokenResponse, ...errorResponses(...COMMON_ERRORS, ...BODY_ERRORS, 'MetadataContainsEmptyKey') },
        },
      },
      async (request, reply) => {
        const { response, stored } = await service.createSession(request.principal!.merchantId, request.body as SessionData, request.apiVersion);
        reply.header('ETag', sessionEtag(stored));
        return response;
      },
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
      async (request, reply) => {
        const { session, stored } = await service.get(request.principal!.merchantId, request.query.clientToken);
        reply.header('ETag', sessionEtag(stored));
        return session;
      },
    );

    app.patch(
      '/client-session',
      {
        config: writeConfig,
        onRequest: authenticate,
        preValidation: jsonObjectBody,
        schema: {
          summary: 'Update a client session',
          tags: ['Client Session API'],
          querystring: NoQuery,
          body: UpdateSessionBody,
          response: {
            200: SessionResponse,
            ...errorResponses(...COMMON_ERRORS, ...BODY_ERRORS, 'MetadataContainsEmptyKey', 'SessionVersionMismatch'),
          },
        },
      },
      async (request, reply) => {
        const ifMatch = request.headers['if-match'];
        const { session, stored } = await service.update(request.principal!.merchantId, request.body as never, request.apiVersion, {
          ...(ifMatch !== undefined ? { ifMatch } : {}),
        });
        reply.header('ETag', sessionEtag(stored));
        return session;
      },
    );
  };
}
