// Row -> payment objects, shared by both engines (same column names; BIGINT may arrive as a string
// from PostgreSQL, so timestamps and amounts go through Number).
import { capturableSince } from '../payments/authorization-validity.ts';
import type { PaymentData } from '../payments/payment.ts';
import type { PaymentEvent, PaymentJob, StoredPayment, StoredToken, TokenType } from '../payments/payment.store.ts';
import type { PaymentStatus } from '../payments/model.ts';

type Num = number | string;
const opt = (v: Num | null | undefined) => (v === null || v === undefined ? undefined : Number(v));

export interface TokenRow {
  token: string;
  merchant_id: string;
  token_type: string;
  session_id: string | null;
  customer_id: string | null;
  vaulted_id: string | null;
  source_token: string | null;
  is_default: Num;
  data: string;
  created_at: Num;
  expires_at: Num | null;
  used_at: Num | null;
  deleted_at: Num | null;
  fingerprint: string | null;
}

/** What a token row's `data` column holds: never a card number or CVV. */
export type TokenRowData = Pick<StoredToken, 'analyticsId' | 'card' | 'method' | 'scenario' | 'cvvGiven'>;

export const tokenData = (t: StoredToken): string =>
  JSON.stringify({
    analyticsId: t.analyticsId,
    ...(t.card ? { card: t.card } : {}),
    ...(t.method ? { method: t.method } : {}),
    scenario: t.scenario,
    cvvGiven: t.cvvGiven,
  } satisfies TokenRowData);

export function toToken(row: TokenRow): StoredToken {
  const data = JSON.parse(row.data) as TokenRowData;
  const expiresAt = opt(row.expires_at);
  const usedAt = opt(row.used_at);
  const deletedAt = opt(row.deleted_at);
  return {
    token: row.token,
    merchantId: row.merchant_id,
    tokenType: row.token_type as TokenType,
    ...(row.session_id !== null ? { sessionId: row.session_id } : {}),
    ...(row.customer_id !== null ? { customerId: row.customer_id } : {}),
    ...(row.vaulted_id !== null ? { vaultedId: row.vaulted_id } : {}),
    ...(row.source_token !== null ? { sourceToken: row.source_token } : {}),
    ...data,
    ...(row.fingerprint !== null ? { fingerprint: row.fingerprint } : {}),
    isDefault: Number(row.is_default) === 1,
    createdAt: Number(row.created_at),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(usedAt !== undefined ? { usedAt } : {}),
    ...(deletedAt !== undefined ? { deletedAt } : {}),
  };
}

export interface PaymentRow {
  id: string;
  merchant_id: string;
  session_id: string | null;
  token: string;
  status: string;
  version: number;
  created_at: Num;
  updated_at: Num;
  action_id: string | null;
  action_token_hash: string | null;
  failed_requests: Num;
  data: string;
}

export function toPayment(row: PaymentRow): StoredPayment {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    ...(row.session_id !== null ? { sessionId: row.session_id } : {}),
    token: row.token,
    status: row.status as PaymentStatus,
    version: Number(row.version),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    ...(row.action_id !== null ? { actionId: row.action_id } : {}),
    ...(row.action_token_hash !== null ? { actionTokenHash: row.action_token_hash } : {}),
    failedRequests: Number(row.failed_requests),
    data: JSON.parse(row.data) as PaymentData,
  };
}

/** The columns a payment is listed and filtered by, taken from its data. */
/** A payment as its row: the whole object in `data`, and the columns it is found and listed by. */
export function paymentRow(p: StoredPayment) {
  return {
    id: p.id,
    merchant_id: p.merchantId,
    session_id: p.sessionId ?? null,
    token: p.token,
    status: p.status,
    version: p.version,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    action_id: p.actionId ?? null,
    action_token_hash: p.actionTokenHash ?? null,
    authorized_at: capturableSince(p.data) ?? null,
    data: JSON.stringify(p.data),
    ...paymentColumns(p),
  };
}

function paymentColumns(p: StoredPayment) {
  const email = p.data.customer?.emailAddress;
  return {
    order_id: p.data.orderId,
    currency_code: p.data.currencyCode,
    amount: p.data.machine.amount,
    customer_id: p.data.customerId ?? null,
    customer_email: typeof email === 'string' ? email : null,
    // A method's payment has no card: no last four digits to filter by.
    last4: p.data.card?.last4Digits ?? '',
    processor: p.data.processor.name,
    processor_merchant_id: p.data.processor.processorMerchantId,
  };
}

export interface JobRow {
  id: string;
  merchant_id: string;
  payment_id: string;
  kind: string;
  run_at: Num;
}

export const toJob = (row: JobRow): PaymentJob => ({
  id: row.id,
  merchantId: row.merchant_id,
  paymentId: row.payment_id,
  kind: row.kind as PaymentJob['kind'],
  runAt: Number(row.run_at),
});

/** A payment whose authorization is past its validity (lapsedAuthorizations). */
export interface LapsedRow {
  id: string;
  merchant_id: string;
  authorized_at: Num;
}

/** Its expiry as a job with no row: the id names the payment, nothing is claimed, runAt is when it was authorized. */
export const lapsedJob = (row: LapsedRow): PaymentJob => ({
  id: `expire-authorization:${row.id}`,
  merchantId: row.merchant_id,
  paymentId: row.id,
  kind: 'expire-authorization',
  runAt: Number(row.authorized_at),
});

export interface EventRow {
  id: string;
  merchant_id: string;
  payment_id: string;
  type: string;
  status: string;
  version: Num;
  ordinal: Num;
  created_at: Num;
  request_id: string | null;
  idempotency_key: string | null;
  detail: string;
  triggered: Num;
}

export const toEvent = (row: EventRow): PaymentEvent => ({
  id: row.id,
  merchantId: row.merchant_id,
  paymentId: row.payment_id,
  type: row.type as PaymentEvent['type'],
  status: row.status as PaymentStatus,
  version: Number(row.version),
  ordinal: Number(row.ordinal),
  createdAt: Number(row.created_at),
  ...(row.request_id !== null ? { requestId: row.request_id } : {}),
  ...(row.idempotency_key !== null ? { idempotencyKey: row.idempotency_key } : {}),
  detail: JSON.parse(row.detail) as Record<string, unknown>,
  ...(Number(row.triggered) === 1 ? { triggered: true } : {}),
});
