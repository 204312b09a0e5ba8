// The Client Session API's request and response shapes, written once so validation, serialization, the
// types (Static<>) and the OpenAPI document cannot disagree: Fastify validates and serializes with them. Field order follows Primer's v2.4
// OpenAPI document, which is also the order of the JSON Kassa writes (docs/decisions.md, "Wire format").
import { Type, type Static, type TSchema } from 'typebox';
import {
  APPLE_PAY_INTERVAL_UNITS,
  AUTHORIZATION_TYPES,
  CARD_NETWORKS,
  FIRST_PAYMENT_REASONS,
  PAYMENT_TYPES,
  SURCHARGE_NETWORKS,
} from '../primer/enums.ts';
import type { FieldVersion } from '../primer/field-versions.ts';
import { MAX_AMOUNT } from '../primer/money.ts';
import {
  CardNetwork,
  CurrencyCode,
  Customer,
  Metadata,
  Money,
  Order,
  PAYMENT_METHOD_TYPE_PATTERN,
  StringEnum,
  Text,
} from '../primer/schemas.ts';

const Surcharge = Type.Object({ amount: Type.Optional(Money()) }, { title: 'CheckoutPaymentMethodOptionSurchargeAPISchema' });

const NetworkSurcharge = Type.Object(
  { surcharge: Type.Optional(Surcharge) },
  { title: 'CheckoutPaymentMethodOptionCardNetworkSurchargeAPISchema' },
);

export const CardNetworkOptions = Type.Object(Object.fromEntries(SURCHARGE_NETWORKS.map((n) => [n, Type.Optional(NetworkSurcharge)])), {
  title: 'CheckoutPaymentMethodOptionCardNetworkAPISchema',
  additionalProperties: false,
});

// Kassa extension: PAYMENT_CARD and APPLE_PAY may carry a method-level surcharge too, because the
// SDKs' options array gives every method a `surcharge` (docs/sdk.md, "The configuration").
export const CardOption = Type.Object(
  {
    surcharge: Type.Optional(Surcharge),
    networks: Type.Optional(CardNetworkOptions),
    captureVaultedCardCvv: Type.Optional(Type.Boolean()),
  },
  { title: 'CheckoutPaymentMethodCardOptionAPISchema' },
);

const ApplePayLabel = Text(1, 1024);
const ApplePayUrl = Type.String({ minLength: 1, maxLength: 1024, format: 'uri' });
const DateTime = Type.String({ format: 'date-time', maxLength: 64 });
const IntervalUnit = StringEnum(APPLE_PAY_INTERVAL_UNITS, 'ApplePayIntervalUnit');
const IntervalCount = Type.Integer({ minimum: 1, maximum: MAX_AMOUNT });

const ApplePayBilling = (title: string) =>
  Type.Object(
    {
      label: ApplePayLabel,
      amount: Type.Optional(Money()),
      recurringStartDate: Type.Optional(DateTime),
      recurringEndDate: Type.Optional(DateTime),
      recurringIntervalUnit: Type.Optional(IntervalUnit),
      recurringIntervalCount: Type.Optional(IntervalCount),
    },
    { title },
  );

const ApplePayCommon = {
  paymentDescription: Type.Optional(Text(1, 1024)),
  billingAgreement: Type.Optional(Text(1, 1024)),
  managementUrl: ApplePayUrl,
};

