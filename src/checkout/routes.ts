// The routes Primer's client SDKs call with a client token (contract §2.3), and the icons the
// configuration points at. Thin: read input, call the service, return.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jsonObjectBody } from '../http/body-guards.ts';
import { ApiError, errorResponses } from '../http/errors.ts';
import { ICONS } from './icons.ts';
import { Type } from 'typebox';
import { ActionsBody, ConfigurationQuery, ConfigurationResponse, ValidateTokenBody, ValidateTokenResponse } from './schemas.ts';
import type { CheckoutService } from './service.ts';

const COMMON_ERRORS = ['InvalidApiVersion', 'ClientSessionValidationError'] as const;
const BODY_ERRORS = ['RequestValidationError', 'InvalidRequestBody', 'UnsupportedMediaType', 'PayloadTooLarge'] as const;

const clientToken = (request: FastifyRequest): string | undefined => {
  const header = request.headers['primer-client-token'];
  return Array.isArray(header) ? header[0] : header;
};

export function checkoutRoutes(service: CheckoutService) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const config = { versioned: true };

    // The web loader asks for `{configurationUrl}/?withDisplayMetadata=true`: the app ignores trailing slashes.
    app.get(
      '/client-sdk/configuration',
      {
        config,
        schema: {
          summary: 'Checkout configuration for the client SDKs',
          tags: ['Client SDK'],
          querystring: ConfigurationQuery,
          response: { 200: ConfigurationResponse, ...errorResponses(...COMMON_ERRORS, 'RequestValidationError') },
        },
      },
      async (request) => service.configuration(clientToken(request), request.query.withDisplayMetadata !== 'false'),
    );

    app.post(
      '/client-session/actions',
      {
        config,
        preValidation: jsonObjectBody,
        schema: {
          summary: 'Apply checkout actions to the client session',
          tags: ['Client SDK'],
          body: ActionsBody,
          response: { 200: ConfigurationResponse, ...errorResponses(...COMMON_ERRORS, ...BODY_ERRORS) },
        },
      },
      async (request) => service.applyActions(clientToken(request), request.body.actions),
    );

    app.post(
      '/client-token/validate',
      {
        config,
        preValidation: jsonObjectBody,
        schema: {
          summary: 'Check that a client token is valid',
          tags: ['Client SDK'],
          body: ValidateTokenBody,
          response: { 200: ValidateTokenResponse, ...errorResponses(...COMMON_ERRORS, ...BODY_ERRORS) },
        },
      },
      async (request) => service.validate(request.body.clientToken),
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
      if (svg === undefined) throw new ApiError('NotFound');
      return reply.type('image/svg+xml').header('Cache-Control', 'public, max-age=86400').send(svg);
      },
    );
  };
}
