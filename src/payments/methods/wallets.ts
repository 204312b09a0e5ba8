// The tokenize step of the wallets, Apple Pay (spec §3.2, §3.5) and Google Pay (§4.2, §4.3), as each SDK
// sends them, and the outcome a test chooses by the payment's amount (docs/payments.md, "Apple Pay and
// Google Pay"). The wallet's payload is opaque: it is checked for shape and size, then dropped; the
// token keeps only what its answer shows (network, last four digits when the display name gives them,
// display name, funding type).
import { validationError, type FieldError } from '../../errors.ts';
import { isCardNetwork, networkDisplayName, scenarioByKey } from '../cards.ts';
import type { AuthorizationOutcome, CardNetwork, MethodData, WalletData } from '../model.ts';
import type { MethodRegistry, PayableMethod } from './registry.ts';

export const WALLET_TYPES = ['APPLE_PAY', 'GOOGLE_PAY'] as const;
export type WalletType = (typeof WALLET_TYPES)[number];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const path = (field: string) => `$.paymentInstrument.${field}`;
/** What an opaque part of a wallet's payload may be: a string of 1 to `max` characters (the SDK route's 8 KiB body bounds them all). */
const OPAQUE_MAX = 8192;

/** The wallet a tokenize request's instrument comes from, by its shape; undefined for anything else. */
export function walletOf(input: unknown): WalletType | undefined {
  if (!isRecord(input)) return undefined;
  // Apple Pay: iOS and web both send the PassKit token as `token`; Google Pay: the payload in either spelling.
  if (isRecord(input.token)) return 'APPLE_PAY';
  if ('encryptedPayload' in input || 'encrypted_payload' in input) return 'GOOGLE_PAY';
  return undefined;
}

function text(v: unknown, field: string, max: number, problems: FieldError[], required: boolean): string | undefined {
  if (v === undefined || v === null) {
    if (required) problems.push({ path: path(field), description: 'Field required' });
    return undefined;
  }
  if (typeof v !== 'string' || v.length === 0 || v.length > max) {
    problems.push({ path: path(field), description: `Must be a string of 1 to ${max} characters` });
    return undefined;
  }
  return v;
}

/** Apple's (PKPaymentNetwork: "Visa", "MasterCard", "AmEx", …) and Google's (VISA, AMEX, …) names, as CardNetworkEnum. */
const NETWORK_ALIASES: Readonly<Record<string, CardNetwork>> = {
  AMEX: 'AMEX',
  AMERICANEXPRESS: 'AMEX',
  CHINAUNIONPAY: 'UNIONPAY',
  CARTESBANCAIRES: 'CARTES_BANCAIRES',
  PRIVATELABEL: 'PRIVATE_LABEL',
  DINERSCLUB: 'DINERS_CLUB',
  ELECTRON: 'VISA',
  VPAY: 'VISA',
};

export function walletNetwork(name: string | undefined): CardNetwork {
  if (name === undefined) return 'OTHER';
  const key = name.toUpperCase().replace(/[^A-Z]/g, '');
  const alias = NETWORK_ALIASES[key];
  if (alias) return alias;
  return isCardNetwork(key) ? key : 'OTHER';
}

const FUNDING: Readonly<Record<string, WalletData['accountFundingType']>> = { credit: 'CREDIT', debit: 'DEBIT', prepaid: 'PREPAID' };

/** Apple's token: `{paymentMethod?: {displayName?, network?, type?}, transactionIdentifier, paymentData: {data, signature, version, header}}`. */
function readApplePayToken(input: Record<string, unknown>, problems: FieldError[]): WalletData {
  const token = input.token as Record<string, unknown>;
  // The iOS SDK's own DEBUG mock (spec §3.3) sends fixed strings here: any non-empty strings pass.
  const data = token.paymentData;
  if (!isRecord(data)) problems.push({ path: path('token.paymentData'), description: 'Must be an object (the wallet payload)' });
  else {
    for (const field of ['data', 'signature', 'version'] as const)
      text(data[field], `token.paymentData.${field}`, OPAQUE_MAX, problems, true);
    if (!isRecord(data.header)) problems.push({ path: path('token.paymentData.header'), description: 'Must be an object' });
  }
  text(token.transactionIdentifier, 'token.transactionIdentifier', 256, problems, false);
  const method = token.paymentMethod ?? {};
  if (!isRecord(method)) {
    problems.push({ path: path('token.paymentMethod'), description: 'Must be an object' });
    return { network: 'OTHER' };
  }
  const displayName = text(method.displayName, 'token.paymentMethod.displayName', 64, problems, false);
  const network = text(method.network, 'token.paymentMethod.network', 32, problems, false);
  const type = text(method.type, 'token.paymentMethod.type', 16, problems, false);
  // Apple's display name is "<network> <last four>" ("Visa 0224"): the only place the digits are in clear.
  const last4Digits = displayName?.match(/(?:^|\D)(\d{4})$/)?.[1];
  const funding = type !== undefined ? FUNDING[type.toLowerCase()] : undefined;
  if (input.sourceConfig !== undefined) {
    const source = input.sourceConfig;
    if (!isRecord(source)) problems.push({ path: path('sourceConfig'), description: 'Must be an object' });
    else {
      text(source.source, 'sourceConfig.source', 32, problems, false);
      text(source.merchantId, 'sourceConfig.merchantId', 255, problems, false);
    }
  }
  return {
    network: walletNetwork(network),
    ...(last4Digits !== undefined ? { last4Digits } : {}),
    ...(displayName !== undefined ? { displayName } : {}),
    ...(funding !== undefined ? { accountFundingType: funding } : {}),
  };
}

