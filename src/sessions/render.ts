// A stored session as Primer's response shape: computed amount, response defaults, empty fields
// omitted (docs/decisions.md, "Wire format"). Pure.
import { DEFAULT_CARD_NETWORKS } from '../primer/enums.ts';
import { sessionAmount } from '../primer/money.ts';
import type { SessionData, SessionResponse } from './schemas.ts';

export function renderSession(session: SessionData): SessionResponse {
  // Plain assignments rather than conditional spreads: this runs on every response, and the spreads
  // cost microseconds per call (docs/performance.md).
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
    // Defaults Primer's responses carry whenever paymentMethod is present: the vault flags false and
    // the full network list, without PRIVATE_LABEL (docs/api.md, "Response defaults").
    out.paymentMethod = {
      vaultOnSuccess: false,
      vaultOn3DS: false,
      ...pm,
      orderedAllowedCardNetworks: pm.orderedAllowedCardNetworks ?? [...DEFAULT_CARD_NETWORKS],
    };
  }
  return out;
}
