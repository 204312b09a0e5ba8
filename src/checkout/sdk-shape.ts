// The stored session and the checkout configuration in the shape the SDKs decode (docs/sdk.md).
// Pure. Differences from the server API's shape: `clientSessionId`; `order` carries orderId,
// currencyCode and totalOrderAmount; `paymentMethod.options` is an array of {type, surcharge,
// networks}; `order`, `customer` and `paymentMethod` are always objects (the web loader reads into
// them without checks).
import type { CheckoutConfig, PaymentMethodConfig } from './configuration.ts';
import { sessionAmount } from '../primer/money.ts';
import { DEFAULT_CARD_NETWORKS } from '../primer/enums.ts';
import type { SessionData } from '../sessions/schemas.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import type { ConfigurationResponse, SdkClientSession, SdkPaymentMethodOption } from './schemas.ts';

type Options = NonNullable<NonNullable<SessionData['paymentMethod']>['options']>;
interface ApiOption {
  surcharge?: { amount?: number };
  networks?: Record<string, { surcharge?: { amount?: number } } | undefined>;
  [key: string]: unknown;
}

const PASSED_THROUGH = [
  'merchantName',
  'extraMerchantData',
  'recurringPaymentRequest',
  'deferredPaymentRequest',
  'automaticReloadRequest',
  'captureVaultedCardCvv',
] as const;

/**
 * `{"PAYMENT_CARD":{"networks":{"VISA":{"surcharge":{"amount":100}}}},"PAYPAL":{"surcharge":{"amount":50}}}`
 * -> `[{"type":"PAYMENT_CARD","networks":[{"type":"VISA","surcharge":100}]},{"type":"PAYPAL","surcharge":50}]`.
 * A network without an amount reads as surcharge 0 (the SDKs type it as an int).
 */
export function optionsToSdk(options: Options | undefined): SdkPaymentMethodOption[] {
  if (!options) return [];
  return Object.entries(options as Record<string, ApiOption>).map(([type, option]) => {
    const out: SdkPaymentMethodOption = { type };
    if (option.surcharge?.amount !== undefined) out.surcharge = option.surcharge.amount;
    if (option.networks) {
      out.networks = Object.entries(option.networks).map(([network, value]) => ({
        type: network,
        surcharge: value?.surcharge?.amount ?? 0,
      }));
    }
    for (const key of PASSED_THROUGH) {
      if (option[key] !== undefined) (out as Record<string, unknown>)[key] = option[key];
    }
    return out;
  });
}

const present = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

export function toSdkClientSession(stored: StoredSession): SdkClientSession {
  const s = stored.data;
  const amount = sessionAmount(s);
  const order = s.order;
  const pm = s.paymentMethod;
  return {
    clientSessionId: stored.id,
    ...present('customerId', s.customerId),
    ...present('orderId', s.orderId),
    ...present('currencyCode', s.currencyCode),
    ...present('amount', amount),
    ...present('metadata', s.metadata),
    order: {
      ...present('orderId', s.orderId),
      ...present('currencyCode', s.currencyCode),
      ...present('merchantAmount', s.amount),
      ...present('totalOrderAmount', amount),
      ...present('countryCode', order?.countryCode),
      ...present('retailerCountryCode', order?.retailerCountryCode),
      // iOS decodes quantity as a required Int: write the default.
      ...present(
        'lineItems',
        order?.lineItems?.map((item) => ({ ...item, quantity: item.quantity ?? 1 })),
      ),
      ...present('fees', order?.fees),
      ...present('shipping', order?.shipping),
      ...present('shippingAmount', order?.shipping?.amount),
    },
    customer: { ...present('customerId', s.customerId), ...s.customer },
    paymentMethod: {
      vaultOnSuccess: pm?.vaultOnSuccess ?? false,
      ...present('vaultOn3DS', pm?.vaultOn3DS),
      ...present('vaultOnAgreement', pm?.vaultOnAgreement),
      ...present('descriptor', pm?.descriptor),
      ...present('paymentType', pm?.paymentType),
      orderedAllowedCardNetworks: [...(pm?.orderedAllowedCardNetworks ?? DEFAULT_CARD_NETWORKS)],
      ...present('authorizationType', pm?.authorizationType),
      ...present('firstPaymentReason', pm?.firstPaymentReason),
      options: optionsToSdk(pm?.options),
    },
    // Android's test mode (Klarna without Klarna's SDK, mocked 3DS): opt-in per session (docs/payments.md, "Klarna").
    ...(typeof s.metadata?.kassaTestId === 'string' && s.metadata.kassaTestId.trim() !== '' ? { testId: s.metadata.kassaTestId } : {}),
  };
}

/** Icons served by Kassa itself (routes.ts), so the checkout needs no internet. */
export function defaultDisplayMetadata(method: PaymentMethodConfig, publicUrl: string): Record<string, unknown> {
  const icon = `${publicUrl}/assets/icons/${method.icon}.svg`;
  return {
    button: {
      iconUrl: { colored: icon, light: icon, dark: icon },
      backgroundColor: { colored: '#FFFFFF', light: '#FFFFFF', dark: '#000000' },
      borderColor: { colored: '#E4E7EB', light: '#E4E7EB', dark: '#FFFFFF' },
      borderWidth: { colored: 1, light: 1, dark: 1 },
      cornerRadius: 4,
    },
  };
}

export interface ConfigurationOptions {
  publicUrl: string;
  withDisplayMetadata: boolean;
}

export function buildConfiguration(stored: StoredSession, checkout: CheckoutConfig, options: ConfigurationOptions): ConfigurationResponse {
  const base = options.publicUrl;
  const selectedShipping = stored.data.order?.shipping?.methodId;
  return {
    pciUrl: base,
    coreUrl: base,
    binDataUrl: base,
    assetsUrl: `${base}/assets`,
    env: checkout.env,
    primerAccountId: checkout.primerAccountId ?? stored.merchantId,
    paymentMethods: checkout.paymentMethods.map((m) => ({
      id: m.id,
      type: m.type,
      name: m.name,
      implementationType: m.implementationType,
      ...present('processorConfigId', m.processorConfigId),
      ...present('options', m.options),
      ...(options.withDisplayMetadata ? { displayMetadata: m.displayMetadata ?? defaultDisplayMetadata(m, base) } : {}),
    })),
    checkoutModules: checkout.checkoutModules.map((module) => ({
      type: module.type,
      ...present('requestUrl', module.requestUrl),
      options:
        module.type === 'SHIPPING' && selectedShipping !== undefined
          ? { ...module.options, selectedShippingMethod: selectedShipping }
          : module.options,
    })),
    clientSession: toSdkClientSession(stored),
    keys: null,
  };
}
