// The merchant's checkout configuration: what Primer keeps in its Dashboard (payment methods, checkout
// modules, env). Read from the JSON file named by KASSA_CHECKOUT_CONFIG, else the built-in default, so
// `npm start` alone gives a working checkout. Checked with TypeBox/Ajv; a bad entry is named.
import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { SDK_ENVS, type Config } from '../config.ts';
import { compile, fieldErrors } from '../lib/ajv.ts';
import { canPay, payableTypes } from '../payments/methods/registry.ts';
import { PAYMENT_METHOD_TYPE_PATTERN } from '../primer/schemas.ts';
import { ICON_NAMES, defaultIconFor } from './icons.ts';

type SdkEnv = Config['sdkEnv'];

/** What iOS decodes; an entry with another value is dropped by iOS. */
export const IMPLEMENTATION_TYPES = ['NATIVE_SDK', 'WEB_REDIRECT', 'IPAY88_SDK', 'FORM_WITH_REDIRECT', 'BACKEND_DRIVEN'] as const;
export const CHECKOUT_MODULE_TYPES = ['BILLING_ADDRESS', 'CARD_INFORMATION', 'SHIPPING'] as const;
export const BILLING_ADDRESS_FIELDS = [
  'firstName',
  'lastName',
  'addressLine1',
  'addressLine2',
  'city',
  'state',
  'countryCode',
  'postalCode',
  'phoneNumber',
] as const;

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const FreeObject = Type.Record(Type.String(), Type.Unknown());

const PaymentMethodEntry = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
    type: Type.String({ pattern: PAYMENT_METHOD_TYPE_PATTERN }),
    name: Text(255),
    implementationType: Type.Unsafe<(typeof IMPLEMENTATION_TYPES)[number]>({ type: 'string', enum: [...IMPLEMENTATION_TYPES] }),
    processorConfigId: Type.Optional(Text(255)),
    options: Type.Optional(FreeObject),
    icon: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ICON_NAMES })),
    displayMetadata: Type.Optional(FreeObject),
  },
  { additionalProperties: false },
);

export const ShippingMethod = Type.Object(
  {
    id: Text(255),
    name: Text(255),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    amount: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  },
  { additionalProperties: false },
);
export type ShippingMethod = Static<typeof ShippingMethod>;

