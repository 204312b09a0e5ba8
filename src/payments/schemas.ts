// The shapes of the payments routes' requests, written once each (TypeBox: Ajv validates with them and
// the OpenAPI document shows them); responses.ts has the answers'. Titles are Primer's schema names, which errors name as `model`.
import { Type, type Static } from 'typebox';
import { AUTHORIZATION_TYPES, FIRST_PAYMENT_REASONS, PAYMENT_TYPES } from '../primer/enums.ts';
import { CountryCode, CurrencyCode, Customer, Metadata, Money, Order, StringEnum, Text } from '../primer/schemas.ts';

// No maxItems, as Primer's: repeats are ignored, and the body walk bounds every array (1000 items).
const Expand = Type.Optional(Type.Union([Type.Array(Type.Literal('transactions.events')), Type.Null()]));

export const PaymentMethodRequest = Type.Object(
  {
    vaultOnSuccess: Type.Optional(Type.Boolean()),
    vaultOn3DS: Type.Optional(Type.Boolean()),
    vaultOnAgreement: Type.Optional(Type.Boolean()),
    descriptor: Type.Optional(Text(0, 255)),
    paymentType: Type.Optional(StringEnum(PAYMENT_TYPES, 'RecurringTransactionTypeEnum')),
    authorizationType: Type.Optional(StringEnum(AUTHORIZATION_TYPES, 'AuthorizationTypeEnum')),
    firstPaymentReason: Type.Optional(StringEnum(FIRST_PAYMENT_REASONS, 'FirstPaymentReasonEnum')),
  },
  // Open, as Primer's schema leaves it: unknown fields are dropped (docs/api.md, "Unknown fields").
  { title: 'PaymentRequestPaymentMethodOptionsAPISchema' },
);

/** POST /payments: a token, and anything that overrides its session. */
export const CreatePaymentBody = Type.Object(
  {
    paymentMethodToken: Text(1, 255),
    orderId: Type.Optional(Text(1, 255)),
    currencyCode: Type.Optional(CurrencyCode),
    amount: Type.Optional(Money()),
    order: Type.Optional(Order),
    customerId: Type.Optional(Text(1, 255)),
    customer: Type.Optional(Customer),
    metadata: Type.Optional(Metadata),
    paymentMethod: Type.Optional(PaymentMethodRequest),
    expand: Expand,
  },
  { title: 'PaymentCreationAPIRequest', additionalProperties: false },
);
export type CreatePaymentBody = Static<typeof CreatePaymentBody>;

/** Unknown fields are ignored here, as Primer's schema allows them. */
export const AuthorizeBody = Type.Object(
  {
    processor: Type.Object(
      // Empty strings pass, as Primer's schema lets them: they name no processor (400 MerchantAccountNotFound).
      { processorMerchantId: Text(0, 255), name: Type.Optional(Text(0, 255)) },
      { title: 'PaymentAuthorizationRequestProcessorAPISchema' },
    ),
    expand: Expand,
  },
  { title: 'PaymentAuthorizationAPIRequest' },
);

export const CaptureBody = Type.Object(
  {
    amount: Type.Optional(Money()),
    final: Type.Optional(Type.Boolean()),
    // Open, as Primer's schema leaves it: unknown fields are dropped.
    order: Type.Optional(Type.Object({ retailerCountryCode: Type.Optional(CountryCode) })),
    metadata: Type.Optional(Metadata),
    expand: Expand,
  },
  { title: 'PaymentCaptureAPIRequest', additionalProperties: false },
);
export type CaptureBody = Static<typeof CaptureBody>;

export const CancelBody = Type.Object(
  { reason: Type.Optional(Text(0, 1024)), expand: Expand },
  { title: 'PaymentCancelAPIRequest', additionalProperties: false },
);

export const RefundBody = Type.Object(
  {
    amount: Type.Optional(Money()),
    orderId: Type.Optional(Text(1, 255)),
    reason: Type.Optional(Text(0, 1024)),
    transactionEventId: Type.Optional(Type.String({ format: 'uuid' })),
    expand: Expand,
  },
  { title: 'PaymentRefundAPIRequest', additionalProperties: false },
);
export type RefundBody = Static<typeof RefundBody>;

export const ResumeBody = Type.Object(
  { resumeToken: Type.String({ format: 'uuid' }) },
  { title: 'PaymentResumeAPIRequest', additionalProperties: false },
);

export const AdjustBody = Type.Object({ amount: Money(), expand: Expand }, { title: 'PaymentAdjustAuthorizationAPIRequest' });

export const VaultBody = Type.Object({ customerId: Text(1, 255) }, { title: 'VaultPaymentMethodAPIRequest', additionalProperties: false });

export const PaymentIdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
export const TokenParams = Type.Object({ paymentMethodToken: Type.String({ maxLength: 100 }) });

/** POST /payment-instruments (the SDKs): the card is checked by card-input.ts, which never echoes it. */
export const TokenizeBody = Type.Object(
  {
    paymentInstrument: Type.Unknown(),
    tokenType: Type.Optional(Type.Union([Type.Literal('SINGLE_USE'), Type.Literal('MULTI_USE')])),
    paymentFlow: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { title: 'PaymentInstrumentTokenizationRequest' },
);

export const ExchangeBody = Type.Object({ cvv: Type.Optional(Type.String({ maxLength: 8 })) }, { title: 'ExchangeRequest' });

export const ThreeDSContinueBody = Type.Object({}, { title: 'ThreeDSContinueRequest', additionalProperties: true });

export const SandboxThreeDSBody = Type.Object(
  { outcome: Type.Union([Type.Literal('AUTH_SUCCESS'), Type.Literal('AUTH_FAILED')]) },
  { title: 'SandboxThreeDSRequest', additionalProperties: false },
);

export const SandboxRedirectBody = Type.Object(
  { outcome: Type.Union([Type.Literal('COMPLETE'), Type.Literal('REJECT'), Type.Literal('CANCEL')]) },
  { title: 'SandboxRedirectRequest', additionalProperties: false },
);

/** Fields that came with API 2.4 (a 422 naming 2.4 before it). */
export const PAYMENT_FIELD_VERSIONS = [
  { path: ['final'], version: '2.4', label: 'final' },
  { path: ['transactionEventId'], version: '2.4', label: 'transactionEventId' },
  { path: ['expand'], version: '2.4', label: 'expand' },
  { path: ['paymentMethod', 'vaultOnAgreement'], version: '2.4', label: 'vaultOnAgreement' },
  { path: ['paymentMethod', 'firstPaymentReason'], version: '2.4', label: 'firstPaymentReason' },
] as const;
