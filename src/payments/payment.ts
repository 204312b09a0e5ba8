// A payment as Kassa keeps it, and as it answers it: the server's PaymentAPIResponse, the SDKs' short
// shape, the list summary. Pure (docs/payments.md, "Payments API").
import { isBefore } from '../primer/versions.ts';
import { formatExpirationDate } from '../tokens/client-token.ts';
import { payPalData, payPalInstrumentType } from './methods/paypal.ts';
import type { CardData, MethodData, PaymentStatus, RedirectOutcome, StatusReason } from './model.ts';
import { walletInstrumentData } from './methods/wallets.ts';
import type { StoredPayment, StoredToken, TokenType } from './payment.store.ts';
import type { MachineState } from './status-machine.ts';
import type { DisputeRecord } from './disputes/machine.ts';

export type ThreeDSResult = 'AUTH_SUCCESS' | 'AUTH_FAILED';

export type ThreeDSecureAuthentication =
  | { responseCode: 'NOT_PERFORMED' }
  | { responseCode: 'AUTH_SUCCESS'; protocolVersion: string; challengeIssued: boolean }
  | { responseCode: 'AUTH_FAILED'; protocolVersion: string; challengeIssued: boolean; reasonCode: 'CARD_AUTHENTICATION_FAILED' };

export type TransactionEventType =
  | 'AUTHORIZATION_SUCCEEDED'
  | 'AUTHORIZATION_ADJUSTMENT_SUCCEEDED'
  | 'CAPTURE_SUCCEEDED'
  | 'CANCELLATION_SUCCEEDED';

export interface TransactionEvent {
  id: string;
  date: number;
  type: TransactionEventType;
  amount?: number;
  final?: boolean;
}

export interface Transaction {
  id: string;
  type: 'SALE' | 'REFUND';
  date: number;
  amount: number;
  currencyCode: string;
  orderId: string;
  status: PaymentStatus;
  statusReason?: StatusReason;
  reason?: string;
  events: TransactionEvent[];
}

/** The action a PENDING payment waits for (3DS, or a redirect method's page), while it is open. */
export interface OpenAction {
  name: '3DS_AUTHENTICATION' | 'PROCESSOR_3DS' | 'USE_PRIMER_SDK';
  /** A redirect method's action (USE_PRIMER_SDK): the shopper's choice once made; a resume token then exists. */
  redirect?: { outcome?: RedirectOutcome };
  description: string;
  /** The action's client token, sealed (lib/seal.ts): it is a credential, never kept in clear. */
  sealedClientToken: string;
  /** The 3DS result once the challenge is done (continue, the sandbox page or helper); a resume token then exists. */
  outcome?: ThreeDSResult;
  expiresAt: number;
}

export interface PaymentMethodOptions {
  paymentType?: string;
  authorizationType: 'FINAL' | 'ESTIMATED';
  descriptor?: string;
  vaultOnSuccess?: boolean;
  vaultOn3DS?: boolean;
  vaultOnAgreement?: boolean;
  firstPaymentReason?: string;
}

export interface PaymentData {
  orderId: string;
  currencyCode: string;
  order?: Record<string, unknown>;
  customerId?: string;
  customer?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  options: PaymentMethodOptions;
  /** The token shown on the payment (the new MULTI_USE one once vaultOnSuccess vaulted it). */
  paymentMethodToken: string;
  tokenType: TokenType;
  isVaulted: boolean;
  analyticsId: string;
  /** The card paid with; absent when a method was (`method`). */
  card?: CardData;
  method?: MethodData;
  /** The test card's scenario key (a method's payment: the plain success card's). */
  scenario: string;
  /** The processor's CVV check: the card's result when a CVV was given. */
  cvvCheck: 'MATCHED' | 'NOT_MATCHED' | 'NOT_PROVIDED';
  threeDS: ThreeDSecureAuthentication;
  processor: { name: string; processorMerchantId: string };
  machine: MachineState;
  statusReason?: StatusReason;
  transactions: Transaction[];
  action?: OpenAction;
  /** Opened and advanced by the sandbox (disputes/); never part of the Payments API's answer. */
  dispute?: DisputeRecord;
}

/** Primer's dates: UTC, no zone designator, microseconds. */
export const primerDate = (ms: number) => formatExpirationDate(ms);

/** What API versions before 2.4 call a GATEWAY_TIMEOUT (docs/payments.md, "Versions"). */
function reasonFor(reason: StatusReason | undefined, apiVersion: string): StatusReason | undefined {
  if (!reason) return undefined;
  if (reason.type === 'GATEWAY_TIMEOUT' && isBefore(apiVersion, '2.4')) return { ...reason, type: 'APPLICATION_ERROR' };
  return reason;
}

