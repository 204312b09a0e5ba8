// The payments sandbox's domain types: a payment, its card, the outcome a test card asks for. Pure
// data; nothing here knows HTTP or SQL (docs/payments.md).
import type { CARD_NETWORKS } from '../primer/enums.ts';

export const PAYMENT_STATUSES = [
  'PENDING',
  'FAILED',
  'AUTHORIZED',
  'SETTLING',
  'PARTIALLY_SETTLED',
  'SETTLED',
  'DECLINED',
  'CANCELLED',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * A card's network: Primer's CardNetworkEnum (primer/enums.ts, what a session or a tokenize request
 * may name), and HIPERCARD, which Kassa's BIN table uses for Hipercard cards (filed under HIPER there).
 */
export type CardNetwork = (typeof CARD_NETWORKS)[number] | 'HIPERCARD';

/** Primer's BinDataAPISchema, as Kassa derives it from the card number. */
export interface BinData {
  network: CardNetwork;
  regionalRestriction: 'UNKNOWN' | 'DOMESTIC_USE_ONLY' | 'NONE';
  accountNumberType: 'PRIMARY_ACCOUNT_NUMBER' | 'NETWORK_TOKEN' | 'UNKNOWN';
  accountFundingType: 'CREDIT' | 'DEBIT' | 'PREPAID' | 'CHARGE' | 'DEFERRED_DEBIT' | 'UNKNOWN';
  prepaidReloadableIndicator: 'RELOADABLE' | 'NON_RELOADABLE' | 'NOT_APPLICABLE' | 'UNKNOWN';
  productUsageType: 'CONSUMER' | 'COMMERCIAL' | 'UNKNOWN';
  productCode: string;
  productName: string;
}

/**
 * What a token keeps of a card: never the number or the CVV. `paymentInstrumentData` /
 * `paymentMethodData` on the wire.
 */
export interface CardData {
  first6Digits: string;
  last4Digits: string;
  /** Two digits, "03". */
  expirationMonth: string;
  /** Four digits, "2030". */
  expirationYear: string;
  cardholderName?: string;
  /** Display name of the network the card is used on: "Visa", "Mastercard", "American Express", … */
  network: string;
  isNetworkTokenized: false;
  binData: BinData;
}

export type DeclineType = 'SOFT_DECLINE' | 'HARD_DECLINE';

/** Primer's TransactionDeclineReasonV2Enum: the `code` of an ISSUER_DECLINED status reason. */
export type DeclineCode =
  | 'ERROR'
  | 'INVALID_CARD_NUMBER'
  | 'EXPIRED_CARD'
  | 'LOST_OR_STOLEN_CARD'
  | 'SUSPECTED_FRAUD'
  | 'UNKNOWN'
  | 'DECLINED'
  | 'REFER_TO_CARD_ISSUER'
  | 'DO_NOT_HONOR'
  | 'INSUFFICIENT_FUNDS'
  | 'WITHDRAWAL_LIMIT_EXCEEDED'
  | 'ISSUER_TEMPORARILY_UNAVAILABLE'
  | 'AUTHENTICATION_REQUIRED';
/** Primer's AdvisedActionEnum. */
export type AdvisedAction = 'RETRY_LATER' | 'UPDATE_DATA' | 'DO_NOT_RETRY' | 'STOP_ALL_PAYMENTS';

/** Primer's StatusReasonAPISchema for a decline or a failure. */
export interface StatusReason {
  type: 'APPLICATION_ERROR' | 'GATEWAY_REJECTED' | 'ISSUER_DECLINED' | 'GATEWAY_TIMEOUT';
  declineType?: DeclineType;
  code?: string;
  message?: string;
  paymentMethodResultCode?: string;
  paymentMethodResultMessage?: string;
  advisedAction?: AdvisedAction;
}

/** How authorization ends for a card, once 3DS (if any) is past. */
export type AuthorizationOutcome =
  | { result: 'AUTHORIZED' }
  | { result: 'DECLINED'; reason: StatusReason }
  | { result: 'FAILED'; reason: StatusReason };

/**
 * Everything a test card decides (docs/payments.md, "Test cards"). Stored with the token as `scenario`
 * (its key), never with the number.
 */
export interface CardScenario {
  /** Stable name, stored with tokens: e.g. "success", "generic-decline", "3ds-challenge". */
  key: string;
  /** 3DS: none; frictionless with a result; or a challenge whose default result is given. */
  threeDS:
    | { kind: 'none' }
    | { kind: 'frictionless'; result: 'AUTH_SUCCESS' | 'AUTH_FAILED' }
    | { kind: 'challenge'; defaultResult: 'AUTH_SUCCESS' | 'AUTH_FAILED' };
  /** Authorization after 3DS passed (or was not needed). A failed 3DS always declines (AUTHENTICATION_REQUIRED). */
  authorization: AuthorizationOutcome;
  /** Authorization does not finish at once: the payment stays PENDING until a job (or the advance helper) runs it. */
  asyncAuthorization: boolean;
  /** Every capture goes through SETTLING before it settles. */
  asyncCapture: boolean;
  /** Every refund ends FAILED. */
  refundFails: boolean;
  /** Every capture, cancel or authorization adjustment fails at the processor: the payment stays as it was (failure-events.ts). */
  captureFails: boolean;
  cancelFails: boolean;
  adjustFails: boolean;
  /** The CVV check the processor reports when a CVV was given: MATCHED, or NOT_MATCHED for the CVV-decline card. */
  cvvResult: 'MATCHED' | 'NOT_MATCHED';
}

/** The shopper's choice on a redirect method's page (or the sandbox helper): docs/payments.md, "Redirect methods". */
export type RedirectOutcome = 'COMPLETE' | 'REJECT' | 'CANCEL';

/** The decision screen of Primer's test methods (PRIMER_TEST_*): sessionInfo.flowDecision. */
export type FlowDecision = 'SUCCESS' | 'DECLINE' | 'FAIL';

/**
 * What a token keeps of a non-card instrument (OFF_SESSION_PAYMENT): the method and what the SDK said
 * of its session, exactly what the tokenize answer shows (never browserInfo, which the answer does not).
 */
export interface MethodData {
  paymentMethodType: string;
  paymentMethodConfigId: string;
  sessionInfo?: { locale?: string; platform?: string; redirectionUrl?: string };
  /** PRIMER_TEST_* only: the outcome the tester chose in the SDK; KLARNA: the one its token's value chose; PAYPAL: the one the payer's email on the approval page chose. */
  flowDecision?: FlowDecision;
  /** APPLE_PAY and GOOGLE_PAY only: what the token answer shows of the wallet's card (methods/wallets.ts); never its payload. */
  wallet?: WalletData;
  /** KLARNA only (methods/klarna.ts): Primer's KlarnaPaymentSessionAPISchema or KlarnaCustomerTokenAPISchema. */
  klarna?:
    | { klarnaAuthorizationToken: string; sessionData: KlarnaSessionData }
    | { klarnaCustomerToken: string; sessionData: KlarnaSessionData };
  /** PAYPAL only: the approved order (checkout) or billing agreement (vault), and its payer. */
  paypal?: PayPalData;
}

/** A wallet's card as its payload tells it in clear: the network, and the last four digits Apple's display name gives. */
export interface WalletData {
  network: CardNetwork;
  last4Digits?: string;
  displayName?: string;
  accountFundingType?: 'CREDIT' | 'DEBIT' | 'PREPAID';
}

/** Primer's KlarnaAddressAPISchema. */
export interface KlarnaAddress {
  firstName?: string;
  lastName?: string;
  email?: string;
  phoneNumber?: string;
  addressLine1?: string;
  addressLine2?: string;
  city?: string;
  state?: string;
  countryCode?: string;
  postalCode?: string;
}

/** Klarna's sessionData (spec §2.7), as Primer's KlarnaSessionDetailsAPISchema requires it. */
export interface KlarnaSessionData {
  recurringDescription?: string;
  purchaseCountry: string;
  purchaseCurrency: string;
  locale: string;
  orderAmount: number;
  orderTaxAmount: number;
  orderLines: {
    type: string;
    name: string;
    quantity: number;
    reference?: string;
    unit_price: number;
    total_amount: number;
    total_discount_amount: number;
  }[];
  billingAddress: KlarnaAddress;
  shippingAddress?: KlarnaAddress;
}

/** What a PayPal token keeps (Primer's PayPalOrderTokenAPISchema / PayPalBillingAgreementAPISchema, spec §1.10). */
export interface PayPalData {
  orderId?: string;
  billingAgreementId?: string;
  externalPayerInfo: { externalPayerId: string; email: string; firstName: string; lastName: string };
}
