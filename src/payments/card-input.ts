// The card of a tokenize request, checked field by field and reduced to what a token may keep
// (docs/payments.md, "Tokenize"). Every bad field is reported at once, at its path, and no
// description ever carries what was sent: card numbers, CVVs and expiry dates must not reach error
// bodies or logs (docs/payments.md, "Card data"). Descriptions are therefore constants.
import { validationError, type FieldError } from '../errors.ts';
import { CARD_NETWORKS } from '../primer/enums.ts';
import {
  binData,
  cardNetworks,
  chooseNetwork,
  isCardNetwork,
  luhnValid,
  networkDisplayName,
  normalizeNumber,
  scenarioFor,
} from './cards.ts';
import type { CardData, CardNetwork, CardScenario } from './model.ts';

/** Every description readCard can give: closed, so none can hold a submitted value. */
export const CARD_PROBLEMS = {
  notACard:
    'Not a payment instrument Kassa knows: send a card (number, expirationMonth, expirationYear, cvv), an OFF_SESSION_PAYMENT, a wallet payload, a PayPal order or billing agreement, or a Klarna token',
  notAnObject: 'Value must be an object holding a payment card',
  required: 'Field required',
  notAString: 'Value must be a valid string',
  numberDigits: 'A card number has 12 to 19 digits (spaces and dashes are ignored)',
  numberLuhn: 'Not a valid card number: the check digit does not match (Luhn)',
  month: 'A month from 1 to 12, written with one or two digits',
  year: 'A year written with two digits (YY, for 20YY) or four (20YY)',
  cvv: 'The CVV has 3 digits',
  cvvAmex: 'The CVV of an American Express card has 4 digits',
  cvvUnknownCard: 'The CVV has 3 digits, or 4 for American Express',
  nameLength: 'Ensure this value has at most 255 characters',
  networkEnum: `Value is not a valid enumeration member; permitted: ${CARD_NETWORKS.map((n) => JSON.stringify(n)).join(', ')}`,
  networkNotCarried: 'The card does not carry this network: send one of the networks its BIN lists',
} as const;

const CARD_FIELDS = new Set(['number', 'cvv', 'expirationMonth', 'expirationYear', 'cardholderName', 'preferredNetwork']);

export interface ReadCard {
  /** What the token keeps. */
  card: CardData;
  scenario: CardScenario;
  /** Every network the card carries, the one used first among them only if nobody chose. */
  networks: CardNetwork[];
  cvvGiven: boolean;
  /** The first 8 digits, for the BIN lookup only: never stored. */
  bin8: string;
  /** The keyed hash of the number `fingerprintOf` gives (one saved card per card): never the number. */
  fingerprint?: string;
}

const path = (field: string) => `$.paymentInstrument.${field}`;
const absent = (v: unknown) => v === undefined || v === null;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Month and year are strings in both SDKs; an integer is taken as its digits too, as Primer's own
 * request models coerce it.
 */
function digitsOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return String(v);
  return undefined;
}

function readMonth(v: unknown, problems: FieldError[]): string | undefined {
  if (absent(v)) {
    problems.push({ path: path('expirationMonth'), description: CARD_PROBLEMS.required });
    return undefined;
  }
  const s = digitsOf(v);
  const month = s !== undefined && /^\d{1,2}$/.test(s) ? Number(s) : 0;
  if (month >= 1 && month <= 12) return String(month).padStart(2, '0');
  problems.push({ path: path('expirationMonth'), description: CARD_PROBLEMS.month });
  return undefined;
}

function readYear(v: unknown, problems: FieldError[]): string | undefined {
  if (absent(v)) {
    problems.push({ path: path('expirationYear'), description: CARD_PROBLEMS.required });
    return undefined;
  }
  const s = digitsOf(v);
  // Two digits are 20YY (Android passes on what the shopper typed after "/", iOS sends four); four
  // must be 20YY too, so "99" and "2099" are the same card.
  if (s !== undefined && /^\d{2}$/.test(s)) return `20${s}`;
  if (s !== undefined && /^20\d{2}$/.test(s)) return s;
  problems.push({ path: path('expirationYear'), description: CARD_PROBLEMS.year });
  return undefined;
}

/**
 * The tokenize request's `paymentInstrument`, checked (docs/payments.md, "Tokenize"), or a 422
 * RequestValidationError listing every bad field. A past expiry is accepted: it declines at payment
 * (isExpired). `now` is not needed for that; it is taken so the caller's clock stays the only one.
 */