export interface RenderOptions {
  apiVersion: string;
  /** expand=transactions.events */
  events: boolean;
  /** Opens the sealed client token of an open action. */
  actionToken: (action: OpenAction) => string;
}

function renderTransaction(t: Transaction, data: PaymentData, options: RenderOptions) {
  const reason = reasonFor(t.statusReason, options.apiVersion);
  return {
    id: t.id,
    date: primerDate(t.date),
    amount: t.amount,
    currencyCode: t.currencyCode,
    orderId: t.orderId,
    transactionType: t.type === 'SALE' ? 'SALE' : 'REFUND',
    type: t.type,
    processorTransactionId: t.id,
    processorName: data.processor.name,
    processor: data.processor.name,
    processorMerchantId: data.processor.processorMerchantId,
    processorStatus: t.status,
    status: t.status,
    ...(reason ? { processorStatusReason: reason } : {}),
    ...(data.card ? { cardTokenType: 'CARD_PAN' } : {}),
    ...(t.reason !== undefined ? { reason: t.reason } : {}),
    ...(options.events
      ? {
          events: t.events.map((e) => ({
            id: e.id,
            date: primerDate(e.date),
            type: e.type,
            ...(e.amount !== undefined ? { amount: e.amount } : {}),
            ...(e.final !== undefined ? { final: e.final } : {}),
          })),
        }
      : {}),
  };
}

/**
 * A method's paymentMethodData where Primer's spec has a schema for it (spec §5.10: PAY_NL_IDEAL's
 * IdealPayNLTokenAPISchema); other methods have none, and show none.
 */
function methodData(method: MethodData): Record<string, unknown> | undefined {
  if (method.klarna) return method.klarna;
  if (method.paypal) return payPalData(method.paypal);
  return method.paymentMethodType === 'PAY_NL_IDEAL' ? { paymentMethodConfigId: method.paymentMethodConfigId } : undefined;
}

/** What the tokenize answer shows of a method (spec §5.3): its type, config id and session info. */
function methodInstrumentData(method: MethodData) {
  return {
    paymentMethodType: method.paymentMethodType,
    paymentMethodConfigId: method.paymentMethodConfigId,
    ...(method.sessionInfo ? { sessionInfo: method.sessionInfo } : {}),
  };
}

/** The server's PaymentAPIResponse. */
export function renderPayment(payment: StoredPayment, options: RenderOptions): Record<string, unknown> {
  const { data } = payment;
  const reason = reasonFor(data.statusReason, options.apiVersion);
  const paymentType =
    data.options.paymentType ??
    (isBefore(options.apiVersion, '2.4') ? (data.tokenType === 'MULTI_USE' ? 'UNSCHEDULED' : 'ECOMMERCE') : undefined);
  const shown = data.method ? methodData(data.method) : data.card;
  return {
    id: payment.id,
    date: primerDate(payment.createdAt),
    dateUpdated: primerDate(payment.updatedAt),
    status: payment.status,
    ...(data.card ? { cardTokenType: 'CARD_PAN' } : {}),
    orderId: data.orderId,
    currencyCode: data.currencyCode,
    amount: data.machine.amount,
    ...(data.order ? { order: data.order } : {}),
    ...(data.customerId !== undefined ? { customerId: data.customerId } : {}),
    ...(data.customer ? { customer: data.customer } : {}),
    ...(data.metadata ? { metadata: data.metadata } : {}),
    paymentMethod: {
      ...(data.options.descriptor !== undefined ? { descriptor: data.options.descriptor } : {}),
      ...(paymentType !== undefined ? { paymentType } : {}),
      paymentMethodToken: data.paymentMethodToken,
      isVaulted: data.isVaulted,
      analyticsId: data.analyticsId,
      paymentMethodType: data.method?.paymentMethodType ?? 'PAYMENT_CARD',
      ...(shown ? { paymentMethodData: shown } : {}),
      ...(data.card ? { threeDSecureAuthentication: data.threeDS } : {}),
      authorizationType: data.options.authorizationType,
    },
    processor: {
      name: data.processor.name,
      processorMerchantId: data.processor.processorMerchantId,
      amountCaptured: data.machine.amountCaptured,
      amountRefunded: data.machine.amountRefunded,
    },
    ...(data.action
      ? { requiredAction: { name: data.action.name, description: data.action.description, clientToken: options.actionToken(data.action) } }
      : {}),
    ...(reason && (payment.status === 'DECLINED' || payment.status === 'FAILED') ? { statusReason: reason } : {}),
    transactions: data.transactions.map((t) => renderTransaction(t, data, options)),
    ...(data.card ? { riskData: { cvvCheck: { source: 'PROCESSOR', result: data.cvvCheck } } } : {}),
  };
}