export const ApplePayOption = Type.Object(
  {
    surcharge: Type.Optional(Surcharge),
    merchantName: Type.Optional(Text(1, 1024)),
    recurringPaymentRequest: Type.Optional(
      Type.Object(
        {
          ...ApplePayCommon,
          regularBilling: ApplePayBilling('ApplePayRegularBilling'),
          trialBilling: Type.Optional(ApplePayBilling('ApplePayTrialBilling')),
        },
        { title: 'ApplePayRecurringRequest' },
      ),
    ),
    deferredPaymentRequest: Type.Optional(
      Type.Object(
        {
          ...ApplePayCommon,
          deferredBilling: Type.Object(
            { label: ApplePayLabel, amount: Type.Optional(Money()), deferredPaymentDate: DateTime },
            { title: 'ApplePayDeferredBilling' },
          ),
          freeCancellationDate: Type.Optional(DateTime),
          freeCancellationTimeZone: Type.Optional(Text(3, 50)),
        },
        { title: 'ApplePayDeferredRequest' },
      ),
    ),
    automaticReloadRequest: Type.Optional(
      Type.Object(
        {
          ...ApplePayCommon,
          automaticReloadBilling: Type.Object(
            { label: ApplePayLabel, amount: Type.Optional(Money()), automaticReloadThresholdAmount: Money() },
            { title: 'ApplePayAutomaticReloadBilling' },
          ),
        },
        { title: 'ApplePayAutomaticReloadRequest' },
      ),
    ),
  },
  { title: 'CheckoutPaymentMethodApplePayOptionAPISchema' },
);

export const GenericOption = Type.Object(
  {
    surcharge: Surcharge,
    extraMerchantData: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { title: 'CheckoutPaymentMethodOptionExtraMerchantDataAPISchema' }),
    ),
    merchantName: Type.Optional(Text(1, 1024)),
  },
  { title: 'CheckoutPaymentMethodOptionAPISchema' },
);

export const PaymentMethodOptions = Type.Object(
  { PAYMENT_CARD: Type.Optional(CardOption), APPLE_PAY: Type.Optional(ApplePayOption) },
  {
    title: 'PaymentMethodOptions',
    additionalProperties: GenericOption,
    maxProperties: 100,
    propertyNames: { pattern: PAYMENT_METHOD_TYPE_PATTERN },
  },
);

export const PaymentMethod = Type.Object(
  {
    vaultOnSuccess: Type.Optional(Type.Boolean()),
    vaultOn3DS: Type.Optional(Type.Boolean()),
    vaultOnAgreement: Type.Optional(Type.Boolean({ description: 'Added in API 2.4.' })),
    descriptor: Type.Optional(Text(0, 255)),
    paymentType: Type.Optional(StringEnum(PAYMENT_TYPES, 'RecurringTransactionTypeEnum')),
    orderedAllowedCardNetworks: Type.Optional(Type.Array(CardNetwork, { uniqueItems: true, maxItems: CARD_NETWORKS.length })),
    options: Type.Optional(PaymentMethodOptions),
    authorizationType: Type.Optional(StringEnum(AUTHORIZATION_TYPES, 'AuthorizationTypeEnum')),
    firstPaymentReason: Type.Optional(StringEnum(FIRST_PAYMENT_REASONS, 'FirstPaymentReasonEnum')),
  },
  { title: 'CheckoutPaymentMethodOptionsAPISchema' },
);

const sessionFields = {
  orderId: Type.Optional(Text(1, 255)),
  currencyCode: Type.Optional(CurrencyCode),
  amount: Type.Optional(Money('Overrides the amount computed from the order.')),
  order: Type.Optional(Order),
  customerId: Type.Optional(Text(1, 255)),
  customer: Type.Optional(Customer),
  metadata: Type.Optional(Metadata),
  paymentMethod: Type.Optional(PaymentMethod),
};

/** POST /client-session body. No field is required; unknown top-level fields are rejected. */
export const CreateSessionBody = Type.Object(sessionFields, {
  title: 'ClientSessionAPIRequest',
  additionalProperties: false,
});
export type SessionData = Static<typeof CreateSessionBody>;

// PATCH: `null` clears a field at the top level and one level down inside customer, order and
// paymentMethod (docs/decisions.md, "PATCH"). Nullable puts the null branch second: the error formatter
// relies on that to report only the real branch's problems.
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const nullableMembers = <T extends Record<string, TSchema>>(props: T) =>
  Object.fromEntries(Object.entries(props).map(([key, schema]) => [key, Type.Optional(Nullable(schema as TSchema))]));

