// Every failure becomes Primer's envelope (decisions.md, errors). A client mistake is never a 5xx;
// an unexpected fault is a 500 whose body never echoes the internal message.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, envelope, type ErrorId } from './errors.ts';
import { fieldErrors } from './validation.ts';

const FASTIFY_CODES: Record<string, ErrorId> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UnsupportedMediaType',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PayloadTooLarge',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'InvalidRequestBody',
  FST_ERR_CTP_INVALID_JSON_BODY: 'InvalidRequestBody',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'InvalidRequestBody',
  FST_ERR_CTP_INVALID_TYPE: 'UnsupportedMediaType',
  FST_ERR_NOT_FOUND: 'NotFound',
};

/** Hook for deployments to recognise storage outages (a 503, not a 500). */
export type UnavailableCheck = (error: unknown) => boolean;

export function toApiError(error: FastifyError, request: FastifyRequest, isUnavailable: UnavailableCheck): ApiError {
  if (error instanceof ApiError) return error;
  // An unknown route is a 404 even when its body could not be parsed.
  if (request.is404) return new ApiError('NotFound');
  if (error.validation) {
    const context = error.validationContext ?? 'body';
    const schema = (request.routeOptions.schema as Record<string, { title?: string } | undefined> | undefined)?.[context];
    const model = schema?.title ?? context;
    return new ApiError('RequestValidationError', {
      validationErrors: [{ model, errors: fieldErrors(error.validation as never) }],
    });
  }
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return new ApiError(mapped);
  if (isUnavailable(error)) return new ApiError('ServiceUnavailable');
  // The JSON parser's own failures (syntax, prototype poisoning) carry a 400.
  if (error instanceof SyntaxError || error.statusCode === 400) return new ApiError('InvalidRequestBody');
  if (error.statusCode === 413) return new ApiError('PayloadTooLarge');
  if (error.statusCode === 415) return new ApiError('UnsupportedMediaType');
  if (error.statusCode === 404) return new ApiError('NotFound');
  return new ApiError('InternalServerError');
}

export function installErrorHandling(app: FastifyInstance, isUnavailable: UnavailableCheck): void {
  app.setErrorHandler(async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const apiError = toApiError(error, request, isUnavailable);
    if (apiError.status >= 500) {
      // Log the fault, never the request body or headers (they hold secrets and personal data).
      request.log.error({ err: error, errorId: apiError.errorId }, 'request failed');
    }
    if (apiError.headers) reply.headers(apiError.headers);
    return reply.code(apiError.status).type('application/json').send(envelope(apiError, String(request.id)));
  });
  app.setNotFoundHandler(async (request, reply) => {
    return reply.code(404).type('application/json').send(envelope(new ApiError('NotFound'), String(request.id)));
  });
}