/** What the SDKs decode (docs/sdk.md, "Payments"): status is only PENDING, SUCCESS or FAILED. */
export function renderSdkPayment(payment: StoredPayment, actionToken: (action: OpenAction) => string): Record<string, unknown> {
  const { data } = payment;
  const base = {
    id: payment.id,
    date: primerDate(payment.createdAt),
    dateUpdated: primerDate(payment.updatedAt),
    orderId: data.orderId,
    currencyCode: data.currencyCode,
    amount: data.machine.amount,
    ...(data.customerId !== undefined ? { customerId: data.customerId } : {}),
  };
  switch (payment.status) {
    case 'AUTHORIZED':
    case 'SETTLING':
    case 'PARTIALLY_SETTLED':
    case 'SETTLED':
      return { ...base, status: 'SUCCESS' };
    case 'PENDING':
      if (data.action) {
        return {
          ...base,
          status: 'PENDING',
          requiredAction: { name: data.action.name, description: data.action.description, clientToken: actionToken(data.action) },
        };
      }
      return { ...base, status: 'PENDING', showSuccessCheckoutOnPendingPayment: true, checkoutOutcome: 'CHECKOUT_COMPLETE' };
    default:
      return { ...base, status: 'FAILED', paymentFailureReason: 'payment-failed' };
  }
}

/** One row of GET /payments. */
export function renderSummary(payment: StoredPayment): Record<string, unknown> {
  const { data } = payment;
  return {
    id: payment.id,
    date: primerDate(payment.createdAt),
    dateUpdated: primerDate(payment.updatedAt),
    status: payment.status,
    orderId: data.orderId,
    processor: { name: data.processor.name, processorMerchantId: data.processor.processorMerchantId },
    currencyCode: data.currencyCode,
    amount: data.machine.amount,
    ...(data.metadata ? { metadata: data.metadata } : {}),
  };
}

/** The SDK's tokenize answer (and the vault listing's rows, with `id` instead of `token`). */
export function renderInstrument(token: StoredToken, threeDS: ThreeDSecureAuthentication = { responseCode: 'NOT_PERFORMED' }) {
  const vaulted = token.tokenType === 'MULTI_USE' || token.sourceToken !== undefined;
  return {
    ...(token.tokenType === 'MULTI_USE' ? { id: token.vaultedId } : { token: token.token }),
    tokenType: token.tokenType,
    analyticsId: token.analyticsId,
    isVaulted: vaulted,
    ...(token.method?.wallet
      ? {
          paymentInstrumentType: token.method.paymentMethodType,
          paymentMethodType: token.method.paymentMethodType,
          paymentInstrumentData: walletInstrumentData(token.method.wallet),
        }
      : token.method?.paypal
        ? {
            paymentInstrumentType: payPalInstrumentType(token.method.paypal),
            paymentMethodType: token.method.paymentMethodType,
            paymentInstrumentData: payPalData(token.method.paypal),
          }
        : token.method?.klarna
          ? {
              paymentInstrumentType: 'klarnaCustomerToken' in token.method.klarna ? 'KLARNA_CUSTOMER_TOKEN' : 'KLARNA_AUTHORIZATION_TOKEN',
              paymentMethodType: token.method.paymentMethodType,
              paymentInstrumentData: token.method.klarna,
            }
          : token.method
            ? {
                paymentInstrumentType: 'OFF_SESSION_PAYMENT',
                paymentMethodType: token.method.paymentMethodType,
                paymentInstrumentData: methodInstrumentData(token.method),
              }
            : { paymentInstrumentType: 'PAYMENT_CARD', paymentMethodType: 'PAYMENT_CARD', paymentInstrumentData: token.card }),
    threeDSecureAuthentication: threeDS,
    ...(token.customerId !== undefined && vaulted ? { vaultData: { customerId: token.customerId } } : {}),
  };
}

/** The server's vault object (MerchantPaymentMethodTokenAPIResponse). */
export function renderVaulted(token: StoredToken) {
  return {
    createdAt: primerDate(token.createdAt),
    token: token.token,
    tokenType: 'MULTI_USE',
    analyticsId: token.analyticsId,
    paymentMethodType: token.method?.paymentMethodType ?? 'PAYMENT_CARD',
    paymentMethodData: token.method?.paypal ? payPalData(token.method.paypal) : (token.method?.klarna ?? token.card),
    customerId: token.customerId,
    default: token.isDefault,
    deleted: token.deletedAt !== undefined,
    ...(token.deletedAt !== undefined ? { deletedAt: primerDate(token.deletedAt) } : {}),
  };
}
