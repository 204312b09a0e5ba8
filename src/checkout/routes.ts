// The routes Primer's client SDKs call with a client token (docs/sdk.md), and the icons the
// configuration points at. Thin: read input, call the service, return. They sit in the app's browser
// scope, which answers CORS (app.ts).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { KassaError } from '../errors.ts';
import { errorResponses } from '../http/envelope.ts';
import type { Pipeline } from '../http/pipeline.ts';
import type { Context } from '../lib/context.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import { ICONS } from './icons.ts';
import { ActionsBody, ConfigurationQuery, ConfigurationResponse, ValidateTokenBody, ValidateTokenResponse } from './schemas.ts';
import type { CheckoutService } from './service.ts';

const COMMON_ERRORS = ['InvalidApiVersion', 'ClientSessionValidationError', 'TooManyRequests'] as const;
const BODY_ERRORS = ['RequestValidationError', 'InvalidRequestBody', 'UnsupportedMediaType', 'PayloadTooLarge'] as const;

// Open to the internet and called with a token only: bodies far larger than a real call are refused
// before they are read. A checkout's actions are a few kilobytes; validate carries one JWT.
const ACTIONS_BODY_LIMIT = 64 * 1024;
const VALIDATE_BODY_LIMIT = 8 * 1024;

/** The access token the SDKs send in Primer-Client-Token. */
export const clientTokenHeader = (request: FastifyRequest): string | undefined => {
  const header = request.headers['primer-client-token'];
  return Array.isArray(header) ? header[0] : header;
};

/** Sends a body the service serialized already. */
const sendJson = (reply: FastifyReply, body: string) => reply.type('application/json; charset=utf-8').send(body);

export function checkoutRoutes(service: CheckoutService, pipeline: Pipeline) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const ctx = (request: FastifyRequest) => request.ctx as Context;

    // The web loader asks for `{configurationUrl}/?withDisplayMetadata=true`: the app ignores trailing slashes.
    app.get(
      '/client-sdk/configuration',
      {
        ...pipeline.sdk(),
        schema: {
          summary: 'Checkout configuration for the client SDKs',
          tags: ['Client SDK'],
          querystring: ConfigurationQuery,
          response: { 200: ConfigurationResponse, ...errorResponses(...COMMON_ERRORS, 'RequestValidationError') },
        },
      },
      async (request, reply) =>
        sendJson(reply, service.configuration(request.clientSession as StoredSession, request.query.withDisplayMetadata !== 'false')),
    );

    app.post(
      '/client-session/actions',
      {
        ...pipeline.sdk({ body: true, bodyLimit: ACTIONS_BODY_LIMIT }),
        schema: {
          summary: 'Apply checkout actions to the client session',
          tags: ['Client SDK'],
          body: ActionsBody,
          response: { 200: ConfigurationResponse, ...errorResponses(...COMMON_ERRORS, ...BODY_ERRORS) },
        },
      },
      async (request, reply) => sendJson(reply, await service.applyActions(ctx(request), clientTokenHeader(request), request.body.actions)),
    );

    app.post(
      '/client-token/validate',
      {
        ...pipeline.sdk({ body: true, bodyLimit: VALIDATE_BODY_LIMIT, token: 'optional' }),
        schema: {
          summary: 'Check that a client token is valid',
          tags: ['Client SDK'],
          body: ValidateTokenBody,
          response: { 200: ValidateTokenResponse, ...errorResponses(...COMMON_ERRORS, ...BODY_ERRORS) },
        },
      },
      async (request) => service.validate(ctx(request), request.body.clientToken),
    );

    app.get<{ Params: { file: string } }>(
      '/assets/icons/:file',
      {
        schema: {
          summary: 'A payment-method icon, served by Kassa itself (never from the internet)',
          tags: ['Client SDK'],
          params: Type.Object({ file: Type.String({ maxLength: 64 }) }),
          response: {
            200: { description: 'SVG image', content: { 'image/svg+xml': { schema: Type.String() } } },
            ...errorResponses('NotFound'),
          },
        },
      },
      async (request, reply) => {
        const match = /^([a-z-]+)\.svg$/.exec(request.params.file);
        const svg = match && Object.hasOwn(ICONS, match[1]!) ? ICONS[match[1]!] : undefined;
        if (svg === undefined) throw new KassaError('NotFound');
        return reply.type('image/svg+xml').header('Cache-Control', 'public, max-age=86400').send(svg);
      },
    );
  };
}
