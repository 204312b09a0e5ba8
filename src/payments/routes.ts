// The payments sandbox's routes (docs/payments.md): the server's Payments API and vault (X-Api-Key),
// the SDKs' tokenize, vault, 3DS and BIN routes (Primer-Client-Token), and the three routes both call
// (POST /payments, resume, GET /payment-instruments), where X-Api-Key picks the server's shape and body
// limit (eitherAudience). Thin: read input, call the service, render. Answers are built by payment.ts
// and sent as JSON text.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { KassaError, validationError, type FieldError } from '../errors.ts';
import { errorResponses } from '../http/envelope.ts';
import { eitherAudience, type Pipeline } from '../http/pipeline.ts';
import type { Context } from '../lib/context.ts';
import { orderedSerializer } from '../lib/serialize.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import { binDataResponse, networksResponse } from './bin-lookup.ts';
import { PAYMENT_STATUSES, type PaymentStatus } from './model.ts';
import { renderInstrument, renderPayment, renderSdkPayment, renderSummary, renderVaulted } from './payment.ts';
import type { PaymentCursor, PaymentFilter, StoredPayment } from './payment.store.ts';
import {
  AdjustBody,
  AuthorizeBody,
  CancelBody,
  CaptureBody,
  CreatePaymentBody,
  ExchangeBody,
  PaymentIdParams,
  RefundBody,
  ResumeBody,
  SandboxThreeDSBody,
  ThreeDSContinueBody,
  TokenizeBody,
  TokenParams,
  VaultBody,
} from './schemas.ts';
import {
  BinDataResponse,
  BinNetworksResponse,
  DeletedResponse,
  EitherPaymentResponse,
  EitherVaultedListResponse,
  InstrumentResponse,
  PaymentListResponse,
  PaymentResponse,
  SandboxThreeDSResponse,
  SdkPaymentResponse,
  SdkVaultedListResponse,
  ThreeDSAuthResponse,
  ThreeDSContinueResponse,
  VaultedListResponse,
  VaultedResponse,
} from './responses.ts';
import { VAULT_PAGE_SIZE, type Caller, type PaymentService } from './service.ts';
import { parseVaultCursor, vaultCursorText, type VaultPage } from './vault.ts';

const COMMON = ['InvalidApiVersion', 'Unauthorized', 'Forbidden', 'TooManyRequests'] as const;
const BODY = ['RequestValidationError', 'InvalidRequestBody', 'UnsupportedMediaType', 'PayloadTooLarge'] as const;
const ACTION_ERRORS = ['PaymentError', 'InvalidPaymentStatus', 'IdempotencyKeyAlreadyExists', 'IdempotencyKeyInFlight'] as const;
/** Card data and small JSON bodies only: the SDK routes refuse anything bigger before reading it. */
const SDK_BODY_LIMIT = 8 * 1024;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const idempotencyKey = (request: FastifyRequest) => first(request.headers['x-idempotency-key']);
const ctxOf = (request: FastifyRequest) => request.ctx as Context;
const merchantOf = (request: FastifyRequest) => (request.ctx as Context & { merchantId: string }).merchantId;
/** The answer written by its schema's serializer, in the schema's order (lib/serialize.ts). */
const send = (reply: FastifyReply, schema: TSchema, body: unknown) =>
  reply.type('application/json; charset=utf-8').send(orderedSerializer(schema)(body));
/** Who called a route both audiences use: the SDK's session when the pipeline found one by its token. */
const callerOf = (request: FastifyRequest): Caller =>
  request.principal
    ? { merchantId: merchantOf(request) }
    : { merchantId: (request.clientSession as StoredSession).merchantId, session: request.clientSession as StoredSession };

/** The fields named by `expand`: a body's array, or a query's comma lists and repeats. Repeats count once. */
const expandedFields = (expand: unknown): string[] =>
  (Array.isArray(expand) ? expand : typeof expand === 'string' ? [expand] : [])
    .flatMap((v: unknown) => (typeof v === 'string' ? v.split(',') : []))
    .filter((v) => v !== '');
