// What PayPal's flows keep (docs/payments.md, "PayPal"): an order (checkout) or a billing agreement's
// approval token (vault), from its creation until it expires with its session; the approval page
// decides it once. Engines implement it in storage/<engine>/paypal.ts; nothing here knows SQL.
import type { Awaitable } from '../../lib/awaitable.ts';

/** Primer's PayPalExternalPayerInfoAPISchema: who approved, as Kassa's approval page made them. */
export interface ExternalPayerInfo {
  externalPayerId: string;
  email: string;
  firstName: string;
  lastName: string;
}

export type PayPalOrderStatus = 'CREATED' | 'APPROVED' | 'CANCELLED';

export interface PayPalOrder {
  /** The orderId (checkout) or the agreement's tokenId (vault): unguessable, it is the approval page's address. */
  id: string;
  kind: 'ORDER' | 'AGREEMENT';
  merchantId: string;
  sessionId: string;
  status: PayPalOrderStatus;
  /** The PAYPAL entry's id in the checkout configuration. */
  configId: string;
  /** Checkout: what the SDK asked to pay, shown on the page. */
  amount?: number;
  currencyCode?: string;
  /** Where the page sends the payer: the SDK's returnUrl and cancelUrl (checked as absolute, never a script). */
  returnUrl?: string;
  cancelUrl?: string;
  /** Once approved. */
  payer?: ExternalPayerInfo;
  createdAt: number;
  expiresAt: number;
}

export interface PayPalStore {
  insert(order: PayPalOrder): Promise<void>;
  find(id: string): Awaitable<PayPalOrder | undefined>;
  /** CREATED → `status` (with the payer when approved), once: answers the order as it is afterwards, or undefined when there is none. */
  decide(id: string, status: 'APPROVED' | 'CANCELLED', payer: ExternalPayerInfo | undefined): Promise<PayPalOrder | undefined>;
  /** Deletes orders expired before `before`, at most `limit`; answers how many. */
  purgeExpired(before: number, limit: number): Promise<number>;
  /** A sandbox reset (sandbox/reset): deletes every order of the merchant. */
  resetMerchant(merchantId: string): Promise<{ paypalOrders: number }>;
}
