// The shapes of the payments routes' answers, written once each: the OpenAPI document shows them and
// fast-json-stringify writes them (lib/serialize.ts), in the order declared here, which is the order
// payment.ts builds them. Titles are Primer's schema names (primer-openapi-v2.4.yml).
import { Type, type TSchema } from 'typebox';
import { withoutRequired } from '../lib/serialize.ts';
import { Customer, Metadata, Order } from '../primer/schemas.ts';

const Str = (description?: string) => Type.String(description ? { description } : {});
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema);
const When = Str('UTC, no zone designator, microseconds');

/** Primer's answers echo the order and customer as sent: the request schemas, with nothing required. */
const echoed = <T extends TSchema>(schema: T): T => withoutRequired(schema);

export const StatusReason = Type.Object(
  {
    type: Str('APPLICATION_ERROR, GATEWAY_REJECTED, ISSUER_DECLINED or GATEWAY_TIMEOUT (2.4)'),
    declineType: Opt(Str()),
    code: Opt(Str()),
    message: Opt(Str()),
    paymentMethodResultCode: Opt(Str()),
    paymentMethodResultMessage: Opt(Str()),
    advisedAction: Opt(Str()),
  },
  { title: 'StatusReasonAPISchema' },
);

const BinData = Type.Object(
  {
    network: Str(),
    regionalRestriction: Str(),
    accountNumberType: Str(),
    accountFundingType: Str(),
    prepaidReloadableIndicator: Str(),
    productUsageType: Str(),
    productCode: Str(),
    productName: Str(),
  },
  { title: 'BinDataAPISchema' },
);

/** What a token keeps of a card: never its number or CVV. */
export const CardData = Type.Object(
  {
    first6Digits: Str(),
    last4Digits: Str(),
    expirationMonth: Str(),
    expirationYear: Str(),
    cardholderName: Opt(Str()),
    network: Str(),
    isNetworkTokenized: Type.Boolean(),
    binData: BinData,
  },
  { title: 'PaymentCardTokenAPISchema' },
);

/** A redirect or test method's token data (spec §5.3): Android builds the action's expected intent from paymentMethodType. */
export const OffSessionData = Type.Object(
  {
    paymentMethodType: Str(),
    paymentMethodConfigId: Str(),
    sessionInfo: Opt(
      Type.Object({ locale: Opt(Str()), platform: Opt(Str()), redirectionUrl: Opt(Str()) }, { title: 'OffSessionSessionInfo' }),
    ),
  },
  // Closed, and first in its unions: answers are serialized without `required` (lib/serialize.ts), so a card must fail this branch.
  { title: 'OffSessionPaymentTokenData', additionalProperties: false },
);

/** An APPLE_PAY or GOOGLE_PAY token's data: card-like, Kassa's choice where the contract is unverified (spec §3.6, §4.4). */
export const WalletTokenData = Type.Object(
  {
    last4Digits: Opt(Str("When the wallet shows them (Apple Pay's display name)")),
    network: Str(),
    displayName: Opt(Str()),
    accountFundingType: Opt(Str('CREDIT, DEBIT or PREPAID')),
    isNetworkTokenized: Type.Boolean(),
  },
  // Closed, and before the card in its union, for the reason OffSessionData is.
  { title: 'WalletTokenData', additionalProperties: false },
);

