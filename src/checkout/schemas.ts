// Shapes of the routes the client SDKs call (docs/sdk.md). Responses are TypeBox schemas so
// Fastify serializes them fast and in a fixed field order.
import { Type, type Static } from 'typebox';
import { Customer, Fee, LineItem, Metadata, Shipping } from '../primer/schemas.ts';

const Free = Type.Unknown();
const Int = Type.Integer();
const Str = Type.String();
const Opt = Type.Optional;

/** An option of `clientSession.paymentMethod.options`: the API's map turned into the SDK's array. */
export const SdkPaymentMethodOption = Type.Object(
  {
    type: Str,
    surcharge: Opt(Int),
    networks: Opt(Type.Array(Type.Object({ type: Str, surcharge: Int }))),
    merchantName: Opt(Str),
    extraMerchantData: Opt(Free),
    recurringPaymentRequest: Opt(Free),
    deferredPaymentRequest: Opt(Free),
    automaticReloadRequest: Opt(Free),
    captureVaultedCardCvv: Opt(Type.Boolean()),
  },
  { title: 'SdkPaymentMethodOption' },
);
export type SdkPaymentMethodOption = Static<typeof SdkPaymentMethodOption>;

/** The session as the SDKs read it (docs/sdk.md, "The configuration"): clientSessionId, order.totalOrderAmount, options array. */
export const SdkClientSession = Type.Object(
  {
    clientSessionId: Str,
    customerId: Opt(Str),
    orderId: Opt(Str),
    currencyCode: Opt(Str),
    amount: Opt(Int),
    metadata: Opt(Metadata),
    // Optional here only so the serializer keeps this field order; the three are always written.
    order: Opt(
      Type.Object({
        orderId: Opt(Str),
        currencyCode: Opt(Str),
        /** The merchant's top-level amount, when set (iOS reads it as `merchantAmount`). */
        merchantAmount: Opt(Int),
        totalOrderAmount: Opt(Int),
        countryCode: Opt(Str),
        retailerCountryCode: Opt(Str),
        lineItems: Opt(Type.Array(Type.Object({ ...LineItem.properties, amount: Opt(Int), quantity: Opt(Int) }))),
        fees: Opt(Type.Array(Type.Object({ ...Fee.properties, amount: Opt(Int) }))),
        shipping: Opt(Shipping),
        shippingAmount: Opt(Int),
      }),
    ),
    customer: Opt(Type.Object({ customerId: Opt(Str), ...Customer.properties })),
    paymentMethod: Opt(
      Type.Object({
        vaultOnSuccess: Type.Boolean(),
        vaultOn3DS: Opt(Type.Boolean()),
        vaultOnAgreement: Opt(Type.Boolean()),
        descriptor: Opt(Str),
        paymentType: Opt(Str),
        orderedAllowedCardNetworks: Type.Array(Str),
        authorizationType: Opt(Str),
        firstPaymentReason: Opt(Str),
        options: Type.Array(SdkPaymentMethodOption),
      }),
    ),
    /** The SDKs' test mode (spec §2.4, §6.4): only when the session's metadata names one (kassaTestId). */
    testId: Opt(Str),
  },
  { title: 'SdkClientSession' },
);
export type SdkClientSession = Static<typeof SdkClientSession>;

export const SdkPaymentMethod = Type.Object(
  {
    id: Str,
    type: Str,
    name: Str,
    implementationType: Str,
    processorConfigId: Opt(Str),
    options: Opt(Free),
    displayMetadata: Opt(Free),
  },
  { title: 'SdkPaymentMethodConfig' },
);

export const SdkCheckoutModule = Type.Object({ type: Str, requestUrl: Opt(Str), options: Free }, { title: 'SdkCheckoutModule' });

/** GET /client-sdk/configuration and POST /client-session/actions: every key the three SDKs need. */
export const ConfigurationResponse = Type.Object(
  {
    pciUrl: Str,
    coreUrl: Str,
    binDataUrl: Str,
    assetsUrl: Str,
    env: Str,
    primerAccountId: Str,
    paymentMethods: Type.Array(SdkPaymentMethod),
    checkoutModules: Type.Array(SdkCheckoutModule),
    clientSession: SdkClientSession,
    keys: Type.Null(),
  },
  { title: 'ClientSdkConfiguration' },
);
export type ConfigurationResponse = Static<typeof ConfigurationResponse>;

export const ConfigurationQuery = Type.Object(
  { withDisplayMetadata: Opt(Type.String({ maxLength: 16 })) },
  { title: 'ClientSdkConfigurationQuery' },
);

export const ActionsBody = Type.Object(
  {
    actions: Type.Array(
      Type.Object(
        {
          type: Type.String({ minLength: 1, maxLength: 64 }),
          params: Opt(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
        },
        { title: 'ClientSessionAction' },
      ),
      { minItems: 1, maxItems: 50 },
    ),
  },
  { title: 'ClientSessionActionsRequest' },
);
export type ActionsBody = Static<typeof ActionsBody>;

export const ValidateTokenBody = Type.Object(
  { clientToken: Type.String({ minLength: 1, maxLength: 4096 }) },
  { title: 'ClientTokenValidationRequest' },
);
export const ValidateTokenResponse = Type.Object({ success: Type.Boolean() }, { title: 'ClientTokenValidationResponse' });
