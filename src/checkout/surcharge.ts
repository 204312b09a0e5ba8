// Surcharges (docs/sdk.md, "Actions"; docs/decisions.md, "Surcharges"): selecting a payment
// method sets one `SURCHARGE` fee in order.fees, which the computed amount then includes; unselecting
// removes it. With a top-level `amount` the merchant fixed the total, so no surcharge is applied.
// Pure. No extra state is stored: the fee itself is the record of the selection's surcharge.
import { applyPatch } from '../sessions/merge.ts';
import type { SessionData } from '../sessions/schemas.ts';

export const SURCHARGE_FEE_TYPE = 'SURCHARGE';

interface OptionShape {
  surcharge?: { amount?: number };
  networks?: Record<string, { surcharge?: { amount?: number } } | undefined>;
}

/**
 * The surcharge for paying with `type`; for cards, the network's surcharge when the card's network is
 * known and has one, else the method's own. Undefined when the session sets none.
 */
export function surchargeFor(session: SessionData, type: string, network?: string): number | undefined {
  const options = session.paymentMethod?.options as Record<string, OptionShape | undefined> | undefined;
  const option = options?.[type];
  if (!option) return undefined;
  if (type === 'PAYMENT_CARD' && network !== undefined) {
    const byNetwork = option.networks?.[network]?.surcharge?.amount;
    if (byNetwork !== undefined) return byNetwork;
  }
  return option.surcharge?.amount;
}

/**
 * The session with its SURCHARGE fee set to `amount`: added after the other fees, or replacing the
 * existing one in place; removed when `amount` is undefined or 0. Unchanged with a top-level amount.
 */
export function withSurchargeFee(session: SessionData, amount: number | undefined): SessionData {
  if (session.amount !== undefined) return session;
  const fees = session.order?.fees ?? [];
  const next: NonNullable<NonNullable<SessionData['order']>['fees']> = [];
  let placed = false;
  for (const fee of fees) {
    if (fee.type !== SURCHARGE_FEE_TYPE) next.push(fee);
    else if (!placed && amount) {
      next.push({ ...fee, amount });
      placed = true;
    }
  }
  if (!placed && amount) next.push({ amount, type: SURCHARGE_FEE_TYPE });
  if (next.length === fees.length && next.every((fee, i) => fee === fees[i])) return session;
  return applyPatch(session, { order: { fees: next.length > 0 ? next : null } });
}