const KlarnaAddress = Type.Object(
  {
    firstName: Opt(Str()),
    lastName: Opt(Str()),
    email: Opt(Str()),
    phoneNumber: Opt(Str()),
    addressLine1: Opt(Str()),
    addressLine2: Opt(Str()),
    city: Opt(Str()),
    state: Opt(Str()),
    countryCode: Opt(Str()),
    postalCode: Opt(Str()),
  },
  { title: 'KlarnaAddressAPISchema' },
);
const KlarnaOrderLine = Type.Object(
  {
    type: Str(),
    name: Str(),
    quantity: Type.Integer(),
    reference: Opt(Str()),
    unit_price: Type.Integer(),
    total_amount: Type.Integer(),
    total_discount_amount: Type.Integer(),
  },
  { title: 'KlarnaOrderLine' },
);
/** Klarna's sessionData (spec §2.7), built from the client session (payments/methods/klarna.ts). */
export const KlarnaSessionData = Type.Object(
  {
    recurringDescription: Opt(Str()),
    purchaseCountry: Str(),
    purchaseCurrency: Str(),
    locale: Str(),
    orderAmount: Type.Integer(),
    orderTaxAmount: Type.Integer(),
    orderLines: Type.Array(KlarnaOrderLine),
    billingAddress: KlarnaAddress,
    shippingAddress: Opt(KlarnaAddress),
  },
  { title: 'KlarnaSessionDetailsAPISchema' },
);
// Closed, like OffSessionData, so a union picks them only for Klarna's data.
const KlarnaPaymentSessionData = Type.Object(
  { klarnaAuthorizationToken: Str(), sessionData: KlarnaSessionData },
  { title: 'KlarnaPaymentSessionAPISchema', additionalProperties: false },
);
const KlarnaCustomerTokenData = Type.Object(
  { klarnaCustomerToken: Str(), sessionData: KlarnaSessionData },
  { title: 'KlarnaCustomerTokenAPISchema', additionalProperties: false },
);

/** Primer's PayPalExternalPayerInfoAPISchema. */
const PayPalPayer = Type.Object(
  { externalPayerId: Opt(Str()), email: Opt(Str()), firstName: Opt(Str()), lastName: Opt(Str()) },
  { title: 'PayPalExternalPayerInfoAPISchema' },
);
/** A PayPal order's data (spec §1.10). Closed, ahead of CardData in its unions (see OffSessionData). */
export const PayPalOrderData = Type.Object(
  { paypalOrderId: Str(), externalPayerInfo: Opt(PayPalPayer), paypalStatus: Opt(Str()) },
  { title: 'PayPalOrderTokenAPISchema', additionalProperties: false },
);
/** A PayPal billing agreement's data (spec §1.10). */
export const PayPalAgreementData = Type.Object(
  { paypalBillingAgreementId: Str(), externalPayerInfo: Opt(PayPalPayer), paypalStatus: Opt(Str()) },
  { title: 'PayPalBillingAgreementAPISchema', additionalProperties: false },
);

/** PAY_NL_IDEAL's paymentMethodData, the one redirect method Primer's spec has a schema for. */
const IdealPayNLData = Type.Object({ paymentMethodConfigId: Str() }, { title: 'IdealPayNLTokenAPISchema', additionalProperties: false });

export const ThreeDSecureAuthentication = Type.Object(
  {
    responseCode: Str('NOT_PERFORMED, AUTH_SUCCESS or AUTH_FAILED'),
    protocolVersion: Opt(Str()),
    challengeIssued: Opt(Type.Boolean()),
    reasonCode: Opt(Str()),
  },
  { title: 'ThreeDSecureAuthResponseAPISchema' },
);

const RequiredAction = Type.Object(
  { name: Str('3DS_AUTHENTICATION, PROCESSOR_3DS or USE_PRIMER_SDK (a redirect method)'), description: Str(), clientToken: Str() },
  { title: 'PaymentRequiredActionAPISchema' },
);

const TransactionEvent = Type.Object(
  { id: Str(), date: When, type: Str(), amount: Opt(Type.Integer()), final: Opt(Type.Boolean()) },
  { title: 'TransactionEventAPISchema' },
);