const PatchCustomer = Type.Object(nullableMembers(Customer.properties), { title: 'CheckoutCustomerDetailsAPISchema' });
const PatchOrder = Type.Object(nullableMembers(Order.properties), { title: 'OrderDetailsAPISchema' });
const PatchPaymentMethod = Type.Object(nullableMembers(PaymentMethod.properties), {
  title: 'CheckoutPaymentMethodOptionsAPISchema',
});

/** PATCH /client-session body. */
export const UpdateSessionBody = Type.Object(
  {
    clientToken: Type.String({ minLength: 1, maxLength: 4096 }),
    customerId: Type.Optional(Nullable(Text(1, 255))),
    orderId: Type.Optional(Nullable(Text(1, 255))),
    currencyCode: Type.Optional(Nullable(CurrencyCode)),
    amount: Type.Optional(Nullable(Money())),
    metadata: Type.Optional(Nullable(Metadata)),
    customer: Type.Optional(Nullable(PatchCustomer)),
    order: Type.Optional(Nullable(PatchOrder)),
    paymentMethod: Type.Optional(Nullable(PatchPaymentMethod)),
  },
  { title: 'ClientSessionUpdateAPIRequest', additionalProperties: false },
);
export type UpdateSessionInput = Static<typeof UpdateSessionBody>;

export const GetSessionQuery = Type.Object(
  { clientToken: Type.String({ minLength: 1, maxLength: 4096 }) },
  { title: 'ClientSessionQuery', additionalProperties: false },
);

export const Warning = Type.Object(
  { type: Type.String(), code: Type.String(), message: Type.String() },
  { title: 'ClientSessionWarningsAPIResponse' },
);
export type Warning = Static<typeof Warning>;

// Responses reuse the request sub-schemas without their `required` lists: fast-json-stringify writes
// required properties first, and Kassa writes Primer's field order (line items start with itemId).
function withoutRequired<T extends TSchema>(schema: T): T {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k]) => k !== 'required')
        .map(([k, v]) => [k, strip(v)]),
    );
  };
  return strip(schema) as T;
}

const responseFields = {
  customerId: Type.Optional(Type.String()),
  orderId: Type.Optional(Type.String()),
  currencyCode: Type.Optional(Type.String()),
  amount: Type.Optional(Type.Integer()),
  metadata: Type.Optional(Metadata),
  customer: Type.Optional(Customer),
  order: Type.Optional(withoutRequired(Order)),
  paymentMethod: Type.Optional(withoutRequired(PaymentMethod)),
};

/** GET and PATCH 200: Primer's ClientSessionAPIResponse, in its field order. */
export const SessionResponse = Type.Object(responseFields, { title: 'ClientSessionAPIResponse' });
export type SessionResponse = Static<typeof SessionResponse>;

/** POST 200: Primer's ClientSessionWithTokenAPIResponse, in its field order. */
export const SessionWithTokenResponse = Type.Object(
  {
    clientToken: Type.String(),
    clientTokenExpirationDate: Type.String({ description: 'UTC, no zone designator, microseconds.' }),
    orderId: responseFields.orderId,
    currencyCode: responseFields.currencyCode,
    amount: responseFields.amount,
    order: responseFields.order,
    customerId: responseFields.customerId,
    customer: responseFields.customer,
    metadata: responseFields.metadata,
    paymentMethod: responseFields.paymentMethod,
    warnings: Type.Optional(Type.Array(Warning)),
  },
  { title: 'ClientSessionWithTokenAPIResponse' },
);
export type SessionWithTokenResponse = Static<typeof SessionWithTokenResponse>;

/** Fields introduced after API 2.1, by JSON path (docs/api.md, "Versions"). */
export const FIELD_VERSIONS: readonly FieldVersion[] = [
  { path: ['order', 'lineItems', '*', 'productData'], version: '2.2', label: 'productData' },
  { path: ['paymentMethod', 'vaultOnAgreement'], version: '2.4', label: 'vaultOnAgreement' },
  { path: ['paymentMethod', 'firstPaymentReason'], version: '2.4', label: 'firstPaymentReason' },
];
