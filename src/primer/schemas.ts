// The shapes Primer's APIs share, written once for every feature that takes them (the client session,
// payments, the SDK's actions): building blocks, the order, the customer, metadata. Names and titles
// are those of Primer's v2.4 OpenAPI document.
import { Type } from 'typebox';
import { CARD_NETWORKS, COUNTRY_CODES, CURRENCY_CODES, PRODUCT_TYPES } from './enums.ts';
import { MAX_AMOUNT } from './money.ts';

export const METADATA_LIMITS = { keys: 200, keyLength: 255, valueLength: 4096 } as const;
export const ARRAY_LIMITS = { lineItems: 500, fees: 100 } as const;

export const Text = (min: number, max: number, extra: Record<string, unknown> = {}) =>
  Type.String({ minLength: min, maxLength: max, ...extra });
export const Money = (description?: string) => Type.Integer({ minimum: 0, maximum: MAX_AMOUNT, ...(description ? { description } : {}) });
export const StringEnum = <T extends readonly string[]>(values: T, title: string) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], title });

export const CountryCode = StringEnum(COUNTRY_CODES, 'CountryCodeEnum');
export const CurrencyCode = StringEnum(CURRENCY_CODES, 'Currency');
export const CardNetwork = StringEnum(CARD_NETWORKS, 'CardNetworkEnum');

export const ProductData = Type.Object(
  {
    sku: Type.Optional(Text(1, 255)),
    brand: Type.Optional(Text(1, 255)),
    color: Type.Optional(Text(1, 255)),
    globalTradeItemNumber: Type.Optional(Text(1, 255)),
    manufacturerPartNumber: Type.Optional(Text(1, 255)),
    weight: Type.Optional(Type.Number({ minimum: 0, maximum: 1e12 })),
    weightUnit: Type.Optional(Text(1, 255)),
    pageUrl: Type.Optional(Text(1, 1024)),
  },
  { title: 'OrderLineItemsProductDataAPISchema' },
);

export const LineItem = Type.Object(
  {
    itemId: Type.Optional(Text(1, 255)),
    name: Type.Optional(Text(0, 255)),
    description: Type.Optional(Text(0, 255)),
    amount: Money('Unit price in minor units.'),
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_AMOUNT, description: 'Defaults to 1.' })),
    discountAmount: Type.Optional(Money('Discount for the whole line, not per unit.')),
    taxAmount: Type.Optional(Money('Tax for the whole line, not per unit.')),
    taxCode: Type.Optional(Text(1, 255)),
    productType: Type.Optional(StringEnum(PRODUCT_TYPES, 'ProductTypeEnum')),
    productData: Type.Optional(ProductData),
  },
  { title: 'OrderLineItemsAPISchema' },
);

export const Fee = Type.Object(
  {
    amount: Money(),
    type: Type.Optional(Text(1, 255)),
    description: Type.Optional(Text(1, 255)),
  },
  { title: 'OrderFeesAPISchema' },
);

export const Shipping = Type.Object(
  {
    amount: Type.Optional(Money()),
    methodId: Type.Optional(Text(0, 255)),
    methodName: Type.Optional(Text(0, 255)),
    methodDescription: Type.Optional(Text(0, 1024)),
  },
  { title: 'OrderShippingAPISchema' },
);

export const Order = Type.Object(
  {
    lineItems: Type.Optional(Type.Array(LineItem, { maxItems: ARRAY_LIMITS.lineItems })),
    countryCode: Type.Optional(CountryCode),
    retailerCountryCode: Type.Optional(CountryCode),
    fees: Type.Optional(Type.Array(Fee, { maxItems: ARRAY_LIMITS.fees })),
    shipping: Type.Optional(Shipping),
  },
  { title: 'OrderDetailsAPISchema' },
);

export const Address = Type.Object(
  {
    firstName: Type.Optional(Text(1, 255)),
    lastName: Type.Optional(Text(1, 255)),
    addressLine1: Type.Optional(Text(1, 255)),
    addressLine2: Type.Optional(Text(0, 255)),
    city: Type.Optional(Text(1, 255)),
    state: Type.Optional(Text(1, 255)),
    countryCode: Type.Optional(CountryCode),
    postalCode: Type.Optional(Text(1, 255)),
  },
  { title: 'OptionalAddressAPISchema' },
);

export const Customer = Type.Object(
  {
    emailAddress: Type.Optional(Type.String({ format: 'idn-email', maxLength: 254 })),
    mobileNumber: Type.Optional(Text(1, 255)),
    firstName: Type.Optional(Text(1, 255)),
    lastName: Type.Optional(Text(1, 255)),
    billingAddress: Type.Optional(Address),
    shippingAddress: Type.Optional(Address),
    taxId: Type.Optional(Text(0, 255)),
    nationalDocumentId: Type.Optional(Text(0, 255)),
  },
  { title: 'CheckoutCustomerDetailsAPISchema' },
);

// metadata: flat, string or safe-integer values, bounded (docs/decisions.md, "Values"). An empty key is
// answered with 400 MetadataContainsEmptyKey before schema validation (http/json-body.ts).
export const Metadata = Type.Record(
  Type.String(),
  Type.Union([Type.String({ maxLength: METADATA_LIMITS.valueLength }), Type.Integer({ minimum: -MAX_AMOUNT, maximum: MAX_AMOUNT })]),
  {
    title: 'Metadata',
    maxProperties: METADATA_LIMITS.keys,
    propertyNames: { maxLength: METADATA_LIMITS.keyLength },
    description: 'Flat key/value data; values are strings or integers.',
  },
);

/** Keys are payment-method types; any UPPER_SNAKE type is accepted, not only Primer's list (docs/decisions.md, "Values"). */
export const PAYMENT_METHOD_TYPE_PATTERN = '^[A-Z][A-Z0-9_]{0,63}$';
