// Warning rules, all in one pure module: the session's own and the payment methods' (docs/api.md, "Warnings").
// Warnings never block a request: they tell the merchant what a later step will miss.
import type { SessionData, Warning } from './schemas.ts';

/** A piece of data some step needs, by the JSON path the merchant sends it at. */
export interface Requirement {
  field: string;
  isMissing: (session: SessionData) => boolean;
}

export const REQUIREMENTS = {
  currencyCode: { field: '$.currencyCode', isMissing: (s) => s.currencyCode === undefined },
  orderId: { field: '$.orderId', isMissing: (s) => s.orderId === undefined },
  amountOrLineItems: {
    field: '$.amount or $.order.lineItems',
    isMissing: (s) => s.amount === undefined && (s.order?.lineItems ?? []).length === 0,
  },
  lineItems: { field: '$.order.lineItems', isMissing: (s) => (s.order?.lineItems ?? []).length === 0 },
  countryCode: { field: '$.order.countryCode', isMissing: (s) => s.order?.countryCode === undefined },
  customerEmail: { field: '$.customer.emailAddress', isMissing: (s) => s.customer?.emailAddress === undefined },
} as const satisfies Record<string, Requirement>;

/** What Primer recommends every merchant sends on create, though its schema requires none of it. */
export const SESSION_REQUIREMENTS: readonly Requirement[] = [
  REQUIREMENTS.currencyCode,
  REQUIREMENTS.orderId,
  REQUIREMENTS.amountOrLineItems,
];

/**
 * What each payment method needs before it can be paid with, keyed by payment-method type: the one
 * table behind the payment-method MISSING_DATA warnings (listed in the README). Klarna builds its
 * order from the line items and the shopper's e-mail; wallets need the merchant's country and the
 * currency for their payment sheets; PayPal and iDEAL need a currency to create the order.
 */
export const PAYMENT_METHOD_REQUIREMENTS: Readonly<Record<string, readonly Requirement[]>> = {
  KLARNA: [REQUIREMENTS.lineItems, REQUIREMENTS.countryCode, REQUIREMENTS.customerEmail, REQUIREMENTS.currencyCode],
  APPLE_PAY: [REQUIREMENTS.countryCode, REQUIREMENTS.currencyCode],
  GOOGLE_PAY: [REQUIREMENTS.countryCode, REQUIREMENTS.currencyCode],
  PAYPAL: [REQUIREMENTS.currencyCode],
  ADYEN_IDEAL: [REQUIREMENTS.currencyCode, REQUIREMENTS.countryCode],
};

export interface WarningContext {
  /** JSON paths of unknown nested fields that were dropped. */
  ignoredFields: readonly string[];
  /** Payment-method types the merchant offers in its checkout. */
  offeredPaymentMethods: readonly string[];
}

export function computeWarnings(session: SessionData, context: WarningContext): Warning[] {
  const warnings: Warning[] = [];
  for (const rule of SESSION_REQUIREMENTS) {
    if (rule.isMissing(session)) {
      warnings.push({
        type: 'CLIENT_SESSION',
        code: 'MISSING_DATA',
        message: `${rule.field} is missing: Primer asks for it when a session is created, and a payment cannot be made without it.`,
      });
    }
  }
  for (const method of context.offeredPaymentMethods) {
    for (const rule of PAYMENT_METHOD_REQUIREMENTS[method] ?? []) {
      if (rule.isMissing(session)) {
        warnings.push({ type: method, code: 'MISSING_DATA', message: `${method} needs ${rule.field}, which is missing.` });
      }
    }
  }
  for (const path of context.ignoredFields) {
    warnings.push({ type: 'REQUEST', code: 'UNKNOWN_FIELD_IGNORED', message: `${path} was ignored` });
  }
  return warnings;
}
