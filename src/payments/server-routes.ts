// The server's payments routes (X-Api-Key, docs/payments.md): the Payments API, the vault, and the
// sandbox helpers. Thin: read the validated input, call the service, send the answer by its schema.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { validationError } from '../errors.ts';
import { errorResponses } from '../http/envelope.ts';
import type { Pipeline } from '../http/pipeline.ts';
import { refuseRepeats } from '../idempotency/policy.ts';
import { isBefore } from '../primer/versions.ts';
import {
  ACTION_ERRORS,
  BODY,
  COMMON,
  ctxOf,
  expandedFields,
  idempotencyKey,
  merchantOf,
  paymentAnswer,
  send,
  wantsEvents,
} from './http.ts';
import { ListQuery } from './listing.ts';
import { renderVaulted } from './payment.ts';
import type { StoredPayment } from './payment.store.ts';
import { PaymentListResponse, PaymentResponse, SandboxThreeDSResponse, VaultedResponse } from './responses.ts';
import {
  AdjustBody,
  AuthorizeBody,
  CancelBody,
  CaptureBody,
  PaymentIdParams,
  RefundBody,
  SandboxRedirectBody,
  SandboxThreeDSBody,
  TokenParams,
  VaultBody,
} from './schemas.ts';
import type { PaymentService } from './service.ts';

/** `sandboxControls`: serve the /kassa/sandbox/payments/… drivers (off with KASSA_MODE=production). */
export function paymentServerRoutes(service: PaymentService, pipeline: Pipeline, sandboxControls = true) {
  const render = (request: FastifyRequest, payment: StoredPayment, events: boolean) => paymentAnswer(service, request, payment, events);
  return async function register(root: FastifyInstance): Promise<void> {
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
        if (request.query.expand !== undefined && isBefore(ctxOf(request).apiVersion, '2.4')) {
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
      async (request, reply) =>
        send(
          reply,
          PaymentListResponse,
          await service.search(merchantOf(request), request.query as Record<string, string | string[] | undefined>),
        ),
    );

    const action = <B>(
      path: string,
      name: 'authorize' | 'capture' | 'cancel' | 'refund' | 'adjust',
      scope: string,
      summary: string,
      body: { schema: unknown; optional?: boolean },
      errors: readonly Parameters<typeof errorResponses>[number][],
      run: (request: FastifyRequest<{ Params: { id: string }; Body: B }>) => Promise<StoredPayment>,
    ) =>
      app.post<{ Params: { id: string }; Body: B }>(
        path,
        {
          ...pipeline.merchant({ scope, versioned: true, body: body.optional ? 'optional' : true, idempotency: refuseRepeats(name) }),
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
      'authorize',
      'transactions:authorize',
      'Authorize a payment created with authorizeOnCreate off',
      { schema: AuthorizeBody },
      ['PaymentNotFoundError', 'PaymentAlreadyAuthorized', 'MerchantAccountNotFound'],
      (request) =>
        service.authorize(ctxOf(request), merchantOf(request), request.params.id, request.body.processor, idempotencyKey(request)),
    );
    action<{ amount?: number; final?: boolean; order?: { retailerCountryCode?: string }; metadata?: Record<string, unknown> }>(
      '/payments/:id/capture',
      'capture',
      'transactions:capture',
      'Capture a payment, in full or in part',
      { schema: CaptureBody, optional: true },
      ['PaymentRequestLimitExceeded'],
      (request) => service.capture(ctxOf(request), merchantOf(request), request.params.id, request.body, idempotencyKey(request)),
    );
    action<{ reason?: string }>(
      '/payments/:id/cancel',
      'cancel',
      'transactions:cancel',
      'Cancel a payment',
      { schema: CancelBody, optional: true },
      ['PaymentRequestLimitExceeded'],
      (request) => service.cancel(ctxOf(request), merchantOf(request), request.params.id, request.body.reason, idempotencyKey(request)),
    );
    action<{ amount?: number; orderId?: string; reason?: string; transactionEventId?: string }>(
      '/payments/:id/refund',
      'refund',
      'transactions:refund',
      'Refund a payment, in full or in part',
      { schema: RefundBody, optional: true },
      ['UnprocessableRefundAmount', 'PaymentAlreadyRefunded', 'RefundLimitExceeded', 'PaymentRequestLimitExceeded'],
      (request) => service.refund(ctxOf(request), merchantOf(request), request.params.id, request.body, idempotencyKey(request)),
    );
    action<{ amount: number }>(
      '/payments/:id/adjust-authorization',
      'adjust',
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

    if (!sandboxControls) return;
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
      '/kassa/sandbox/payments/:id/redirect',
      {
        ...pipeline.merchant({ scope: 'transactions:authorize', body: true }),
        schema: {
          summary: "Sandbox: choose for the shopper on a redirect method's page (COMPLETE, REJECT, CANCEL), and get the resume token",
          tags: ['Sandbox'],
          params: PaymentIdParams,
          body: SandboxRedirectBody,
          response: {
            200: SandboxThreeDSResponse,
            ...errorResponses(...COMMON, ...BODY, 'PaymentError', 'InvalidPaymentStatus'),
          },
        },
      },
      async (request) => service.sandboxRedirect(ctxOf(request), merchantOf(request), request.params.id, request.body.outcome),
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
}