const MODULE_OPTIONS = {
  BILLING_ADDRESS: Type.Object(Object.fromEntries(BILLING_ADDRESS_FIELDS.map((f) => [f, Type.Optional(Type.Boolean())])), {
    additionalProperties: false,
  }),
  CARD_INFORMATION: Type.Object(
    { cardHolderName: Type.Optional(Type.Boolean()), saveCardCheckbox: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
  SHIPPING: Type.Object({ shippingMethods: Type.Array(ShippingMethod, { minItems: 1, maxItems: 50 }) }, { additionalProperties: false }),
} as const;

const CheckoutModuleEntry = Type.Object(
  {
    type: Type.Unsafe<(typeof CHECKOUT_MODULE_TYPES)[number]>({ type: 'string', enum: [...CHECKOUT_MODULE_TYPES] }),
    requestUrl: Type.Optional(Text(2048)),
    options: Type.Optional(FreeObject),
  },
  { additionalProperties: false },
);

/** How the payments sandbox behaves for this deployment (docs/payments.md, "Sandbox settings"). */
const SandboxSection = Type.Object(
  {
    captureMode: Type.Optional(Type.Unsafe<'MANUAL' | 'AUTOMATIC'>({ type: 'string', enum: ['MANUAL', 'AUTOMATIC'] })),
    authorizeOnCreate: Type.Optional(Type.Boolean()),
    threeDSecureMode: Type.Optional(Type.Unsafe<'PRIMER_3DS' | 'PROCESSOR_3DS'>({ type: 'string', enum: ['PRIMER_3DS', 'PROCESSOR_3DS'] })),
    asyncDelayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
    processor: Type.Optional(Type.Object({ name: Text(255), processorMerchantId: Text(255) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export interface SandboxSettings {
  captureMode: 'MANUAL' | 'AUTOMATIC';
  authorizeOnCreate: boolean;
  threeDSecureMode: 'PRIMER_3DS' | 'PROCESSOR_3DS';
  asyncDelayMs: number;
  processor: { name: string; processorMerchantId: string };
}

export const DEFAULT_SANDBOX: SandboxSettings = {
  captureMode: 'MANUAL',
  authorizeOnCreate: true,
  threeDSecureMode: 'PRIMER_3DS',
  asyncDelayMs: 2000,
  processor: { name: 'KASSA_SANDBOX', processorMerchantId: 'kassa-sandbox' },
};

export const CheckoutConfigFile = Type.Object(
  {
    env: Type.Optional(Type.Unsafe<SdkEnv>({ type: 'string', enum: [...SDK_ENVS] })),
    primerAccountId: Type.Optional(Text(255)),
    paymentMethods: Type.Array(PaymentMethodEntry, { maxItems: 100 }),
    checkoutModules: Type.Optional(Type.Array(CheckoutModuleEntry, { maxItems: CHECKOUT_MODULE_TYPES.length })),
    sandbox: Type.Optional(SandboxSection),
  },
  { additionalProperties: false },
);
export type CheckoutConfigFile = Static<typeof CheckoutConfigFile>;

export interface PaymentMethodConfig {
  id: string;
  type: string;
  name: string;
  implementationType: (typeof IMPLEMENTATION_TYPES)[number];
  processorConfigId?: string;
  options?: Record<string, unknown>;
  /** A built-in icon name, used when displayMetadata is not given. */
  icon: string;
  displayMetadata?: Record<string, unknown>;
}

export interface CheckoutModuleConfig {
  type: (typeof CHECKOUT_MODULE_TYPES)[number];
  requestUrl?: string;
  options: Record<string, unknown>;
}

/** The resolved configuration every checkout of the deployment gets. */
export interface CheckoutConfig {
  env: SdkEnv;
  /** Sent as `primerAccountId`; the session's merchant id when absent. */
  primerAccountId?: string;
  paymentMethods: PaymentMethodConfig[];
  checkoutModules: CheckoutModuleConfig[];
  sandbox: SandboxSettings;
}

export class CheckoutConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid checkout configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const validateFile = compile(CheckoutConfigFile);
const validateModuleOptions = Object.fromEntries(Object.entries(MODULE_OPTIONS).map(([type, schema]) => [type, compile(schema)])) as Record<
  (typeof CHECKOUT_MODULE_TYPES)[number],
  ReturnType<typeof compile>
>;

/** The file's parsed JSON -> CheckoutConfig, or every problem at its JSON path. Pure. */
export function parseCheckoutConfig(value: unknown, fallbackEnv: SdkEnv, source = 'checkout configuration'): CheckoutConfig {
  if (!validateFile(value)) {
    throw new CheckoutConfigError(
      source,
      fieldErrors(validateFile.errors ?? []).map((e) => `${e.path}: ${e.description}`),
    );
  }
  const file = value as CheckoutConfigFile;
  const problems: string[] = [];
  const types = new Set<string>();
  const ids = new Set<string>();
  file.paymentMethods.forEach((pm, i) => {
    const id = pm.id ?? `pmc_${pm.type.toLowerCase()}`;
    if (types.has(pm.type)) problems.push(`$.paymentMethods[${i}].type: ${pm.type} is listed twice`);
    if (ids.has(id)) problems.push(`$.paymentMethods[${i}].id: ${id} is used twice`);
    types.add(pm.type);
    ids.add(id);
  });
  const moduleTypes = new Set<string>();
  (file.checkoutModules ?? []).forEach((module, i) => {
    if (moduleTypes.has(module.type)) problems.push(`$.checkoutModules[${i}].type: ${module.type} is listed twice`);
    moduleTypes.add(module.type);
    const validate = validateModuleOptions[module.type];
    const options = module.options ?? {};
    if (!validate(options)) {
      for (const e of fieldErrors(validate.errors ?? [], ['checkoutModules', String(i), 'options'])) {
        problems.push(`${e.path}: ${e.description}`);
      }
    } else if (module.type === 'SHIPPING') {
      const seen = new Set<string>();
      (options.shippingMethods as ShippingMethod[]).forEach((method, j) => {
        if (seen.has(method.id)) problems.push(`$.checkoutModules[${i}].options.shippingMethods[${j}].id: ${method.id} is listed twice`);
        seen.add(method.id);
      });
    }
  });
  if (problems.length > 0) throw new CheckoutConfigError(source, problems);
  return fromCheckedFile(file, fallbackEnv);
}

/** A file that passed parseCheckoutConfig's checks, as the configuration Kassa uses. */
function fromCheckedFile(file: CheckoutConfigFile, fallbackEnv: SdkEnv): CheckoutConfig {
  return {
    env: file.env ?? fallbackEnv,
    ...(file.primerAccountId !== undefined ? { primerAccountId: file.primerAccountId } : {}),
    paymentMethods: file.paymentMethods.map((pm) => ({
      id: pm.id ?? `pmc_${pm.type.toLowerCase()}`,
      type: pm.type,
      name: pm.name,
      implementationType: pm.implementationType,
      ...(pm.processorConfigId !== undefined ? { processorConfigId: pm.processorConfigId } : {}),
      ...(pm.options !== undefined ? { options: pm.options } : {}),
      icon: pm.icon ?? defaultIconFor(pm.type),
      ...(pm.displayMetadata !== undefined ? { displayMetadata: pm.displayMetadata } : {}),
    })),
    checkoutModules: (file.checkoutModules ?? []).map((m) => ({
      type: m.type,
      ...(m.requestUrl !== undefined ? { requestUrl: m.requestUrl } : {}),
      options: m.options ?? {},
    })),
    sandbox: { ...DEFAULT_SANDBOX, ...file.sandbox },
  };
}

/** The built-in configuration: what `npm start` offers with no file. */
export const DEFAULT_CHECKOUT_FILE: CheckoutConfigFile = {
  paymentMethods: [
    {
      type: 'PAYMENT_CARD',
      name: 'Payment Card',
      implementationType: 'NATIVE_SDK',
      processorConfigId: 'kassa-cards',
      options: { threeDSecureEnabled: false, threeDSecureProvider: 'NONE' },
    },
    { type: 'PAYPAL', name: 'PayPal', implementationType: 'NATIVE_SDK', processorConfigId: 'kassa-paypal' },
    // Android's Google Pay needs a merchantId: the gateway merchant id of its tokenization spec (spec §4.1).
    {
      type: 'GOOGLE_PAY',
      name: 'Google Pay',
      implementationType: 'NATIVE_SDK',
      processorConfigId: 'kassa-google-pay',
      options: { merchantId: 'kassa-google-pay-merchant' },
    },
    { type: 'APPLE_PAY', name: 'Apple Pay', implementationType: 'NATIVE_SDK', processorConfigId: 'kassa-apple-pay' },
    { type: 'KLARNA', name: 'Klarna', implementationType: 'NATIVE_SDK', processorConfigId: 'kassa-klarna' },
    { type: 'ADYEN_IDEAL', name: 'iDEAL', implementationType: 'WEB_REDIRECT', processorConfigId: 'kassa-ideal' },
  ],
  checkoutModules: [
    { type: 'CARD_INFORMATION', options: { cardHolderName: true, saveCardCheckbox: false } },
    {
      type: 'BILLING_ADDRESS',
      options: {
        firstName: false,
        lastName: false,
        addressLine1: false,
        addressLine2: false,
        city: false,
        state: false,
        countryCode: false,
        postalCode: true,
        phoneNumber: false,
      },
    },
    {
      type: 'SHIPPING',
      options: {
        shippingMethods: [
          { id: 'standard', name: 'Standard', description: '3-5 working days', amount: 0 },
          { id: 'express', name: 'Express', description: 'Next working day', amount: 1000 },
        ],
      },
    },
  ],
};

/**
 * The built-in configuration for `env`. Not checked at each start (that would compile the file's
 * schema in every process that starts without a file): a test checks it with parseCheckoutConfig.
 */
export function defaultCheckoutConfig(env: SdkEnv): CheckoutConfig {
  return fromCheckedFile(DEFAULT_CHECKOUT_FILE, env);
}

/** Start-up I/O: reads and checks the file (server.ts calls this; buildApp never reads files). */
export function readCheckoutConfigFile(path: string, fallbackEnv: SdkEnv): CheckoutConfig {
  const source = `KASSA_CHECKOUT_CONFIG (${path})`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CheckoutConfigError(source, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? 'error'}`]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CheckoutConfigError(source, [`not valid JSON: ${(error as Error).message}`]);
  }
  const config = parseCheckoutConfig(value, fallbackEnv, source);
  const unpayable = unpayableMethods(config);
  if (unpayable.length > 0) throw new CheckoutConfigError(source, unpayable);
  return config;
}

/**
 * The entries Kassa could not pay, each at its JSON path with what Kassa can pay: offering one would
 * show the shopper a button that fails (docs/payments.md, "Payment methods"). Payable is what the
 * method registry gives a flow, so a method becomes offerable by being registered there.
 */
export function unpayableMethods(config: Pick<CheckoutConfig, 'paymentMethods'>): string[] {
  const refused = config.paymentMethods.flatMap((m, i) => (canPay(m) ? [] : [{ m, i }]));
  if (refused.length === 0) return [];
  const { types, anyTypeWith } = payableTypes(
    DEFAULT_CHECKOUT_FILE.paymentMethods.map((m) => m.type),
    IMPLEMENTATION_TYPES,
  );
  const payable = [...types, ...anyTypeWith.map((implementationType) => `any type whose implementationType is ${implementationType}`)];
  return refused.map(
    ({ m, i }) =>
      `$.paymentMethods[${i}].type: Kassa cannot pay ${m.type} (implementationType ${m.implementationType}); remove the entry. Kassa can pay: ${payable.join(', ')}`,
  );
}

/** The shipping methods of the SHIPPING module, if the checkout has one. */
export function shippingMethods(config: CheckoutConfig): ShippingMethod[] {
  const module = config.checkoutModules.find((m) => m.type === 'SHIPPING');
  return (module?.options.shippingMethods as ShippingMethod[] | undefined) ?? [];
}
