// What the payments routes share: the errors they list, the caller and its keys, and the answer
// written by its schema (lib/serialize.ts), in the schema's order.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import type { Context } from '../lib/context.ts';
import { orderedSerializer } from '../lib/serialize.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import { renderPayment } from './payment.ts';
import type { StoredPayment } from './payment.store.ts';
import type { Caller, PaymentService } from './service.ts';

export const COMMON = ['InvalidApiVersion', 'Unauthorized', 'Forbidden', 'TooManyRequests'] as const;
export const BODY = ['RequestValidationError', 'InvalidRequestBody', 'UnsupportedMediaType', 'PayloadTooLarge'] as const;
export const ACTION_ERRORS = ['PaymentError', 'InvalidPaymentStatus', 'IdempotencyKeyAlreadyExists', 'IdempotencyKeyInFlight'] as const;
/** Card data and small JSON bodies only: the SDK routes refuse anything bigger before reading it. */
export const SDK_BODY_LIMIT = 8 * 1024;

/** The key the pipeline's idempotency step holds for this request (idempotency/requests.ts), if one was sent. */
export const idempotencyKey = (request: FastifyRequest) => request.ctx?.idempotency?.key;
export const ctxOf = (request: FastifyRequest) => request.ctx as Context;
export const merchantOf = (request: FastifyRequest) => (request.ctx as Context & { merchantId: string }).merchantId;
/** The answer written by its schema's serializer, in the schema's order (lib/serialize.ts). */
export const send = (reply: FastifyReply, schema: TSchema, body: unknown) =>
  reply.type('application/json; charset=utf-8').send(orderedSerializer(schema)(body));
/** Who called a route both audiences use: the SDK's session when the pipeline found one by its token. */
export const callerOf = (request: FastifyRequest): Caller =>
  request.principal
    ? { merchantId: merchantOf(request) }
    : { merchantId: (request.clientSession as StoredSession).merchantId, session: request.clientSession as StoredSession };

/** The fields named by `expand`: a body's array, or a query's comma lists and repeats. Repeats count once. */
export const expandedFields = (expand: unknown): string[] =>
  (Array.isArray(expand) ? expand : typeof expand === 'string' ? [expand] : [])
    .flatMap((v: unknown) => (typeof v === 'string' ? v.split(',') : []))
    .filter((v) => v !== '');
export const wantsEvents = (expand: unknown) => expandedFields(expand).includes('transactions.events');
/** The server's PaymentAPIResponse of `payment`, in the request's API version. */
export const paymentAnswer = (service: PaymentService, request: FastifyRequest, payment: StoredPayment, events: boolean) =>
  renderPayment(payment, { apiVersion: ctxOf(request).apiVersion, events, actionToken: service.actionToken });