export function readCard(
  input: unknown,
  session: { orderedAllowedCardNetworks?: readonly string[] },
  _now: number,
  fingerprintOf?: (digits: string) => string,
): ReadCard {
  if (!isRecord(input))
    throw validationError('PaymentInstrument', [{ path: '$.paymentInstrument', description: CARD_PROBLEMS.notAnObject }]);
  // A PayPal, wallet or other instrument has no number but fields a card never has (cards only).
  if (absent(input.number) && Object.keys(input).some((k) => !CARD_FIELDS.has(k))) {
    throw validationError('PaymentInstrument', [{ path: '$.paymentInstrument', description: CARD_PROBLEMS.notACard }]);
  }
  const problems: FieldError[] = [];

  let digits: string | undefined;
  if (absent(input.number)) problems.push({ path: path('number'), description: CARD_PROBLEMS.required });
  else if (typeof input.number !== 'string') problems.push({ path: path('number'), description: CARD_PROBLEMS.notAString });
  else {
    const normalized = normalizeNumber(input.number);
    if (normalized === undefined) problems.push({ path: path('number'), description: CARD_PROBLEMS.numberDigits });
    else if (!luhnValid(normalized)) problems.push({ path: path('number'), description: CARD_PROBLEMS.numberLuhn });
    else digits = normalized;
  }
  const carried = digits === undefined ? undefined : cardNetworks(digits);

  const expirationMonth = readMonth(input.expirationMonth, problems);
  const expirationYear = readYear(input.expirationYear, problems);

  const cvvGiven = !absent(input.cvv);
  if (cvvGiven) {
    const amex = carried?.includes('AMEX');
    const pattern = amex === undefined ? /^\d{3,4}$/ : amex ? /^\d{4}$/ : /^\d{3}$/;
    if (typeof input.cvv !== 'string') problems.push({ path: path('cvv'), description: CARD_PROBLEMS.notAString });
    else if (!pattern.test(input.cvv)) {
      const description = amex === undefined ? CARD_PROBLEMS.cvvUnknownCard : amex ? CARD_PROBLEMS.cvvAmex : CARD_PROBLEMS.cvv;
      problems.push({ path: path('cvv'), description });
    }
  }

  let cardholderName: string | undefined;
  if (!absent(input.cardholderName)) {
    if (typeof input.cardholderName !== 'string') problems.push({ path: path('cardholderName'), description: CARD_PROBLEMS.notAString });
    else if (input.cardholderName.length > 255) problems.push({ path: path('cardholderName'), description: CARD_PROBLEMS.nameLength });
    else if (input.cardholderName !== '') cardholderName = input.cardholderName;
  }

  let preferred: CardNetwork | undefined;
  if (!absent(input.preferredNetwork)) {
    if (!isCardNetwork(input.preferredNetwork)) problems.push({ path: path('preferredNetwork'), description: CARD_PROBLEMS.networkEnum });
    else if (carried !== undefined && !carried.includes(input.preferredNetwork)) {
      problems.push({ path: path('preferredNetwork'), description: CARD_PROBLEMS.networkNotCarried });
    } else preferred = input.preferredNetwork;
  }

  if (problems.length > 0 || digits === undefined || carried === undefined || !expirationMonth || !expirationYear) {
    throw validationError('PaymentInstrument', problems);
  }

  const sessionOrder = session.orderedAllowedCardNetworks?.filter(isCardNetwork);
  const network = chooseNetwork(carried, preferred, sessionOrder);
  const card: CardData = {
    first6Digits: digits.slice(0, 6),
    last4Digits: digits.slice(-4),
    expirationMonth,
    expirationYear,
    ...(cardholderName !== undefined ? { cardholderName } : {}),
    network: networkDisplayName(network),
    isNetworkTokenized: false,
    binData: binData(digits, network),
  };
  return {
    card,
    scenario: scenarioFor(digits),
    networks: carried,
    cvvGiven,
    bin8: digits.slice(0, 8),
    ...(fingerprintOf ? { fingerprint: fingerprintOf(digits) } : {}),
  };
}

/** A card is good through the last day of its expiry month (UTC) and expired from the next month on. */
export function isExpired(card: Pick<CardData, 'expirationMonth' | 'expirationYear'>, now: number): boolean {
  // Date.UTC's month is 0-based, so the 1-based expiry month is the first month after it.
  const firstInstantAfter = Date.UTC(Number(card.expirationYear), Number(card.expirationMonth), 1);
  return now >= firstInstantAfter;
}
