// The SDKs' BIN lookups (`binDataUrl`): which networks the first digits of a card carry, so the card
// form can show the brand and offer a co-badged card's choice (docs/payments.md, "SDK answers"). Answered
// from the same IIN table and co-badged cards as tokenization, so the form and the token agree.
import { binFunding, cardNetworks, networkDisplayName } from './cards.ts';
import type { BinData, CardNetwork } from './model.ts';

export interface BinMatch {
  network: CardNetwork;
  displayName: string;
  accountFundingType: BinData['accountFundingType'];
}

/** The SDKs send at most 8 digits. Anything else matches nothing: it may be a whole card number. */
function validBin(bin: string): boolean {
  return /^\d{1,8}$/.test(bin);
}

/** The networks the BIN carries, in the order tokenization would prefer them; empty when none. */
export function binLookup(bin: string): BinMatch[] {
  if (!validBin(bin)) return [];
  const accountFundingType = binFunding(bin);
  return cardNetworks(bin).map((network) => ({ network, displayName: networkDisplayName(network), accountFundingType }));
}

/** `GET /v1/bin-data/{bin}/networks`, the Android SDK's shape. */
export function networksResponse(bin: string): { networks: { displayName: string; value: CardNetwork }[] } {
  return { networks: binLookup(bin).map((m) => ({ displayName: m.displayName, value: m.network })) };
}

/**
 * `GET /v1/bin-data/{bin}`, the iOS SDK's shape. `firstDigits` repeats the BIN only when it is one, so
 * a whole card number sent by mistake is never echoed.
 */
export function binDataResponse(bin: string): { firstDigits?: string; binData: BinMatch[] } {
  const binData = binLookup(bin).map((m) => ({ displayName: m.displayName, network: m.network, accountFundingType: m.accountFundingType }));
  return validBin(bin) ? { firstDigits: bin, binData } : { binData };
}