const wantsEvents = (expand: unknown) => expandedFields(expand).includes('transactions.events');

// GET /payments: every parameter, as Primer names it. Lists come as comma lists or repeats.
const LIST_PARAMS = [
  'status',
  'payment_method_type',
  'processor',
  'currency_code',
  'from_date',
  'to_date',
  'order_id',
  'min_amount',
  'max_amount',
  'customer_id',
  'merchant_id',
  'customer_email_address',
  /** Kassa's name before it took Primer's, kept as an alias. */
  'customer_email',
  'last_4_digits',
  'paypal_email',
  'klarna_email',
  'limit',
  'cursor',
] as const;

const ListQuery = Type.Object(
  Object.fromEntries(
    LIST_PARAMS.map((p) => [
      p,
      Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 100 })])),
    ]),
  ),
  { title: 'PaymentSearchQuery', additionalProperties: false },
);

function parseList(query: Record<string, string | string[] | undefined>): {
  filter: PaymentFilter;
  limit: number;
  cursor?: PaymentCursor;
  none: boolean;
} {
  const errors: FieldError[] = [];
  const list = (name: string) => {
    const raw = query[name];
    if (raw === undefined) return undefined;
    return (Array.isArray(raw) ? raw : [raw])
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v !== '');
  };
  const int = (name: string, min: number, max: number) => {
    const raw = first(query[name]);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      errors.push({ path: `$.${name}`, description: `Must be an integer from ${min} to ${max}.` });
      return undefined;
    }
    return Number(raw);
  };
  const date = (name: string) => {
    const raw = first(query[name]);
    if (raw === undefined) return undefined;
    const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(raw) || !raw.includes('T') ? raw : `${raw}Z`);
    if (Number.isNaN(ms)) {
      errors.push({ path: `$.${name}`, description: 'Must be a date (ISO 8601).' });
      return undefined;
    }
    return ms;
  };
  const status = list('status');
  const badStatus = status?.find((s) => !(PAYMENT_STATUSES as readonly string[]).includes(s));
  if (badStatus !== undefined) errors.push({ path: '$.status', description: `Must be one of ${PAYMENT_STATUSES.join(', ')}.` });
  const methodType = list('payment_method_type');
  const emailLists = [list('customer_email_address'), list('customer_email')].filter((l) => l !== undefined);
  const emails = emailLists.length > 0 ? emailLists.flat() : undefined;
  const filter: PaymentFilter = {
    ...(status ? { status: status as PaymentStatus[] } : {}),
    ...(list('currency_code') ? { currencyCode: list('currency_code')! } : {}),
    ...(first(query.order_id) !== undefined ? { orderId: first(query.order_id)! } : {}),
    ...(list('customer_id') ? { customerId: list('customer_id')! } : {}),
    ...(emails ? { customerEmail: emails } : {}),
    ...(list('last_4_digits') ? { last4: list('last_4_digits')! } : {}),
    ...(list('processor') ? { processor: list('processor')! } : {}),
    ...(list('merchant_id') ? { processorMerchantId: list('merchant_id')! } : {}),
  };
  const minAmount = int('min_amount', 0, Number.MAX_SAFE_INTEGER);
  const maxAmount = int('max_amount', 0, Number.MAX_SAFE_INTEGER);
  const fromDate = date('from_date');
  const toDate = date('to_date');
  if (minAmount !== undefined) filter.minAmount = minAmount;
  if (maxAmount !== undefined) filter.maxAmount = maxAmount;
  if (fromDate !== undefined) filter.fromDate = fromDate;
  if (toDate !== undefined) filter.toDate = toDate;
  const limit = int('limit', 1, 100) ?? 100;
  let cursor: PaymentCursor | undefined;
  const rawCursor = first(query.cursor);
  if (rawCursor !== undefined) {
    try {
      const parsed = JSON.parse(Buffer.from(rawCursor, 'base64url').toString('utf8')) as PaymentCursor;
      if (typeof parsed.createdAt !== 'number' || typeof parsed.id !== 'string' || typeof parsed.backwards !== 'boolean')
        throw new Error('shape');
      cursor = { createdAt: parsed.createdAt, id: parsed.id, backwards: parsed.backwards };
    } catch {
      errors.push({ path: '$.cursor', description: 'Not a cursor this API returned.' });
    }
  }
  if (errors.length > 0) throw validationError('PaymentSearchQuery', errors);
  // Kassa has card payments only, and no PayPal or Klarna accounts.
  const none =
    (methodType !== undefined && !methodType.includes('PAYMENT_CARD')) ||
    query.paypal_email !== undefined ||
    query.klarna_email !== undefined;
  return { filter, limit, ...(cursor ? { cursor } : {}), none };
}

