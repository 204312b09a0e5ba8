// Klarna (spec §2; docs/payments.md, "Klarna"): the helper calls the SDKs make before tokenizing
// (payment sessions, finalize, customer tokens) and the tokenize step of its two instruments. Kassa
// keeps no Klarna session: a session id is a nonce MAC'd with the client session's id, and sessionData
// is built from the client session's order and customer each time, so nothing sent is stored but what
// the payment shows. The outcome is chosen by the token's value (outcomeOfKlarnaToken).
import { randomBytes } from 'node:crypto';
import { KassaError, validationError, type FieldError } from '../../errors.ts';
import type { Sealer } from '../../lib/seal.ts';
import { lineTotal } from '../../primer/money.ts';
import type { StoredSession } from '../../sessions/session.store.ts';
import type { FlowDecision, KlarnaAddress, KlarnaSessionData, MethodData } from '../model.ts';
import type { MethodRegistry, PayableMethod } from './registry.ts';

export const KLARNA = 'KLARNA';
const SESSION_MAC = 'klarna-session';
const SESSION_TYPES = { ONE_OFF_PAYMENT: 'o', RECURRING_PAYMENT: 'r' } as const;
export type KlarnaSessionType = keyof typeof SESSION_TYPES;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The test value that chooses a Klarna payment's outcome: an authorization or customer token starting
 * with DECLINE declines, with FAIL fails, anything else (the SDKs' mock sends a random UUID) succeeds.
 */
export function outcomeOfKlarnaToken(token: string): FlowDecision {
  const upper = token.toUpperCase();
  if (upper.startsWith('DECLINE')) return 'DECLINE';
  if (upper.startsWith('FAIL')) return 'FAIL';
  return 'SUCCESS';
}

/** Whether a tokenize request's instrument is one of Klarna's (checkout or vault). */
export const isKlarna = (input: unknown): boolean =>
  isRecord(input) && (input.klarnaAuthorizationToken !== undefined || input.klarnaCustomerToken !== undefined);

function address(a: Record<string, unknown> | undefined, email: string | undefined, phone: string | undefined): KlarnaAddress {
  const out: KlarnaAddress = {};
  for (const key of ['firstName', 'lastName', 'addressLine1', 'addressLine2', 'city', 'state', 'countryCode', 'postalCode'] as const) {
    if (typeof a?.[key] === 'string') out[key] = a[key] as string;
  }
  if (email !== undefined) out.email = email;
  if (phone !== undefined) out.phoneNumber = phone;
  return out;
}

const otherLine = (type: string, name: string, amount: number): KlarnaSessionData['orderLines'][number] => ({
  type,
  name,
  quantity: 1,
  unit_price: amount,
  total_amount: amount,
  total_discount_amount: 0,
});

/** §2.7's sessionData, from the client session's order and customer (Primer's KlarnaSessionDetailsAPISchema). */
export function klarnaSessionData(session: StoredSession, sessionType: KlarnaSessionType, description?: string): KlarnaSessionData {
  const s = session.data;
  const customer = (s.customer ?? {}) as Record<string, unknown>;
  const email = typeof customer.emailAddress === 'string' ? customer.emailAddress : undefined;
  const phone = typeof customer.mobileNumber === 'string' ? customer.mobileNumber : undefined;
  const billing = address(customer.billingAddress as Record<string, unknown> | undefined, email, phone);
  const shipping = customer.shippingAddress ? address(customer.shippingAddress as Record<string, unknown>, email, phone) : undefined;
  const country = billing.countryCode ?? (s.order?.countryCode as string | undefined) ?? 'DE';
  const lines: KlarnaSessionData['orderLines'] = (s.order?.lineItems ?? []).map((item) => {
    const quantity = item.quantity ?? 1;
    const discount = item.discountAmount ?? 0;
    return {
      type: item.productType === 'DIGITAL' ? 'digital' : 'physical',
      name: item.description ?? item.name ?? item.itemId ?? 'item',
      quantity,
      ...(item.itemId !== undefined ? { reference: item.itemId } : {}),
      unit_price: item.amount,
      // Klarna's total includes the line's tax, as the session's amount does.
      total_amount: Number(lineTotal(item)),
      total_discount_amount: discount,
    };
  });
  // Shipping and fees are lines too (the SDKs add the surcharge as one, §2.1), so the lines add up to the session's amount.
  const delivery = s.order?.shipping;
  if (delivery?.amount !== undefined && delivery.amount > 0) {
    lines.push(otherLine('shipping_fee', delivery.methodName ?? 'shipping', delivery.amount));
  }
  for (const fee of s.order?.fees ?? []) {
    lines.push(otherLine('surcharge', fee.type === 'SURCHARGE' ? 'surcharge' : (fee.description ?? fee.type ?? 'fee'), fee.amount));
  }
  const orderAmount = lines.reduce((sum, l) => sum + l.total_amount, 0);
  const orderTaxAmount = (s.order?.lineItems ?? []).reduce((sum, item) => sum + (item.taxAmount ?? 0), 0);
  return {
    ...(sessionType === 'RECURRING_PAYMENT' ? { recurringDescription: description ?? 'Recurring payments' } : {}),
    purchaseCountry: country,
    purchaseCurrency: s.currencyCode ?? 'EUR',
    locale: `en-${country}`,
    orderAmount: sessionType === 'RECURRING_PAYMENT' ? 0 : orderAmount,
    orderTaxAmount: sessionType === 'RECURRING_PAYMENT' ? 0 : orderTaxAmount,
    orderLines: sessionType === 'RECURRING_PAYMENT' ? [] : lines,
    billingAddress: billing,
    ...(shipping ? { shippingAddress: shipping } : {}),
  };
}

export interface KlarnaDeps {
  sealer: Sealer;
  methods: MethodRegistry;
  publicUrl: string;
}

const CATEGORIES = [
  ['pay_later', 'Pay later.'],
  ['pay_over_time', 'Financing'],
  ['pay_now', 'Pay now.'],
] as const;

/** The Klarna helper calls (routes in klarna-routes.ts). */
export class Klarna {
  constructor(private readonly deps: KlarnaDeps) {}

  private method(configId: string, path: string): PayableMethod {
    const method = this.deps.methods.find(KLARNA);
    if (!method || method.configId !== configId) {
      throw validationError('KlarnaRequest', [{ path, description: "Must be the id of KLARNA's entry in the checkout configuration" }]);
    }
    return method;
  }

  private mac(session: StoredSession, nonce: string, type: string): string {
    return this.deps.sealer.derive(`${session.id}\0${nonce}\0${type}`, SESSION_MAC).slice(0, 32);
  }

  /** The session's type, if `sessionId` is one this client session created. */
  private sessionTypeOf(session: StoredSession, sessionId: string): KlarnaSessionType | undefined {
    const m = /^kps_([0-9a-f]{32})([or])([0-9a-f]{32})$/.exec(sessionId);
    if (!m) return undefined;
    const input = `${session.id}\0${m[1]}\0${m[2]}`;
    if (!this.deps.sealer.deriveAll(input, SESSION_MAC).some((hex) => hex.slice(0, 32) === m[3])) return undefined;
    return m[2] === 'o' ? 'ONE_OFF_PAYMENT' : 'RECURRING_PAYMENT';
  }

  private requireSession(session: StoredSession, sessionId: string, wanted?: KlarnaSessionType): KlarnaSessionType {
    const type = this.sessionTypeOf(session, sessionId);
    if (!type || (wanted && type !== wanted)) {
      throw new KassaError('PaymentError', { detail: 'No Klarna payment session of this client session has this sessionId.' });
    }
    return type;
  }

  /** POST /klarna/payment-sessions. */
  createSession(session: StoredSession, body: { paymentMethodConfigId: string; sessionType: KlarnaSessionType }) {
    this.method(body.paymentMethodConfigId, '$.paymentMethodConfigId');
    if (body.sessionType === 'ONE_OFF_PAYMENT' && (session.data.order?.lineItems ?? []).length === 0) {
      // iOS and Android refuse a session without line items before they call (§2.3); a direct call gets the same rule.
      throw validationError('KlarnaRequest', [
        { path: '$.sessionType', description: 'A ONE_OFF_PAYMENT needs order.lineItems on the client session' },
      ]);
    }
    const nonce = randomBytes(16).toString('hex');
    const t = SESSION_TYPES[body.sessionType];
    const icon = `${this.deps.publicUrl.replace(/\/$/, '')}/assets/icons/klarna.svg`;
    return {
      // Not a Klarna token: the Klarna SDK refuses it, which is why Kassa needs the SDKs' test mode (§2.4).
      clientToken: `kassa-klarna-test.${nonce}`,
      sessionId: `kps_${nonce}${t}${this.mac(session, nonce, t)}`,
      categories: CATEGORIES.map(([identifier, name]) => ({ identifier, name, descriptiveAssetUrl: icon, standardAssetUrl: icon })),
    };
  }

  /** POST /klarna/payment-sessions/finalize: the checkout session's sessionData. */
  finalize(session: StoredSession, body: { paymentMethodConfigId: string; sessionId: string }) {
    this.method(body.paymentMethodConfigId, '$.paymentMethodConfigId');
    const type = this.requireSession(session, body.sessionId);
    return { sessionData: klarnaSessionData(session, type) };
  }

  /** POST /klarna/customer-tokens: a recurring session's customer token; its value keeps the authorization token's test outcome. */
  customerToken(
    session: StoredSession,
    body: { paymentMethodConfigId: string; sessionId: string; authorizationToken: string; description?: string },
  ) {
    this.method(body.paymentMethodConfigId, '$.paymentMethodConfigId');
    this.requireSession(session, body.sessionId, 'RECURRING_PAYMENT');
    const outcome = outcomeOfKlarnaToken(body.authorizationToken);
    const prefix = outcome === 'SUCCESS' ? '' : `${outcome}-`;
    return {
      customerTokenId: `${prefix}kct_${randomBytes(16).toString('hex')}`,
      sessionData: klarnaSessionData(session, 'RECURRING_PAYMENT', body.description),
    };
  }
}

const MAX_TOKEN = 255;

/**
 * A Klarna instrument (§2.8) checked; its sessionData is Kassa's own, rebuilt from the client session
 * (the SDKs echo back what finalize gave): what was sent is checked for shape only, never kept.
 */
export function readKlarna(
  input: Record<string, unknown>,
  methods: MethodRegistry,
  session: StoredSession,
): { data: MethodData; vault: boolean } {
  const problems: FieldError[] = [];
  const method = methods.find(KLARNA);
  if (!method) problems.push({ path: '$.paymentInstrument', description: 'This checkout does not offer KLARNA' });
  const vault = input.klarnaCustomerToken !== undefined;
  const field = vault ? 'klarnaCustomerToken' : 'klarnaAuthorizationToken';
  const token = input[field];
  if (vault && input.klarnaAuthorizationToken !== undefined) {
    problems.push({ path: '$.paymentInstrument', description: 'Send klarnaAuthorizationToken or klarnaCustomerToken, not both' });
  }
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN || !/^[\x21-\x7e]+$/.test(token)) {
    problems.push({ path: `$.paymentInstrument.${field}`, description: `Must be a string of 1 to ${MAX_TOKEN} visible characters` });
  }
  if (!isRecord(input.sessionData)) problems.push({ path: '$.paymentInstrument.sessionData', description: 'Must be an object' });
  if (problems.length > 0 || !method || typeof token !== 'string') throw validationError('PaymentInstrument', problems);
  const sessionData = klarnaSessionData(session, vault ? 'RECURRING_PAYMENT' : 'ONE_OFF_PAYMENT');
  return {
    vault,
    data: {
      paymentMethodType: KLARNA,
      paymentMethodConfigId: method.configId,
      flowDecision: outcomeOfKlarnaToken(token),
      klarna: vault ? { klarnaCustomerToken: token, sessionData } : { klarnaAuthorizationToken: token, sessionData },
    },
  };
}
