// The payments routes the SDKs call (Primer-Client-Token; browser scope: CORS, docs/sdk.md): tokenize,
// the session customer's vault, 3DS and BIN lookups; and the three both audiences call (POST /payments,
// resume, GET /payment-instruments), where X-Api-Key picks the server's shape and body limit
// (eitherAudience). Thin: read the validated input, call the service, send the answer by its schema.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { KassaError, validationError } from '../errors.ts';
import { errorResponses } from '../http/envelope.ts';
import { eitherAudience, type Pipeline } from '../http/pipeline.ts';
import { refuseRepeats } from '../idempotency/policy.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import { binDataResponse, networksResponse } from './bin-lookup.ts';
import {
  ACTION_ERRORS,
  BODY,
  COMMON,
  callerOf,
  ctxOf,
  idempotencyKey,
  merchantOf,
  paymentAnswer,
  SDK_BODY_LIMIT,
  send,
  wantsEvents,
} from './http.ts';
import { VaultQuery, vaultList, vaultPaging } from './listing.ts';
import { renderInstrument, renderSdkPayment, renderVaulted } from './payment.ts';
import type { StoredPayment } from './payment.store.ts';
import {
  BinDataResponse,
  BinNetworksResponse,
  DeletedResponse,
  EitherPaymentResponse,
  EitherVaultedListResponse,
  InstrumentResponse,
  PaymentResponse,
  SdkPaymentResponse,
  SdkVaultedListResponse,
  ThreeDSAuthResponse,
  ThreeDSContinueResponse,
  VaultedListResponse,
} from './responses.ts';
import { CreatePaymentBody, ExchangeBody, PaymentIdParams, ResumeBody, ThreeDSContinueBody, TokenizeBody, TokenParams } from './schemas.ts';
import type { PaymentService } from './service.ts';

export function paymentSdkRoutes(service: PaymentService, pipeline: Pipeline) {
  const render = (request: FastifyRequest, payment: StoredPayment, events: boolean) => paymentAnswer(service, request, payment, events);
  return async function register(root: FastifyInstance): Promise<void> {
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
          pipeline.merchant({ scope: 'transactions:authorize', versioned: true, body: true, idempotency: refuseRepeats('create') }),
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
          pipeline.merchant({ scope: 'transactions:authorize', versioned: true, body: true, idempotency: refuseRepeats('resume') }),
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
}