const Transaction = Type.Object(
  {
    id: Str(),
    date: When,
    amount: Type.Integer(),
    currencyCode: Str(),
    orderId: Str(),
    transactionType: Str('SALE or REFUND'),
    type: Str('SALE or REFUND'),
    processorTransactionId: Str(),
    processorName: Str(),
    processor: Str(),
    processorMerchantId: Str(),
    processorStatus: Str(),
    status: Str(),
    processorStatusReason: Opt(StatusReason),
    cardTokenType: Opt(Str('Cards only')),
    reason: Opt(Str()),
    events: Opt(Type.Array(TransactionEvent, { description: 'With expand=transactions.events (2.4)' })),
  },
  { title: 'TransactionOverviewAPISchema' },
);

/** The server's payment: GET /payments/{id}, creation and every action. */
export const PaymentResponse = Type.Object(
  {
    id: Str(),
    date: When,
    dateUpdated: When,
    status: Str(),
    cardTokenType: Opt(Str('Cards only')),
    orderId: Str(),
    currencyCode: Str(),
    amount: Type.Integer(),
    order: Opt(echoed(Order)),
    customerId: Opt(Str()),
    customer: Opt(echoed(Customer)),
    metadata: Opt(Metadata),
    paymentMethod: Type.Object(
      {
        descriptor: Opt(Str()),
        paymentType: Opt(Str()),
        paymentMethodToken: Str(),
        isVaulted: Type.Boolean(),
        analyticsId: Str(),
        paymentMethodType: Str('PAYMENT_CARD, or the method paid with (ADYEN_IDEAL, PRIMER_TEST_PAYPAL, …)'),
        paymentMethodData: Opt(
          Type.Union([IdealPayNLData, PayPalOrderData, PayPalAgreementData, KlarnaPaymentSessionData, KlarnaCustomerTokenData, CardData]),
        ),
        threeDSecureAuthentication: Opt(ThreeDSecureAuthentication),
        authorizationType: Str('FINAL or ESTIMATED'),
      },
      { title: 'PaymentResponsePaymentMethodOptionsAPISchema' },
    ),
    processor: Type.Object(
      { name: Str(), processorMerchantId: Str(), amountCaptured: Type.Integer(), amountRefunded: Type.Integer() },
      { title: 'PaymentResponseProcessorAPISchema' },
    ),
    requiredAction: Opt(RequiredAction),
    statusReason: Opt(StatusReason),
    transactions: Type.Array(Transaction),
    riskData: Opt(
      Type.Object(
        { cvvCheck: Type.Object({ source: Str(), result: Str() }, { title: 'CvvCheckAPISchema' }) },
        { title: 'RiskDataAPISchema' },
      ),
    ),
  },
  { title: 'PaymentAPIResponse' },
);

/** What the SDKs decode after POST /payments and resume (docs/sdk.md, "Payments"). */
export const SdkPaymentResponse = Type.Object(
  {
    id: Str(),
    date: When,
    dateUpdated: When,
    orderId: Str(),
    currencyCode: Str(),
    amount: Type.Integer(),
    customerId: Opt(Str()),
    status: Str('PENDING, SUCCESS or FAILED'),
    requiredAction: Opt(RequiredAction),
    showSuccessCheckoutOnPendingPayment: Opt(Type.Boolean()),
    checkoutOutcome: Opt(Str()),
    paymentFailureReason: Opt(Str()),
  },
  { title: 'SdkPaymentResponse' },
);

/** POST /payments and resume: the server's shape with X-Api-Key, the SDK's with a client token. */
export const EitherPaymentResponse = Type.Union([PaymentResponse, SdkPaymentResponse]);

const PaymentSummary = Type.Object(
  {
    id: Str(),
    date: When,
    dateUpdated: When,
    status: Str(),
    orderId: Str(),
    processor: Type.Object({ name: Str(), processorMerchantId: Str() }),
    currencyCode: Str(),
    amount: Type.Integer(),
    metadata: Opt(Metadata),
  },
  { title: 'PaymentSummaryAPISchema' },
);

export const PaymentListResponse = Type.Object(
  { data: Type.Array(PaymentSummary), nextCursor: Opt(Str()), prevCursor: Opt(Str()) },
  { title: 'PaymentListAPIResponse' },
);

