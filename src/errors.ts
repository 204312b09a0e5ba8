// The one closed list of errors a client can see, each with its status and wording (docs/api.md,
// "Errors"). Nothing here knows HTTP: services, jobs and the webhook dispatcher throw KassaError, and
// the HTTP layer (http/envelope.ts) turns it into Primer's envelope. Adding an errorId without its
// status and wording does not compile.

export interface CatalogueEntry {
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
  BadRequest: {
    status: 400,
    description: 'The request is not valid HTTP or its path cannot be read.',
    recoverySuggestion: 'Check the request line, the headers and the percent-encoding of the path.',
  },
  RequestTimeout: {
    status: 408,
    description: 'The request was not received in time.',
    recoverySuggestion: 'Send the whole request, headers and body, without pauses.',
  },
  UriTooLong: {
    status: 414,
    description: 'A part of the request path is longer than any Kassa accepts.',
    recoverySuggestion: 'Check the path; ids and tokens in it are at most 100 characters.',
  },
  RequestHeaderFieldsTooLarge: {
    status: 431,
    description: 'The request headers are too large.',
    recoverySuggestion: 'Send smaller headers.',
  },
  Unauthorized: {
    status: 401,
    description: 'The API key is missing or not valid.',
    recoverySuggestion: 'Send a valid secret API key in the X-Api-Key header.',
  },
  Forbidden: {
    status: 403,
    description: 'The API key does not have the scope this operation needs.',
    recoverySuggestion: 'Use an API key with the scope this operation needs.',
  },
  NotFound: {
    status: 404,
    description: 'No route matches this method and path.',
    recoverySuggestion: 'Check the method and path against /docs.',
  },
  MethodNotAllowed: {
    status: 405,
    description: 'This path does not serve this method.',
    recoverySuggestion: 'Use one of the methods in the Allow header.',
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
  PaymentError: {
    status: 400,
    description: 'The payment could not be found',
    recoverySuggestion: 'Check the payment id, the payment method token or the resume token.',
  },
  PaymentNotFoundError: {
    status: 404,
    description: 'The payment could not be found',
    recoverySuggestion: 'Check the payment id.',
  },
  EntityNotFound: {
    status: 404,
    description: 'The payment could not be found',
    recoverySuggestion: 'Check the payment id.',
  },
  PayPalOrderNotApproved: {
    status: 400,
    description: 'The PayPal order or billing agreement is not one the payer approved in this client session.',
    recoverySuggestion: 'Open its approvalUrl and approve it, or create a new one.',
  },
  InvalidPaymentStatus: {
    status: 400,
    description: 'The payment is not in a status that allows this action.',
    recoverySuggestion: 'Read the payment and check its status.',
  },
  PaymentAlreadyAuthorized: {
    status: 400,
    description: 'The payment is already authorized.',
  },
  PaymentIsNotAuthorizedYet: {
    status: 400,
    description: 'The payment is not authorized yet.',
  },
  IncorrectPaymentAuthorizationType: {
    status: 400,
    description: 'Only a payment authorized with authorizationType ESTIMATED can be adjusted.',
  },
  MerchantAccountNotFound: {
    status: 400,
    description: 'No processor merchant account matches processorMerchantId and name.',
    recoverySuggestion: 'Use the processor of the sandbox settings.',
  },
  UnprocessableRefundAmount: {
    status: 422,
    description: 'The refund amount is more than can be refunded.',
  },
  PaymentAlreadyRefunded: {
    status: 409,
    description:
      'Nothing is left to refund: the amount captured (or the capture named by transactionEventId) has been refunded in full already.',
    recoverySuggestion: 'Read the payment: its refunds already add up to what was captured.',
  },
  RefundLimitExceeded: {
    status: 409,
    description: 'The payment has as many refunds as Kassa allows one payment.',
    recoverySuggestion: 'Refund the rest in one refund, or create a new payment.',
  },
  InvalidPaymentInstrumentToken: {
    status: 400,
    description: 'The payment method token is not valid.',
    recoverySuggestion: 'Check the token: it may be unknown, expired or deleted.',
  },
  ApplePayMerchantValidationUnavailable: {
    status: 400,
    description: "Apple Pay on the web needs a merchant session made by Apple's servers, which a local Kassa cannot make.",
    recoverySuggestion:
      'Test Apple Pay with the iOS SDK, or tokenize an Apple Pay payload directly (docs/payments.md, "Apple Pay and Google Pay").',
  },
  IdempotencyKeyAlreadyExists: {
    status: 409,
    description: 'A request with this idempotency key was already processed.',
    recoverySuggestion: 'Read the payment named by paymentId; use a new key for a new request.',
  },
  TransactionRequestIdempotencyKeyAlreadyExists: {
    status: 400,
    description: 'Transaction request already exists with this idempotency key.',
    recoverySuggestion: 'Read the payment named by paymentId; use a new key for a new request.',
  },
  SessionTokenLimitExceeded: {
    status: 409,
    description: 'This client session has made the most payment method tokens one session may make.',
    recoverySuggestion: 'Create a new client session.',
  },
  PaymentRequestLimitExceeded: {
    status: 409,
    description: 'Too many refused requests were made on this payment.',
    recoverySuggestion: 'Create a new payment.',
  },
  NoActionsToHandle: {
    status: 202,
    description: 'The payment has no action to resume: its asynchronous step is still running.',
    recoverySuggestion: 'Wait for the payment to change status.',
  },
  WebhookEndpointLimitExceeded: {
    status: 409,
    description: 'The merchant already has as many webhook endpoints as this server allows.',
    recoverySuggestion:
      'Delete an endpoint you no longer use (DELETE /kassa/webhook-endpoints/{id}), or ask the operator to raise KASSA_WEBHOOK_ENDPOINTS_MAX.',
  },
  InvalidClockAdvance: {
    status: 400,
    description: 'The sandbox clock only moves forward, by a whole number of seconds, and at most ten years in all.',
    recoverySuggestion: 'Send advanceSeconds as a whole number greater than 0 that keeps the total within ten years.',
  },
  InternalServerError: {
    status: 500,
    description: 'An unexpected error occurred.',
    recoverySuggestion: 'Retry later and quote the diagnosticsId if it persists.',
  },
  ServiceUnavailable: {
    status: 503,
    description: 'The storage cannot serve requests right now.',
    recoverySuggestion: 'Retry later.',
  },
  // The sandbox's faults (sandbox/faults/): the statuses a fault answers with that nothing else does, and its own refusals.
  BadGateway: {
    status: 502,
    description: 'An upstream service answered with an error.',
    recoverySuggestion: 'Retry later.',
  },
  GatewayTimeout: {
    status: 504,
    description: 'An upstream service did not answer in time.',
    recoverySuggestion: 'Retry later.',
  },
  UnknownOperation: {
    status: 400,
    description: 'No route of this server is this operation.',
    recoverySuggestion:
      'Name a method and a route template as the OpenAPI document (/openapi.json) spells them, e.g. "POST /payments" or "POST /payments/{id}/capture".',
  },
  FaultLimitExceeded: {
    status: 409,
    description: 'The merchant already has as many sandbox faults as Kassa allows.',
    recoverySuggestion: 'Delete faults you no longer need (DELETE /kassa/sandbox/faults).',
  },
  PaymentNotDisputable: {
    status: 409,
    description: 'Only a settled payment with an amount captured and not refunded can be disputed.',
    recoverySuggestion: 'Capture the payment first, then open the dispute.',
  },
  DisputeTransitionNotAllowed: {
    status: 409,
    description: 'The dispute cannot take this step from the one it is at.',
    recoverySuggestion: 'Send one of the steps the description lists (docs/sandbox.md, "Disputes and failure events").',
  },
  InvalidEventTrigger: {
    status: 400,
    description: 'This event cannot be triggered for this object.',
    recoverySuggestion: 'Name an event type Kassa sends and an object it is about (docs/sandbox.md, "Triggers").',
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

/** Thrown anywhere below the routes (services, stores, jobs); the HTTP layer turns it into the envelope. */
export class KassaError extends Error {
  readonly errorId: ErrorId;
  readonly status: number;
  readonly validationErrors?: ValidationErrorGroup[];
  readonly detail?: string;
  /** Why, for the operator's log at debug (which check refused a client token); never sent to the client. */
  readonly reason?: string;
  /** Replaces the catalogue's recoverySuggestion when the request says more (the scope a key lacks). */
  readonly recoverySuggestion?: string;
  /** When a retry makes sense: the HTTP layer sends it as Retry-After. */
  readonly retryAfterSeconds?: number;
  /** Fields Primer adds to some envelopes (a payment's id and status), written after the standard ones. */
  readonly extra?: Readonly<Record<string, string>>;

  constructor(
    errorId: ErrorId,
    options: {
      validationErrors?: ValidationErrorGroup[];
      detail?: string;
      recoverySuggestion?: string;
      reason?: string;
      retryAfterSeconds?: number;
      extra?: Record<string, string>;
    } = {},
  ) {
    super(errorId);
    this.errorId = errorId;
    this.status = ERROR_CATALOGUE[errorId].status;
    this.validationErrors = options.validationErrors;
    this.detail = options.detail;
    this.recoverySuggestion = options.recoverySuggestion;
    this.reason = options.reason;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.extra = options.extra;
  }
}

/** A 422 RequestValidationError for one or more field problems of one model. */
export function validationError(model: string, errors: FieldError[]): KassaError {
  return new KassaError('RequestValidationError', { validationErrors: [{ model, errors }] });
}
