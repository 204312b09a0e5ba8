// How long an authorization can be captured (KASSA_AUTHORIZATION_VALIDITY_SECONDS, 7 days by default),
// and what its expiry does (docs/payments.md, "Authorization validity"). Primer has no EXPIRED status:
// an expired authorization is one the issuer voided, so the payment ends CANCELLED, the SALE
// transaction's `reason` saying why. Measured on the payment's merchant's time, from the SALE's
// AUTHORIZATION_SUCCEEDED event; a later adjustment does not extend it. Pure, but for the error.
import { KassaError } from '../errors.ts';
import type { Draft } from './draft.ts';
import type { PaymentData } from './payment.ts';
import { cancel, isRefusal, refusal } from './status-machine.ts';

/** The SALE transaction's `reason` once its authorization expired. */
export const AUTHORIZATION_EXPIRED = 'AUTHORIZATION_EXPIRED';

/** When the payment was authorized (its SALE's AUTHORIZATION_SUCCEEDED), or undefined when it never was. */
function authorizedAt(data: PaymentData): number | undefined {
  const sale = data.transactions.find((t) => t.type === 'SALE');
  return sale?.events.find((e) => e.type === 'AUTHORIZATION_SUCCEEDED')?.date;
}

/** When the payment's authorization expires (ms), or undefined when it was never authorized. */
export function authorizationExpiresAt(data: PaymentData, validityMs: number): number | undefined {
  const at = authorizedAt(data);
  return at === undefined ? undefined : at + validityMs;
}

/** Whether the payment still holds an authorization that can be captured (AUTHORIZED, or PARTIALLY_SETTLED with capturing open). */
export const capturable = (data: PaymentData): boolean => refusal(data.machine, 'capture') === undefined;

/**
 * The payment row's `authorized_at`: when it was authorized, while something is left to capture. Its
 * expiry is no job row: the job runner finds these past the validity through that column's index (jobs.ts).
 */
export const capturableSince = (data: PaymentData): number | undefined => (capturable(data) ? authorizedAt(data) : undefined);

/**
 * A capture or adjustment of an authorization past its validity: refused with the reason and the
 * instant, before the job runner has cancelled the payment (it changes nothing).
 */
export function refuseIfExpired(draft: Draft, validityMs: number, action: 'captured' | 'adjusted'): void {
  const expiresAt = authorizationExpiresAt(draft.data, validityMs);
  if (expiresAt === undefined || draft.now < expiresAt) return;
  throw new KassaError('InvalidPaymentStatus', {
    detail: `The payment's authorization expired at ${new Date(expiresAt).toISOString()}, ${validityMs / 1000} seconds after it was made: it can no longer be ${action}.`,
    extra: { paymentId: draft.payment.id, paymentStatus: draft.payment.status },
  });
}

/**
 * The expiry: a payment still capturable past its validity is released as a cancel would (AUTHORIZED
 * becomes CANCELLED, a PARTIALLY_SETTLED one stops capturing); false when there is nothing to expire.
 */
export function expireAuthorization(draft: Draft, validityMs: number): boolean {
  const expiresAt = authorizationExpiresAt(draft.data, validityMs);
  if (!capturable(draft.data) || expiresAt === undefined || expiresAt > draft.now) return false;
  const next = cancel(draft.data.machine);
  if (isRefusal(next)) return false;
  draft.sale.reason = AUTHORIZATION_EXPIRED;
  draft.apply(next);
  return true;
}