// GET /payment-instruments: Primer's spec has no paging here; Kassa pages as GET /payments does (limit, cursor).
const VaultQuery = Type.Object(
  {
    // No minLength, as Primer's: an empty customer id has no saved methods (vaulting needs one).
    customer_id: Type.Optional(Type.String({ maxLength: 255 })),
    limit: Type.Optional(Type.String({ maxLength: 16, description: `1 to ${VAULT_PAGE_SIZE}; ${VAULT_PAGE_SIZE} when absent` })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'The nextCursor of the previous page' })),
  },
  { title: 'PaymentInstrumentsQuery' },
);

/** The page a vault list asks for: 422 for a limit outside 1..VAULT_PAGE_SIZE or a cursor this API did not make. */
function vaultPaging(query: { limit?: string; cursor?: string }) {
  const errors: FieldError[] = [];
  const limit = query.limit === undefined ? VAULT_PAGE_SIZE : /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : 0;
  if (limit < 1 || limit > VAULT_PAGE_SIZE)
    errors.push({ path: '$.limit', description: `Must be an integer from 1 to ${VAULT_PAGE_SIZE}.` });
  const after = query.cursor === undefined ? undefined : parseVaultCursor(query.cursor);
  if (query.cursor !== undefined && !after) errors.push({ path: '$.cursor', description: 'Not a cursor this API returned.' });
  if (errors.length > 0) throw validationError('PaymentInstrumentsQuery', errors);
  return { limit, ...(after ? { after } : {}) };
}

/** A vault page as the list answers it: `nextCursor` only when another page follows. */
const vaultList = (page: VaultPage, render: (t: VaultPage['saved'][number]) => unknown) => ({
  data: page.saved.map(render),
  ...(page.next ? { nextCursor: vaultCursorText(page.next) } : {}),
});

const cursorOf = (p: StoredPayment, backwards: boolean) =>
  Buffer.from(JSON.stringify({ createdAt: p.createdAt, id: p.id, backwards })).toString('base64url');

