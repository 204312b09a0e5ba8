// The one closed list of errors a client can see (decisions.md, errors), and Primer's envelope.
// Adding an errorId without its status and wording does not compile.
import { Type, type Static } from 'typebox';

interface CatalogueEntry {
  status: number;
  description: string;
  recoverySuggestion?: string;
}

export const ERROR_CATALOGUE = {
  RequestValidationError: {
    status: 422,
    description: 'We were unable to validate your request, please check your payload against /docs/api',
    recoverySuggestion: 'Fix the fields listed in validationErrors and send the request again.',
  },
  ClientSessionValidationError: {
    status: 400,
    description: 'The client token is invalid.',
    recoverySuggestion: 'Please provide a valid client token.',
  },
  MetadataContainsEmptyKey: {
    status: 400,
    description: 'Metadata field contains empty string key.',
    recoverySuggestion: 'Either remove empty string keys or provide non-empty string instead.',
  },
  InvalidRequestBody: {
    status: 400,
    description: 'The request body is not a valid JSON object.',
    recoverySuggestion: 'Send a JSON object encoded as UTF-8.',
  },
  InvalidApiVersion: {
    status: 400,
    description: 'The X-Api-Version header names an unsupported API version.',
    recoverySuggestion: 'Send X-Api-Version with one of: 2.1, 2.2, 2.3, 2.4.',
  },
  UnsupportedMediaType: {
    status: 415,
    description: 'The request body must be sent with Content-Type: application/json.',
    recoverySuggestion: 'Set the Content-Type header to application/json.',
  },
  PayloadTooLarge: {
    status: 413,
    description: 'The request body is larger than the 1 MiB limit.',
    recoverySuggestion: 'Send a smaller request body.',
  },
  Unauthorized: {
    status: 401,
    description: 'The API key is missing or not valid.',
    recoverySuggestion: 'Send a valid secret API key in the X-Api-Key header.',
  },
  Forbidden: {
    status: 403,
    description: 'The API key does not have the scope this operation needs.',
    recoverySuggestion: 'Use an API key with the client_tokens:write scope.',
  },
  NotFound: {
    status: 404,
    description: 'No route matches this method and path.',
    recoverySuggestion: 'Check the method and path against /docs.',
  },
  SessionNotFound: {
    status: 404,
    description: "No session with this id belongs to the API key's merchant.",
    recoverySuggestion: 'Check the session id; sessions are listed at GET /dashboard/api/sessions.',
  },
  IdempotencyKeyReused: {
    status: 422,
    description: 'This idempotency key was already used with a different request.',
    recoverySuggestion: 'Use a new idempotency key for a different request.',
  },
  IdempotencyKeyInFlight: {
    status: 409,
    description: 'A request with this idempotency key is still being processed.',
    recoverySuggestion: 'Retry after the time given in Retry-After.',
  },
  SessionVersionMismatch: {
    status: 412,
    description: 'The session was changed since the version named in If-Match.',
    recoverySuggestion: 'Read the session again and retry with its current ETag.',
  },
  TooManyRequests: {
    status: 429,
    description: 'Too many requests.',
    recoverySuggestion: 'Retry after the time given in Retry-After.',
  },
  InternalServerError: {
    status: 500,
    description: 'An unexpected error occurred.',
    recoverySuggestion: 'Retry later and quote the diagnosticsId if it persists.',
  },
  ServiceUnavailable: {
    status: 503,
    description: 'The storage is not reachable right now.',
    recoverySuggestion: 'Retry later.',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorId = keyof typeof ERROR_CATALOGUE;

export interface FieldError {
  path: string;
  description: string;
}

export interface ValidationErrorGroup {
  model: string;
  errors: FieldError[];
}

/** Thrown anywhere below the routes; the error handler turns it into the envelope. */
export class ApiError extends Error {
  readonly errorId: ErrorId;
  readonly status: number;
  readonly validationErrors?: ValidationErrorGroup[];
  readonly headers?: Record<string, string>;
  readonly detail?: string;

  constructor(
    errorId: ErrorId,
    options: { validationErrors?: ValidationErrorGroup[]; headers?: Record<string, string>; detail?: string } = {},
  ) {
    super(errorId);
    this.errorId = errorId;
    this.status = ERROR_CATALOGUE[errorId].status;
    this.validationErrors = options.validationErrors;
    this.headers = options.headers;
    this.detail = options.detail;
  }
}

/** A 422 RequestValidationError for one or more field problems of one model. */
export function validationError(model: string, errors: FieldError[]): ApiError {
  return new ApiError('RequestValidationError', { validationErrors: [{ model, errors }] });
}

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

export function envelope(error: ApiError, diagnosticsId: string): ErrorEnvelope {
  const entry: CatalogueEntry = ERROR_CATALOGUE[error.errorId];
  return {
    error: {
      errorId: error.errorId,
      description: error.detail ?? entry.description,
      diagnosticsId,
      ...(entry.recoverySuggestion ? { recoverySuggestion: entry.recoverySuggestion } : {}),
      ...(error.validationErrors ? { validationErrors: error.validationErrors } : {}),
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