/** The SDK's tokenize and exchange answer, and a row of the SDK's vault list (`id` instead of `token`). */
export const InstrumentResponse = Type.Object(
  {
    id: Opt(Str('The saved card (vpm_…), on a MULTI_USE row')),
    token: Opt(Str('The SINGLE_USE token')),
    tokenType: Str('SINGLE_USE or MULTI_USE'),
    analyticsId: Str(),
    isVaulted: Type.Boolean(),
    paymentInstrumentType: Str(
      'PAYMENT_CARD, OFF_SESSION_PAYMENT, APPLE_PAY, GOOGLE_PAY, KLARNA_AUTHORIZATION_TOKEN, KLARNA_CUSTOMER_TOKEN, PAYPAL_ORDER or PAYPAL_BILLING_AGREEMENT',
    ),
    paymentMethodType: Str(),
    paymentInstrumentData: Type.Union([
      OffSessionData,
      WalletTokenData,
      PayPalOrderData,
      PayPalAgreementData,
      KlarnaPaymentSessionData,
      KlarnaCustomerTokenData,
      CardData,
    ]),
    threeDSecureAuthentication: ThreeDSecureAuthentication,
    vaultData: Opt(Type.Object({ customerId: Str() })),
  },
  { title: 'PaymentInstrumentResponse' },
);

/** The server's saved card. */
export const VaultedResponse = Type.Object(
  {
    createdAt: When,
    token: Str(),
    tokenType: Str(),
    analyticsId: Str(),
    paymentMethodType: Str(),
    paymentMethodData: Type.Union([PayPalAgreementData, KlarnaCustomerTokenData, CardData]),
    customerId: Str(),
    default: Type.Boolean(),
    deleted: Type.Boolean(),
    deletedAt: Opt(When),
  },
  { title: 'MerchantPaymentMethodTokenAPIResponse' },
);

const page = { nextCursor: Opt(Str('Another page follows: send it as cursor')) };
export const VaultedListResponse = Type.Object(
  { data: Type.Array(VaultedResponse), ...page },
  { title: 'MerchantPaymentMethodTokenListAPIResponse' },
);
export const SdkVaultedListResponse = Type.Object({ data: Type.Array(InstrumentResponse), ...page }, { title: 'PaymentInstrumentList' });
/** GET /payment-instruments: the server's list with X-Api-Key, the SDK's with a client token. */
export const EitherVaultedListResponse = Type.Union([VaultedListResponse, SdkVaultedListResponse]);

export const DeletedResponse = Type.Object({ id: Str(), deleted: Type.Boolean() }, { title: 'DeletedPaymentInstrument' });

export const ThreeDSContinueResponse = Type.Object(
  {
    token: InstrumentResponse,
    resumeToken: Str('Send it to POST /payments/{id}/resume'),
    authentication: ThreeDSecureAuthentication,
  },
  { title: 'ThreeDSContinueResponse' },
);

export const SandboxThreeDSResponse = Type.Object({ resumeToken: Str() }, { title: 'SandboxThreeDSResponse' });

/** Never sent: /3ds/{token}/auth always answers 400; documented with the error's envelope instead. */
export const ThreeDSAuthResponse = Type.Object(
  { resumeToken: Str() },
  { title: 'ThreeDSAuthResponse', description: 'Never sent: this route always answers 400 PaymentError.' },
);

export const BinNetworksResponse = Type.Object(
  { networks: Type.Array(Type.Object({ displayName: Str(), value: Str() })) },
  { title: 'BinNetworksResponse' },
);

export const BinDataResponse = Type.Object(
  {
    firstDigits: Opt(Str()),
    binData: Type.Array(Type.Object({ displayName: Str(), network: Str(), accountFundingType: Str() })),
  },
  { title: 'BinDataResponse' },
);