export function paymentRoutes(service: PaymentService, pipeline: Pipeline) {
  const render = (request: FastifyRequest, payment: StoredPayment, events: boolean) =>
    renderPayment(payment, { apiVersion: ctxOf(request).apiVersion, events, actionToken: service.actionToken });

  /** The server's routes (X-Api-Key). */
  const server = async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['Payments API'];

    app.get(
      '/payments/:id',
      {
        ...pipeline.merchant({ scope: 'transactions:retrieve', versioned: true }),
        schema: {
          summary: 'Get a payment',
          tags,
          params: PaymentIdParams,
          // Primer's Expand is an array: repeated (`?expand=a&expand=b`) or a comma list.
          querystring: Type.Object({
            expand: Type.Optional(
              Type.Union([Type.String({ maxLength: 2048 }), Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 100 })]),
            ),
          }),
          response: { 200: PaymentResponse, ...errorResponses(...COMMON, 'PaymentError', 'RequestValidationError') },
        },
      },
      async (request, reply) => {
        if (request.query.expand !== undefined && ctxOf(request).apiVersion < '2.4') {
          throw validationError('PaymentRequest', [{ path: '$.expand', description: 'expand was introduced in API version 2.4.' }]);
        }
        // Primer's Expand enum has one value, as the bodies' expand arrays do.
        if (expandedFields(request.query.expand).some((field) => field !== 'transactions.events')) {
          throw validationError('PaymentRequest', [{ path: '$.expand', description: 'The only field to expand is transactions.events.' }]);
        }
        const payment = await service.get(merchantOf(request), request.params.id);
        return send(reply, PaymentResponse, render(request, payment, wantsEvents(request.query.expand)));
      },
    );

    app.get(
      '/payments',
      {
        ...pipeline.merchant({ scope: 'transactions:retrieve', versioned: true }),
        schema: {
          summary: 'Search payments',
          tags,
          querystring: ListQuery,
          response: { 200: PaymentListResponse, ...errorResponses(...COMMON, 'RequestValidationError') },
        },
      },
      async (request, reply) => {
        const { filter, limit, cursor, none } = parseList(request.query as Record<string, string | string[] | undefined>);
        if (none) return send(reply, PaymentListResponse, { data: [] });
        // One more than asked: whether there is a next page.
        const rows = await service.list(merchantOf(request), filter, limit + 1, cursor);
        const backwards = cursor?.backwards ?? false;
        const more = rows.length > limit;
        const page = backwards ? rows.slice(rows.length > limit ? 1 : 0) : rows.slice(0, limit);
        const body: Record<string, unknown> = { data: page.map(renderSummary) };
        const last = page.at(-1);
        const firstRow = page[0];
        if (last && (backwards ? cursor !== undefined : more)) body.nextCursor = cursorOf(last, false);
        if (firstRow && (backwards ? more : cursor !== undefined)) body.prevCursor = cursorOf(firstRow, true);
        return send(reply, PaymentListResponse, body);
      },
    );

    const action = <B>(
      path: string,
      scope: string,
      summary: string,
      body: { schema: unknown; optional?: boolean },
      errors: readonly Parameters<typeof errorResponses>[number][],
      run: (request: FastifyRequest<{ Params: { id: string }; Body: B }>) => Promise<StoredPayment>,
    ) =>
      app.post<{ Params: { id: string }; Body: B }>(
        path,
        {
          ...pipeline.merchant({ scope, versioned: true, body: body.optional ? 'optional' : true }),
          schema: {
            summary,
            tags,
            params: PaymentIdParams,
            body: body.schema as never,
            response: { 200: PaymentResponse, ...errorResponses(...COMMON, ...BODY, ...ACTION_ERRORS, ...errors) },
          },
        },
        async (request, reply) =>
          send(
            reply,
            PaymentResponse,
            render(request, await run(request), wantsEvents((request.body as { expand?: unknown } | undefined)?.expand)),
          ),
      );

    action<{ processor: { processorMerchantId: string; name?: string } }>(
      '/payments/:id/authorize',
      'transactions:authorize',
      'Authorize a payment created with authorizeOnCreate off',
      { schema: AuthorizeBody },
      ['PaymentNotFoundError', 'PaymentAlreadyAuthorized', 'MerchantAccountNotFound'],
      (request) =>
        service.authorize(ctxOf(request), merchantOf(request), request.params.id, request.body.processor, idempotencyKey(request)),
    );
    action<{ amount?: number; final?: boolean; order?: { retailerCountryCode?: string }; metadata?: Record<string, unknown> }>(
      '/payments/:id/capture',
      'transactions:capture',
      'Capture a payment, in full or in part',
      { schema: CaptureBody, optional: true },
      ['PaymentRequestLimitExceeded'],
      (request) => service.capture(ctxOf(request), merchantOf(request), request.params.id, request.body, idempotencyKey(request)),
    );
    action<{ reason?: string }>(
      '/payments/:id/cancel',
      'transactions:cancel',
      'Cancel a payment',
      { schema: CancelBody, optional: true },
      ['PaymentRequestLimitExceeded'],
      (request) => service.cancel(ctxOf(request), merchantOf(request), request.params.id, request.body.reason, idempotencyKey(request)),
    );
    action<{ amount?: number; orderId?: string; reason?: string; transactionEventId?: string }>(
      '/payments/:id/refund',
      'transactions:refund',
      'Refund a payment, in full or in part',
      { schema: RefundBody, optional: true },
      ['UnprocessableRefundAmount', 'PaymentAlreadyRefunded', 'RefundLimitExceeded', 'PaymentRequestLimitExceeded'],
      (request) => service.refund(ctxOf(request), merchantOf(request), request.params.id, request.body, idempotencyKey(request)),
    );
    action<{ amount: number }>(
      '/payments/:id/adjust-authorization',
      'transactions:authorize',
      'Adjust the authorized amount of an ESTIMATED authorization',
      { schema: AdjustBody },
      ['EntityNotFound', 'PaymentIsNotAuthorizedYet', 'IncorrectPaymentAuthorizationType'],
      (request) => service.adjust(ctxOf(request), merchantOf(request), request.params.id, request.body.amount, idempotencyKey(request)),
    );

    // The vault (MULTI_USE tokens per customer).
    app.post(
      '/payment-instruments/:paymentMethodToken/vault',
      {
        ...pipeline.merchant({ scope: 'payment_instrument:write', versioned: true, body: true }),
        schema: {
          summary: 'Save a payment method for a customer',
          tags: ['Vault'],
          params: TokenParams,
          body: VaultBody,
          response: { 200: VaultedResponse, ...errorResponses(...COMMON, ...BODY, 'InvalidPaymentInstrumentToken') },
        },
      },
      async (request, reply) =>
        send(
          reply,
          VaultedResponse,
          renderVaulted(await service.vault(merchantOf(request), request.params.paymentMethodToken, request.body.customerId)),
        ),
    );
    app.delete(
      '/payment-instruments/:paymentMethodToken',
      {
        ...pipeline.merchant({ scope: 'payment_instrument:write', versioned: true }),
        schema: {
          summary: 'Delete a saved payment method',
          tags: ['Vault'],
          params: TokenParams,
          response: { 200: VaultedResponse, ...errorResponses(...COMMON, 'InvalidPaymentInstrumentToken') },
        },
      },
      async (request, reply) =>
        send(reply, VaultedResponse, renderVaulted(await service.deleteVaulted(merchantOf(request), request.params.paymentMethodToken))),
    );
    app.post(
      '/payment-instruments/:paymentMethodToken/default',
      {
        ...pipeline.merchant({ scope: 'payment_instrument:write', versioned: true }),
        schema: {
          summary: "Make a saved payment method the customer's default",
          tags: ['Vault'],
          params: TokenParams,
          response: { 200: VaultedResponse, ...errorResponses(...COMMON, 'InvalidPaymentInstrumentToken') },
        },
      },
      async (request, reply) =>
        send(reply, VaultedResponse, renderVaulted(await service.makeDefault(merchantOf(request), request.params.paymentMethodToken))),
    );

    // Sandbox helpers: finish 3DS or run an async step without an SDK or a wait.
    app.post(
      '/kassa/sandbox/payments/:id/3ds',
      {
        ...pipeline.merchant({ scope: 'transactions:authorize', body: true }),
        schema: {
          summary: 'Sandbox: set the 3DS outcome of a payment awaiting 3DS, and get its resume token',
          tags: ['Sandbox'],
          params: PaymentIdParams,
          body: SandboxThreeDSBody,
          response: {
            200: SandboxThreeDSResponse,
            ...errorResponses(...COMMON, ...BODY, 'PaymentError', 'InvalidPaymentStatus'),
          },
        },
      },
      async (request) => service.sandboxThreeDS(ctxOf(request), merchantOf(request), request.params.id, request.body.outcome),
    );
    app.post(
      '/kassa/sandbox/payments/:id/advance',
      {
        ...pipeline.merchant({ scope: 'transactions:authorize' }),
        schema: {
          summary: "Sandbox: run a payment's pending asynchronous step now",
          tags: ['Sandbox'],
          params: PaymentIdParams,
          response: { 200: PaymentResponse, ...errorResponses(...COMMON, 'PaymentError', 'InvalidPaymentStatus') },
        },
      },
      async (request, reply) =>
        send(reply, PaymentResponse, render(request, await service.advance(ctxOf(request), merchantOf(request), request.params.id), false)),
    );
  };

  /** The routes the SDKs call (browser scope: CORS), and those both audiences call. */
  const browser = async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['Client SDK'];
    const sdkErrors = ['InvalidApiVersion', 'ClientSessionValidationError', 'TooManyRequests'] as const;
    const session = (request: FastifyRequest) => request.clientSession as StoredSession;

    app.post(
      '/payment-instruments',
      {
        ...pipeline.sdk({ body: true, bodyLimit: SDK_BODY_LIMIT }),
        // The body holds a card number and a CVV: it is never logged (http/observability.ts logs no bodies).
        schema: {
          summary: 'Tokenize a card (SDK)',
          tags,
          body: TokenizeBody,
          response: { 200: InstrumentResponse, ...errorResponses(...sdkErrors, ...BODY, 'SessionTokenLimitExceeded') },
        },
      },
      async (request, reply) => send(reply, InstrumentResponse, await service.tokenize(session(request), request.body)),
    );

    app.get(
      '/payment-instruments',
      {
        ...eitherAudience(pipeline.merchant({ scope: 'payment_instrument:read', versioned: true }), pipeline.sdk()),
        schema: {
          summary: "A customer's saved payment methods (X-Api-Key: ?customer_id=; SDK: the session's customer)",
          tags: ['Vault'],
          querystring: VaultQuery,
          response: {
            200: EitherVaultedListResponse,
            ...errorResponses(...COMMON, 'ClientSessionValidationError', 'RequestValidationError'),
          },
        },
      },
      async (request, reply) => {
        const { limit, after } = vaultPaging(request.query);
        if (!request.principal)
          return send(
            reply,
            SdkVaultedListResponse,
            vaultList(await service.sdkVaulted(session(request), limit, after), (t) => renderInstrument(t)),
          );
        const customerId = request.query.customer_id;
        if (customerId === undefined) {
          throw validationError('PaymentInstrumentsQuery', [{ path: '$.customer_id', description: 'customer_id is required.' }]);
        }
        return send(
          reply,
          VaultedListResponse,
          vaultList(await service.vaulted(merchantOf(request), customerId, limit, after), renderVaulted),
        );
      },
    );

    app.delete(
      '/payment-instruments/:id/vault',
      {
        ...pipeline.sdk(),
        schema: {
          summary: 'Delete a saved payment method of the session customer (SDK)',
          tags,
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          response: {
            200: DeletedResponse,
            ...errorResponses(...sdkErrors, 'InvalidPaymentInstrumentToken'),
          },
        },
      },
      async (request) => service.sdkDeleteVaulted(session(request), request.params.id),
    );

    app.post(
      '/payment-instruments/:id/exchange',
      {
        ...pipeline.sdk({ body: true, bodyLimit: SDK_BODY_LIMIT }),
        schema: {
          summary: 'A single-use token for a saved payment method of the session customer (SDK)',
          tags,
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          body: ExchangeBody,
          response: {
            200: InstrumentResponse,
            ...errorResponses(...sdkErrors, ...BODY, 'InvalidPaymentInstrumentToken', 'SessionTokenLimitExceeded'),
          },
        },
      },
      async (request, reply) =>
        send(reply, InstrumentResponse, await service.exchange(session(request), request.params.id, request.body.cvv)),
    );

    app.post(
      '/payments',
      {
        ...eitherAudience(
          pipeline.merchant({ scope: 'transactions:authorize', versioned: true, body: true }),
          pipeline.sdk({ body: true, bodyLimit: SDK_BODY_LIMIT }),
        ),
        schema: {
          summary: 'Create a payment (X-Api-Key: the Payments API; Primer-Client-Token: the SDK shape)',
          tags,
          body: CreatePaymentBody,
          response: {
            200: EitherPaymentResponse,
            ...errorResponses(
              ...COMMON,
              ...BODY,
              'ClientSessionValidationError',
              'PaymentError',
              'MetadataContainsEmptyKey',
              'IdempotencyKeyAlreadyExists',
              'TransactionRequestIdempotencyKeyAlreadyExists',
              'IdempotencyKeyInFlight',
            ),
          },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const body = request.body as Parameters<PaymentService['create']>[2];
        if (caller.session && Object.keys(body).some((k) => k !== 'paymentMethodToken')) {
          // The SDK sends the token only: the session is the order.
          throw validationError('PaymentCreationAPIRequest', [{ path: '$', description: 'The SDK sends paymentMethodToken only.' }]);
        }
        const payment = await service.create(ctxOf(request), caller, body, idempotencyKey(request));
        if (caller.session) return send(reply, SdkPaymentResponse, renderSdkPayment(payment, service.actionToken));
        return send(reply, PaymentResponse, render(request, payment, wantsEvents((request.body as { expand?: unknown }).expand)));
      },
    );

    app.post(
      '/payments/:id/resume',
      {
        ...eitherAudience(
          pipeline.merchant({ scope: 'transactions:authorize', versioned: true, body: true }),
          pipeline.sdk({ body: true, bodyLimit: SDK_BODY_LIMIT }),
        ),
        schema: {
          summary: 'Resume a payment after its required action (3DS)',
          tags,
          params: PaymentIdParams,
          body: ResumeBody,
          response: {
            200: EitherPaymentResponse,
            ...errorResponses(...COMMON, ...BODY, 'ClientSessionValidationError', ...ACTION_ERRORS, 'NoActionsToHandle'),
          },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const payment = await service.resume(ctxOf(request), caller, request.params.id, request.body.resumeToken, idempotencyKey(request));
        if (caller.session) return send(reply, SdkPaymentResponse, renderSdkPayment(payment, service.actionToken));
        return send(reply, PaymentResponse, render(request, payment, false));
      },
    );

    app.post(
      '/3ds/:paymentMethodToken/continue',
      {
        ...pipeline.sdk({ body: true, bodyLimit: SDK_BODY_LIMIT }),
        schema: {
          summary: "Complete the sandbox's 3DS challenge for a payment awaiting it (SDK)",
          tags,
          params: TokenParams,
          body: ThreeDSContinueBody,
          response: {
            200: ThreeDSContinueResponse,
            ...errorResponses(...sdkErrors, ...BODY, 'PaymentError'),
          },
        },
      },
      async (request, reply) =>
        send(
          reply,
          ThreeDSContinueResponse,
          await service.continueThreeDS(ctxOf(request), session(request), request.params.paymentMethodToken),
        ),
    );

    app.post(
      '/3ds/:paymentMethodToken/auth',
      {
        ...pipeline.sdk({ bodyLimit: SDK_BODY_LIMIT }),
        schema: {
          summary: 'Not used: the configuration sends no 3DS keys (SDK)',
          tags,
          params: TokenParams,
          response: {
            200: ThreeDSAuthResponse,
            ...errorResponses(...sdkErrors, 'PaymentError'),
          },
        },
      },
      async () => {
        throw new KassaError('PaymentError', {
          detail: 'Kassa runs 3DS through /3ds/{token}/continue: the configuration sends no 3DS keys.',
        });
      },
    );

    const bin = Type.Object({ bin: Type.String({ maxLength: 19 }) });
    app.get(
      '/v1/bin-data/:bin/networks',
      {
        ...pipeline.sdk(),
        schema: {
          summary: 'The card networks of a BIN (Android SDK)',
          tags,
          params: bin,
          response: {
            200: BinNetworksResponse,
            ...errorResponses(...sdkErrors),
          },
        },
      },
      async (request, reply) => send(reply, BinNetworksResponse, networksResponse(request.params.bin)),
    );
    app.get(
      '/v1/bin-data/:bin',
      {
        ...pipeline.sdk(),
        schema: {
          summary: 'The BIN data of a BIN (iOS SDK)',
          tags,
          params: bin,
          response: {
            200: BinDataResponse,
            ...errorResponses(...sdkErrors),
          },
        },
      },
      async (request, reply) => send(reply, BinDataResponse, binDataResponse(request.params.bin)),
    );
  };

  return { server, browser };
}
