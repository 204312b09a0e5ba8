// A stored session as Primer's response shape: computed amount, response defaults, empty fields
// omitted (decisions.md, wire format). Pure.
import { DEFAULT_CARD_NETWORKS } from './enums.ts';
import { sessionAmount } from './amount.ts';
import type { SessionData, SessionResponse } from './schemas.ts';

export function renderSession(session: SessionData): SessionResponse {
  // Plain assignments rather than conditional spreads: this runs on every response (issue 6).
  const out: SessionResponse = {};
  if (session.customerId !== undefined) out.customerId = session.customerId;
  if (session.orderId !== undefined) out.orderId = session.orderId;
  if (session.currencyCode !== undefined) out.currencyCode = session.currencyCode;
  const amount = sessionAmount(session);
  if (amount !== undefined) out.amount = amount;
  if (session.metadata !== undefined) out.metadata = session.metadata;
  if (session.customer !== undefined) out.customer = session.customer;
  if (session.order !== undefined) out.order = session.order;
  const pm = session.paymentMethod;
  if (pm !== undefined) {
    // Defaults Primer echoes once payment-method options exist (spec §3.7, example 10.2).
    out.paymentMethod = {
      vaultOnSuccess: false,
      vaultOn3DS: false,
      ...pm,
      orderedAllowedCardNetworks: pm.orderedAllowedCardNetworks ?? [...DEFAULT_CARD_NETWORKS],
    };
  }
  return out;
}
