// PayPal (docs/payments.md, "PayPal"; spec §1): the helper calls the SDKs make on coreUrl (orders,
// billing agreements), Kassa's approval page in PayPal's place, and the tokenize step of a PayPal
// instrument in each SDK's spelling. The page's payer email chooses the payment's outcome, kept on the
// token as a flowDecision, so authorization answers at once as for Primer's test methods (spec §0.5:
// never a required action). Only what the answers show is kept: the payer the page made, no SDK-sent
// payer data, no shipping address.
import { KassaError, validationError, type FieldError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { newPayPalId, sha256 } from '../../lib/ids.ts';
import type { StoredSession } from '../../sessions/session.store.ts';
import type { Store } from '../../storage/store.ts';
import type { FlowDecision, MethodData, PayPalData } from '../model.ts';
import { isSafeReturnUrl } from './off-session.ts';
import type { ExternalPayerInfo, PayPalOrder } from './paypal.store.ts';
import type { MethodRegistry } from './registry.ts';

export const PAYPAL = 'PAYPAL';
/** The approval page's payer when the tester types none. */
export const DEFAULT_PAYER_EMAIL = 'payer@example.com';
/** Emails whose local part (before any +tag) chooses a payment's outcome on the approval page. */
const OUTCOME_BY_LOCAL_PART: Record<string, FlowDecision> = { decline: 'DECLINE', fail: 'FAIL' };

export interface PayPalDeps {
  store: Pick<Store, 'paypal'>;
  clock: Clock;
  publicUrl: string;
  methods: MethodRegistry;
}

/** Both SDK spellings of the create bodies (spec §1.1, §1.6): mobile camelCase, web snake_case. */
export interface CreateOrderInput {
  paymentMethodConfigId: string;
  amount: number;
  currencyCode: string;
  returnUrl?: string;
  cancelUrl?: string;
  return_url?: string;
  cancel_url?: string;
}
export interface CreateAgreementInput {
  paymentMethodConfigId: string;
  returnUrl?: string;
  cancelUrl?: string;
  return_url?: string;
  cancel_url?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The outcome a payer's email chooses: decline@… declines, fail@… fails, anything else authorizes. */
export function payerOutcome(email: string): FlowDecision {
  const local = email.slice(0, email.lastIndexOf('@')).split('+')[0]!.toLowerCase();
  return OUTCOME_BY_LOCAL_PART[local] ?? 'SUCCESS';
}

/** The payer Kassa's page makes of an email: PayPal's 13-character payer id, derived so one email is one payer. */
export function payerOf(email: string): ExternalPayerInfo {
  return {
    externalPayerId: sha256(email.toLowerCase())
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 13)
      .toUpperCase(),
    email,
    firstName: 'Sandbox',
    lastName: 'Payer',
  };
}

/** `url` with `query` appended (the page's return: ?token=…&PayerID=…, or ?ba_token=…). */
function withQuery(url: string, query: Record<string, string>): string {
  const hash = url.indexOf('#');
  const [base, fragment] = hash >= 0 ? [url.slice(0, hash), url.slice(hash)] : [url, ''];
  return `${base}${base.includes('?') ? '&' : '?'}${new URLSearchParams(query).toString()}${fragment}`;
}

/** A billing agreement's id, from its approval token (BA-x → B-x): nothing more to store. */
const agreementIdOf = (tokenId: string) => `B-${tokenId.slice(3)}`;
const tokenIdOf = (agreementId: string) => (agreementId.startsWith('B-') ? `BA-${agreementId.slice(2)}` : '');

const notApproved = (detail: string) => new KassaError('PayPalOrderNotApproved', { detail });

export class PayPalFlows {
  constructor(private readonly deps: PayPalDeps) {}

  /** The PAYPAL entry the SDK names, or a 422 on paymentMethodConfigId. */
  private configId(model: string, sent: string): string {
    const method = this.deps.methods.find(PAYPAL);
    if (method?.flow !== 'paypal' || method.configId !== sent) {
      throw validationError(model, [
        { path: '$.paymentMethodConfigId', description: 'Must be the id of the PAYPAL entry in the checkout configuration' },
      ]);
    }
    return method.configId;
  }

  private urls(model: string, input: CreateAgreementInput): { returnUrl?: string; cancelUrl?: string } {
    const problems: FieldError[] = [];
    const check = (field: string, url: string | undefined) => {
      if (url === undefined) return undefined;
      if (isSafeReturnUrl(url)) return url;
      problems.push({ path: `$.${field}`, description: 'Must be an absolute URL (an app scheme, http or https)' });
      return undefined;
    };
    const returnUrl = check(input.returnUrl !== undefined ? 'returnUrl' : 'return_url', input.returnUrl ?? input.return_url);
    const cancelUrl = check(input.cancelUrl !== undefined ? 'cancelUrl' : 'cancel_url', input.cancelUrl ?? input.cancel_url);
    if (problems.length > 0) throw validationError(model, problems);
    return { ...(returnUrl !== undefined ? { returnUrl } : {}), ...(cancelUrl !== undefined ? { cancelUrl } : {}) };
  }

  private async open(session: StoredSession, order: Omit<PayPalOrder, 'merchantId' | 'sessionId' | 'status' | 'createdAt' | 'expiresAt'>) {
    await this.deps.store.paypal.insert({
      ...order,
      merchantId: session.merchantId,
      sessionId: session.id,
      status: 'CREATED',
      createdAt: this.deps.clock(session.merchantId),
      expiresAt: session.expiresAt,
    });
    return `${this.deps.publicUrl.replace(/\/$/, '')}/kassa/sandbox/paypal/${order.id}`;
  }

  /** POST /paypal/orders/create (spec §1.1): an order for the amount the SDK names, approved on Kassa's page. */
  async createOrder(session: StoredSession, input: CreateOrderInput) {
    const model = 'PaypalCreateOrderRequest';
    const configId = this.configId(model, input.paymentMethodConfigId);
    const urls = this.urls(model, input);
    const orderId = newPayPalId('PAYPAL');
    const approvalUrl = await this.open(session, {
      id: orderId,
      kind: 'ORDER',
      configId,
      amount: input.amount,
      currencyCode: input.currencyCode,
      ...urls,
    });
    return { orderId, approvalUrl };
  }

  /** POST /paypal/billing-agreements/create-agreement (spec §1.6). */
  async createAgreement(session: StoredSession, input: CreateAgreementInput) {
    const model = 'PaypalCreateBillingAgreementRequest';
    const configId = this.configId(model, input.paymentMethodConfigId);
    const tokenId = newPayPalId('BA');
    const approvalUrl = await this.open(session, { id: tokenId, kind: 'AGREEMENT', configId, ...this.urls(model, input) });
    return { tokenId, approvalUrl };
  }

  /** The session's approved order or agreement, or PayPalOrderNotApproved (iOS asks even after a cancel, spec §1.4). */
  private async approved(
    session: StoredSession,
    id: string,
    kind: PayPalOrder['kind'],
  ): Promise<PayPalOrder & { payer: ExternalPayerInfo }> {
    const order = await this.deps.store.paypal.find(id);
    const what = kind === 'ORDER' ? 'PayPal order' : 'billing agreement';
    if (!order || order.kind !== kind || order.sessionId !== session.id || order.expiresAt <= this.deps.clock(session.merchantId)) {
      throw notApproved(`No ${what} ${id} was created in this client session.`);
    }
    if (order.status !== 'APPROVED' || !order.payer) throw notApproved(`The payer has not approved ${what} ${id} (it is ${order.status}).`);
    return order as PayPalOrder & { payer: ExternalPayerInfo };
  }

  /** POST /paypal/orders (spec §1.4): the approved order's payer. */
  async orderInfo(session: StoredSession, input: { paymentMethodConfigId: string; orderId: string }) {
    this.configId('PaypalOrderInfoRequest', input.paymentMethodConfigId);
    const order = await this.approved(session, input.orderId, 'ORDER');
    return { orderId: order.id, externalPayerInfo: order.payer };
  }

  /** POST /paypal/billing-agreements/confirm-agreement (spec §1.7): the agreement's id and payer. */
  async confirmAgreement(session: StoredSession, input: { paymentMethodConfigId: string; tokenId: string }) {
    this.configId('PaypalConfirmBillingAgreementRequest', input.paymentMethodConfigId);
    const agreement = await this.approved(session, input.tokenId, 'AGREEMENT');
    return { billingAgreementId: agreementIdOf(agreement.id), externalPayerInfo: agreement.payer };
  }

  /** The approval page's order, while it may still be decided or shown. */
  async page(id: string): Promise<PayPalOrder> {
    const order = await this.deps.store.paypal.find(id);
    if (!order || order.expiresAt <= this.deps.clock(order.merchantId)) throw notApproved('No PayPal approval is waiting here.');
    return order;
  }

  /**
   * The payer approves (with an email, which chooses the payment's outcome) or cancels; the first
   * choice is kept. Answers where the page sends the payer (spec §1.3), if the SDK gave a URL.
   */
  async decide(id: string, choice: 'APPROVE' | 'CANCEL', email: string | undefined): Promise<{ order: PayPalOrder; location?: string }> {
    await this.page(id);
    const payer = choice === 'APPROVE' ? payerOf(email ?? DEFAULT_PAYER_EMAIL) : undefined;
    const order = await this.deps.store.paypal.decide(id, choice === 'APPROVE' ? 'APPROVED' : 'CANCELLED', payer);
    if (!order) throw notApproved('No PayPal approval is waiting here.');
    if (order.status === 'CANCELLED') return order.cancelUrl !== undefined ? { order, location: order.cancelUrl } : { order };
    if (order.returnUrl === undefined || !order.payer) return { order };
    const query: Record<string, string> =
      order.kind === 'ORDER' ? { token: order.id, PayerID: order.payer.externalPayerId } : { ba_token: order.id };
    return { order, location: withQuery(order.returnUrl, query) };
  }
}

/** Whether a tokenize request's instrument is PayPal's (spec §1.5, §1.8), in any SDK's spelling. */
export const isPayPalInstrument = (input: unknown): boolean =>
  isRecord(input) &&
  (input.paypalOrderId !== undefined || input.paypal_order_id !== undefined || input.paypalBillingAgreementId !== undefined);

/**
 * A PayPal instrument, as iOS (both spellings), Android (snake_case inside camelCase keys) and web
 * (snake_case) send it: the order or agreement must be one this session's payer approved. The payer
 * shown is the one the page made; what the SDK echoes is checked for shape only.
 */
export async function readPayPalInstrument(
  deps: PayPalDeps,
  session: StoredSession,
  input: Record<string, unknown>,
): Promise<{ kind: 'ORDER' | 'AGREEMENT'; data: MethodData }> {
  const problems: FieldError[] = [];
  const path = (field: string) => `$.paymentInstrument.${field}`;
  const id = (field: string, max = 64): string | undefined => {
    const v = input[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^[A-Za-z0-9-]+$/.test(v) || v.length > max) {
      problems.push({ path: path(field), description: `Must be an id of 1 to ${max} letters, digits and dashes` });
      return undefined;
    }
    return v;
  };
  const orderField = input.paypalOrderId !== undefined ? 'paypalOrderId' : 'paypal_order_id';
  const orderId = id(orderField);
  const agreementId = id('paypalBillingAgreementId');
  for (const field of ['externalPayerInfo', 'external_payer_info', 'shippingAddress', 'shipping_address']) {
    if (input[field] !== undefined && !isRecord(input[field])) problems.push({ path: path(field), description: 'Must be an object' });
  }
  if (orderId !== undefined && agreementId !== undefined) {
    problems.push({ path: path('paypalBillingAgreementId'), description: 'Send an order or a billing agreement, not both' });
  }
  if (problems.length > 0) throw validationError('PaymentInstrument', problems);
  const method = deps.methods.find(PAYPAL);
  if (method?.flow !== 'paypal') {
    throw validationError('PaymentInstrument', [{ path: path(orderField), description: 'This checkout does not offer PAYPAL' }]);
  }
  const flows = new PayPalFlows(deps);
  let paypal: PayPalData;
  if (agreementId !== undefined) {
    const confirmed = await flows.confirmAgreement(session, { paymentMethodConfigId: method.configId, tokenId: tokenIdOf(agreementId) });
    paypal = { billingAgreementId: confirmed.billingAgreementId, externalPayerInfo: confirmed.externalPayerInfo };
  } else {
    const info = await flows.orderInfo(session, { paymentMethodConfigId: method.configId, orderId: orderId! });
    paypal = { orderId: info.orderId, externalPayerInfo: info.externalPayerInfo };
  }
  return {
    kind: agreementId !== undefined ? 'AGREEMENT' : 'ORDER',
    data: {
      paymentMethodType: PAYPAL,
      paymentMethodConfigId: method.configId,
      paypal,
      flowDecision: payerOutcome(paypal.externalPayerInfo.email),
    },
  };
}

/** The token's and the payment's data (spec §1.10): Primer's PayPalOrderTokenAPISchema or PayPalBillingAgreementAPISchema. */
export function payPalData(paypal: PayPalData) {
  return paypal.billingAgreementId !== undefined
    ? { paypalBillingAgreementId: paypal.billingAgreementId, externalPayerInfo: paypal.externalPayerInfo, paypalStatus: 'APPROVED' }
    : { paypalOrderId: paypal.orderId!, externalPayerInfo: paypal.externalPayerInfo, paypalStatus: 'APPROVED' };
}

export const payPalInstrumentType = (paypal: PayPalData) =>
  paypal.billingAgreementId !== undefined ? 'PAYPAL_BILLING_AGREEMENT' : 'PAYPAL_ORDER';