/** Google's: Android `{merchantId, encryptedPayload, flow}`, web `{merchant_id, encrypted_payload, flow, network}`. */
function readGooglePay(input: Record<string, unknown>, problems: FieldError[]): WalletData {
  const android = 'encryptedPayload' in input;
  const payloadField = android ? 'encryptedPayload' : 'encrypted_payload';
  const payload = text(input[payloadField], payloadField, OPAQUE_MAX, problems, true);
  if (payload !== undefined && !/^[A-Za-z0-9+/_-]+={0,2}$/.test(payload)) {
    problems.push({ path: path(payloadField), description: 'Must be base64 (the wallet payload)' });
  }
  const merchantField = android ? 'merchantId' : 'merchant_id';
  text(input[merchantField], merchantField, 255, problems, true);
  if (input.flow !== 'GATEWAY') problems.push({ path: path('flow'), description: 'Must be GATEWAY' });
  const network = text(input.network, 'network', 32, problems, false);
  return { network: walletNetwork(network) };
}

/** The instrument checked against the checkout's wallets, or a 422 naming every bad field. */
export function readWallet(
  input: Record<string, unknown>,
  wallet: WalletType,
  methods: MethodRegistry,
): { method: PayableMethod; data: MethodData } {
  const problems: FieldError[] = [];
  const method = methods.find(wallet);
  if (method?.flow !== 'wallet') {
    problems.push({ path: path('paymentMethodType'), description: `${wallet} is not offered by this checkout's configuration` });
  }
  // Apple Pay names its configuration entry (both SDKs); Google Pay's SDKs send the gateway merchant id instead.
  if (
    wallet === 'APPLE_PAY' &&
    (typeof input.paymentMethodConfigId !== 'string' || (method && input.paymentMethodConfigId !== method.configId))
  ) {
    problems.push({
      path: path('paymentMethodConfigId'),
      description: "Must be the id of the method's entry in the checkout configuration",
    });
  }
  const walletData = wallet === 'APPLE_PAY' ? readApplePayToken(input, problems) : readGooglePay(input, problems);
  if (problems.length > 0 || !method) throw validationError('PaymentInstrument', problems);
  return { method, data: { paymentMethodType: wallet, paymentMethodConfigId: method.configId, wallet: walletData } };
}

/** The token answer's paymentInstrumentData for a wallet: card-like ([unverified] in the contract, Kassa's choice). */
export function walletInstrumentData(wallet: WalletData) {
  return {
    ...(wallet.last4Digits !== undefined ? { last4Digits: wallet.last4Digits } : {}),
    network: networkDisplayName(wallet.network),
    ...(wallet.displayName !== undefined ? { displayName: wallet.displayName } : {}),
    ...(wallet.accountFundingType !== undefined ? { accountFundingType: wallet.accountFundingType } : {}),
    isNetworkTokenized: true,
  };
}

/**
 * The amounts (minor units) that choose a wallet payment's outcome, since the payload is opaque and a
 * device's test payload cannot carry a choice: 20xx where xx is the raw decline code. Any other amount
 * is authorized. The reasons are the test cards' (cards.ts).
 */
export const WALLET_OUTCOME_AMOUNTS: Readonly<Record<number, string>> = {
  2005: 'generic-decline',
  2051: 'insufficient-funds',
  2054: 'expired-card',
  2059: 'suspected-fraud',
  2096: 'generic-fail',
};

export function walletOutcome(amount: number): AuthorizationOutcome {
  const key = WALLET_OUTCOME_AMOUNTS[amount];
  const scenario = key !== undefined ? scenarioByKey(key) : undefined;
  return scenario ? scenario.authorization : { result: 'AUTHORIZED' };
}
