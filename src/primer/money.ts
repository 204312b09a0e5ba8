// The money rules a session and a payment share (docs/api.md, "Money"). Pure. Sums are done in BigInt
// so a total past 2^53-1 is reported rather than silently rounded.
import type { FieldError } from '../errors.ts';

/** Largest amount Kassa accepts: JavaScript's safe integer range (docs/decisions.md, "Values"). */
export const MAX_AMOUNT = Number.MAX_SAFE_INTEGER;

/** The priced part of a line item, an order and whatever carries them (a session, a payment request). */
export interface PricedLine {
  amount: number;
  quantity?: number | undefined;
  discountAmount?: number | undefined;
  taxAmount?: number | undefined;
}
export interface PricedOrder {
  lineItems?: readonly PricedLine[] | undefined;
  shipping?: { amount?: number | undefined } | undefined;
  fees?: readonly { amount: number }[] | undefined;
}
export interface Priced {
  amount?: number | undefined;
  order?: PricedOrder | undefined;
}

/** amount*quantity − discountAmount + taxAmount, for the whole line (docs/api.md, "Money"). */
export function lineTotal(item: PricedLine): bigint {
  return BigInt(item.amount) * BigInt(item.quantity ?? 1) - BigInt(item.discountAmount ?? 0) + BigInt(item.taxAmount ?? 0);
}

/** Σ lines + shipping + Σ fees. */
export function orderTotal(order: PricedOrder): bigint {
  let total = 0n;
  for (const item of order.lineItems ?? []) total += lineTotal(item);
  total += BigInt(order.shipping?.amount ?? 0);
  for (const fee of order.fees ?? []) total += BigInt(fee.amount);
  return total;
}

function hasAmounts(order: PricedOrder | undefined): order is PricedOrder {
  return order !== undefined && (order.lineItems !== undefined || order.shipping !== undefined || order.fees !== undefined);
}

/**
 * The session's amount: the merchant's top-level `amount` when set (it wins, surcharges are not
 * applied), else the computed order total, else absent. Call `amountErrors` first: this assumes a
 * valid session.
 */
export function sessionAmount(session: Priced): number | undefined {
  if (session.amount !== undefined) return session.amount;
  if (!hasAmounts(session.order)) return undefined;
  return Number(orderTotal(session.order));
}

/** Money problems the schema cannot see: a negative line, a total past the safe range. */
export function amountErrors(session: Priced): FieldError[] {
  const errors: FieldError[] = [];
  const items = session.order?.lineItems ?? [];
  items.forEach((item, i) => {
    if (lineTotal(item) < 0n) {
      errors.push({
        path: `$.order.lineItems[${i}].discountAmount`,
        description: 'discountAmount must not exceed amount*quantity + taxAmount: a line total cannot be negative',
      });
    }
  });
  if (errors.length === 0 && session.amount === undefined && hasAmounts(session.order)) {
    const total = orderTotal(session.order);
    if (total > BigInt(MAX_AMOUNT)) {
      errors.push({
        path: '$.order',
        description: `The computed amount ${total} exceeds ${MAX_AMOUNT}, the largest amount Kassa accepts (JavaScript's safe integer range)`,
      });
    }
  }
  return errors;
}
