// Every failure becomes Primer's envelope, with the request id as diagnosticsId (docs/api.md,
// "Errors"). A client mistake is never a 5xx; an unexpected fault is a 500 whose body never echoes
// the internal message. Services throw KassaError (errors.ts); this is where it becomes HTTP.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { ERROR_CATALOGUE, KassaError, type CatalogueEntry, type ErrorId } from '../errors.ts';
import { fieldErrors } from '../lib/ajv.ts';
import { AllowedMethods } from './allowed-methods.ts';

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      errorId: Type.String(),
      description: Type.String(),
      diagnosticsId: Type.String(),
      recoverySuggestion: Type.Optional(Type.String()),
      validationErrors: Type.Optional(
        Type.Array(
          Type.Object({
            model: Type.String(),
            errors: Type.Array(Type.Object({ path: Type.String(), description: Type.String() })),
          }),
        ),
      ),
    }),
  },
  { title: 'ErrorResponse' },
);
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

export function envelope(error: KassaError, diagnosticsId: string): ErrorEnvelope {
  const entry: CatalogueEntry = ERROR_CATALOGUE[error.errorId];
  const recoverySuggestion = error.recoverySuggestion ?? entry.recoverySuggestion;
  return {
    error: {
      errorId: error.errorId,
      description: error.detail ?? entry.description,
      diagnosticsId,
      ...(recoverySuggestion ? { recoverySuggestion } : {}),
      ...(error.validationErrors ? { validationErrors: error.validationErrors } : {}),
      ...error.extra,
    },
  };
}

/** The error responses a route can give, for its OpenAPI entry. */
export function errorResponses(...ids: ErrorId[]): Record<number, typeof ErrorEnvelope> {
  const byStatus = new Map<number, ErrorId[]>();
  for (const id of [...ids, 'InternalServerError' as const]) {
    const status = ERROR_CATALOGUE[id].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), id]);
  }
  const out: Record<number, typeof ErrorEnvelope> = {};
  // The description names the errorIds a status can carry; it is what the OpenAPI document shows.
  for (const [status, list] of byStatus) {
    const description = list.map((id) => `${id}: ${ERROR_CATALOGUE[id].description}`).join(' | ');
    out[status] = { ...ErrorEnvelope, description } as typeof ErrorEnvelope;
  }
  return out;
}

const FASTIFY_CODES: Record<string, ErrorId> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UnsupportedMediaType',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PayloadTooLarge',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'InvalidRequestBody',
  FST_ERR_CTP_INVALID_JSON_BODY: 'InvalidRequestBody',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'InvalidRequestBody',
  FST_ERR_CTP_INVALID_TYPE: 'UnsupportedMediaType',
  FST_ERR_NOT_FOUND: 'NotFound',
};

/** 413 naming the request's own limit (the SDK routes take far less than the default 1 MiB). */
function payloadTooLarge(request: FastifyRequest): KassaError {
  const limit = request.audienceBodyLimit ?? request.routeOptions.bodyLimit;
  if (!limit) return new KassaError('PayloadTooLarge');
  const size = limit % (1024 * 1024) === 0 ? `${limit / (1024 * 1024)} MiB` : limit % 1024 === 0 ? `${limit / 1024} KiB` : `${limit}-byte`;
  return new KassaError('PayloadTooLarge', { detail: `The request body is larger than the ${size} limit.` });
}

/** Recognises a storage outage in an error, for a 503 instead of a 500. */
export type UnavailableCheck = (error: unknown) => boolean;

export function toKassaError(error: FastifyError, request: FastifyRequest, isUnavailable: UnavailableCheck): KassaError {
  // An unknown route is a 404 even when its body could not be parsed.
  if (request.is404) return new KassaError('NotFound');
  if (error instanceof KassaError) return error;
  if (error.validation) {
    const context = error.validationContext ?? 'body';
    const schema = (request.routeOptions.schema as Record<string, { title?: string } | undefined> | undefined)?.[context];
    const model = schema?.title ?? context;
    return new KassaError('RequestValidationError', {
      validationErrors: [{ model, errors: fieldErrors(error.validation as never) }],
    });
  }
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped === 'PayloadTooLarge') return payloadTooLarge(request);
  if (mapped) return new KassaError(mapped);
  if (isUnavailable(error)) return new KassaError('ServiceUnavailable', { retryAfterSeconds: 1 });
  // The JSON parser's own failures (syntax, prototype poisoning) carry a 400.
  if (error instanceof SyntaxError || error.statusCode === 400) return new KassaError('InvalidRequestBody');
  if (error.statusCode === 413) return payloadTooLarge(request);
  if (error.statusCode === 415) return new KassaError('UnsupportedMediaType');
  if (error.statusCode === 404) return new KassaError('NotFound');
  return new KassaError('InternalServerError');
}

/** Sends `error` as the envelope. */
export function sendError(reply: FastifyReply, error: KassaError, requestId: string): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
  return reply
    .code(error.status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(envelope(error, requestId)));
}

export function installErrorHandling(
  app: FastifyInstance,
  isUnavailable: UnavailableCheck,
  /** Told when a request failed because the storage could not do its work (readiness then checks it). */
  onUnavailable: () => void = () => {},
): void {
  // Before any route is added: the hook sees every one of them, in every scope.
  const allowed = new AllowedMethods();
  app.addHook('onRoute', allowed.record);
  /** No route for this method and path: 405 with Allow when the path serves other methods, else 404. */
  const unrouted = (request: FastifyRequest, reply: FastifyReply): KassaError => {
    const methods = allowed.at(request.url.split('?')[0] ?? '');
    if (methods.length === 0) return new KassaError('NotFound');
    reply.header('Allow', methods.join(', '));
    return new KassaError('MethodNotAllowed', { detail: `${request.method} is not served here; ${methods.join(', ')} are.` });
  };
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    // An unrouted request whose body could not be parsed is answered for its route, not its body.
    const kassaError = request.is404 ? unrouted(request, reply) : toKassaError(error, request, isUnavailable);
    if (kassaError.errorId === 'ServiceUnavailable' && !(error instanceof KassaError)) onUnavailable();
    if (kassaError.status >= 500) {
      // Log the fault, never the request body or headers (they hold secrets and personal data).
      request.log.error({ err: error, errorId: kassaError.errorId, requestId: request.id }, 'request failed');
    } else if (kassaError.reason) {
      // The answer stays Primer's (it tells an attacker nothing); the operator can see why at debug.
      request.log.debug({ errorId: kassaError.errorId, requestId: request.id, reason: kassaError.reason }, 'request refused');
    }
    return sendError(reply, kassaError, request.id);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, unrouted(request, reply), request.id));
}
