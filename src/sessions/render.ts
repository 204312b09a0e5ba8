// A stored session as Primer's response shape: computed amount, response defaults, empty fields
// omitted (decisions.md, wire format). Pure.
import { DEFAULT_CARD_NETWORKS } from './enums.ts';
import { sessionAmount } from './amount.ts';
import type { SessionData, SessionResponse } from './schemas.ts';

export function renderSession(session: SessionData): SessionResponse {
  const amount = sessionAmount(session);
  const pm = session.paymentMethod;
  return {
    ...(session.customerId !== undefined ? { customerId: session.customerId } : {}),
    ...(session.orderId !== undefined ? { orderId: session.orderId } : {}),
    ...(session.currencyCode !== undefined ? { currencyCode: session.currencyCode } : {}),
    ...(amount !== undefined ? { amount } : {}),
    ...(session.metadata !== undefined ? { metadata: session.metadata } : {}),
    ...(session.customer !== undefined ? { customer: session.customer } : {}),
    ...(session.order !== undefined ? { order: session.order } : {}),
    // Defaults Primer echoes once payment-method options exist (spec §3.7, example 10.2).
    ...(pm !== undefined
      ? {
          paymentMethod: {
            vaultOnSuccess: false,
            vaultOn3DS: false,
            ...pm,
            orderedAllowedCardNetworks: pm.orderedAllowedCardNetworks ?? [...DEFAULT_CARD_NETWORKS],
          },
        }
      : {}),
  };
}
