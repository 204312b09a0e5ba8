// What a card number means to the sandbox: the networks it carries (IIN ranges plus the co-badged
// test cards), the network a tokenization uses, the binData Kassa derives, and the one table of test
// cards with the outcome each asks for (docs/payments.md, "Test cards"). Pure data and functions: the
// number is read here and never kept; tokens keep the scenario's key.
import { CARD_NETWORKS } from '../primer/enums.ts';
import type { AdvisedAction, BinData, CardNetwork, CardScenario, DeclineCode, DeclineType, StatusReason } from './model.ts';

// ---------------------------------------------------------------------------------------------
// Numbers

/** The Luhn (mod 10) check every real card number passes. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The digits of a card number as people type it (spaces and dashes dropped), if 12 to 19 remain. */
export function normalizeNumber(raw: string): string | undefined {
  const digits = raw.replace(/[ -]/g, '');
  return /^\d{12,19}$/.test(digits) ? digits : undefined;
}

// ---------------------------------------------------------------------------------------------
// Networks

/** CardNetworkEnum's values, the only ones Kassa accepts from a client or writes in binData. */
const ENUM_NETWORKS: ReadonlySet<CardNetwork> = new Set<CardNetwork>(CARD_NETWORKS);

export function isCardNetwork(value: unknown): value is CardNetwork {
  return typeof value === 'string' && ENUM_NETWORKS.has(value as CardNetwork);
}

/**
 * IIN ranges: first digits `from`..`to` (same length) → network. The longest matching prefix wins,
 * so Elo's and Hiper's six-digit ranges inside Visa's 4, Maestro's 50 or Discover's 65 name the card.
 */
const IIN_RANGES: readonly (readonly [from: string, to: string, network: CardNetwork])[] = [
  ['4', '4', 'VISA'],
  ['51', '55', 'MASTERCARD'],
  ['2221', '2720', 'MASTERCARD'],
  ['34', '34', 'AMEX'],
  ['37', '37', 'AMEX'],
  ['6011', '6011', 'DISCOVER'],
  ['644', '649', 'DISCOVER'],
  ['65', '65', 'DISCOVER'],
  ['36', '36', 'DINERS_CLUB'],
  ['300', '305', 'DINERS_CLUB'],
  ['38', '39', 'DINERS_CLUB'],
  ['3528', '3589', 'JCB'],
  ['62', '62', 'UNIONPAY'],
  ['50', '50', 'MAESTRO'],
  ['56', '58', 'MAESTRO'],
  ['6304', '6304', 'MAESTRO'],
  ['6759', '6759', 'MAESTRO'],
  ['676770', '676770', 'MAESTRO'],
  ['676774', '676774', 'MAESTRO'],
  ['5019', '5019', 'DANKORT'],
  ['2200', '2204', 'MIR'],
  ['401178', '401179', 'ELO'],
  ['431274', '431274', 'ELO'],
  ['438935', '438935', 'ELO'],
  ['451416', '451416', 'ELO'],
  ['457393', '457393', 'ELO'],
  ['457631', '457632', 'ELO'],
  ['504175', '504175', 'ELO'],
  ['506699', '506778', 'ELO'],
  ['509000', '509999', 'ELO'],
  ['627780', '627780', 'ELO'],
  ['636297', '636297', 'ELO'],
  ['636368', '636368', 'ELO'],
  ['650031', '650033', 'ELO'],
  ['650035', '650051', 'ELO'],
  ['650405', '650439', 'ELO'],
  ['650485', '650538', 'ELO'],
  ['650541', '650598', 'ELO'],
  ['650700', '650718', 'ELO'],
  ['650720', '650727', 'ELO'],
  ['650901', '650978', 'ELO'],
  ['651652', '651679', 'ELO'],
  ['655000', '655019', 'ELO'],
  ['655021', '655058', 'ELO'],
  ['606282', '606282', 'HIPER'],
  ['637095', '637095', 'HIPER'],
  ['637568', '637568', 'HIPER'],
  ['637599', '637599', 'HIPER'],
  ['637609', '637609', 'HIPER'],
  ['637612', '637612', 'HIPER'],
  ['63737423', '63737423', 'HIPER'],
  ['63743358', '63743358', 'HIPER'],
];

/**
 * The co-badged test cards' BINs (docs/payments.md, "Test cards"), networks in the order Kassa
 * presents them: the international brand, then Cartes Bancaires; the card Primer lists as CB only
 * puts CB first, so it is used as CB unless the shopper or the session asks for Visa.
 */
const CO_BADGED_BINS: readonly (readonly [prefix: string, networks: readonly CardNetwork[]])[] = [
  ['403550', ['VISA', 'CARTES_BANCAIRES']],
  ['513200', ['MASTERCARD', 'CARTES_BANCAIRES']],
  ['497000', ['CARTES_BANCAIRES', 'VISA']],
];

/**
 * The networks a card number, or its first digits (a BIN), carries; the first is the one used when
 * neither the shopper nor the session chooses. Empty when no range matches.
 */
export function cardNetworks(number: string): CardNetwork[] {
  for (const [prefix, networks] of CO_BADGED_BINS) {
    if (number.length >= prefix.length && number.startsWith(prefix)) return [...networks];
  }
  let best: CardNetwork | undefined;
  let bestLength = 0;
  for (const [from, to, network] of IIN_RANGES) {
    if (from.length <= bestLength || number.length < from.length) continue;
    const head = number.slice(0, from.length);
    if (head >= from && head <= to) {
      best = network;
      bestLength = from.length;
    }
  }
  return best ? [best] : [];
}

/**
 * The network a tokenization uses: the shopper's preferredNetwork when the card carries it, else the
 * first of the session's orderedAllowedCardNetworks the card carries, else the card's first network
 * (its international brand) (docs/payments.md, "Tokenize"). A number no range knows is OTHER.
 */
export function chooseNetwork(
  carried: readonly CardNetwork[],
  preferred: CardNetwork | undefined,
  sessionOrder: readonly CardNetwork[] | undefined,
): CardNetwork {
  if (preferred !== undefined && carried.includes(preferred)) return preferred;
  const allowed = sessionOrder?.find((n) => carried.includes(n));
  return allowed ?? carried[0] ?? 'OTHER';
}

/** The names shoppers know, written in `paymentInstrumentData.network` and the BIN lookups. */
const DISPLAY_NAMES: Readonly<Record<CardNetwork, string>> = {
  VISA: 'Visa',
  MASTERCARD: 'Mastercard',
  AMEX: 'American Express',
  DISCOVER: 'Discover',
  CARTES_BANCAIRES: 'Cartes Bancaires',
  DINERS_CLUB: 'Diners Club',
  JCB: 'JCB',
  MAESTRO: 'Maestro',
  UNIONPAY: 'UnionPay',
  ELO: 'Elo',
  HIPER: 'Hiper',
  HIPERCARD: 'Hipercard',
  MIR: 'Mir',
  INTERAC: 'Interac',
  DANKORT: 'Dankort',
  EFTPOS: 'EFTPOS',
  ENROUTE: 'enRoute',
  PRIVATE_LABEL: 'Private Label',
  OTHER: 'Other',
};

export function networkDisplayName(n: CardNetwork): string {
  return DISPLAY_NAMES[n];
}

// ---------------------------------------------------------------------------------------------
// Outcomes

function decline(
  declineType: DeclineType,
  code: DeclineCode,
  paymentMethodResultCode: string,
  paymentMethodResultMessage: string,
  advisedAction: AdvisedAction,
): StatusReason {
  return { type: 'ISSUER_DECLINED', declineType, code, paymentMethodResultCode, paymentMethodResultMessage, advisedAction };
}

// Codes and messages follow Primer's decline mapping standard (Visa/Mastercard raw codes). Which card
// gets which is Kassa's choice (docs/payments.md, "Test cards").
const DO_NOT_HONOR = decline('SOFT_DECLINE', 'DO_NOT_HONOR', '05', 'Do not honor', 'RETRY_LATER');
const INSUFFICIENT_FUNDS = decline('SOFT_DECLINE', 'INSUFFICIENT_FUNDS', '51', 'Insufficient funds', 'RETRY_LATER');

/** A past expiry at payment time declines any card, test card or not. */
export const EXPIRED_CARD_DECLINE: StatusReason = decline('HARD_DECLINE', 'EXPIRED_CARD', '54', 'Expired card', 'UPDATE_DATA');

/**
 * A failed 3DS authentication (frictionless or challenge). Primer's AdvisedActionEnum has no "retry
 * with authentication": UPDATE_DATA is the closest, since the retry needs something the payment
 * lacked rather than time.
 */
export const AUTHENTICATION_FAILED_DECLINE: StatusReason = decline(
  'SOFT_DECLINE',
  'AUTHENTICATION_REQUIRED',
  '1A',
  'Additional customer authentication required',
  'UPDATE_DATA',
);

const NO_3DS = { kind: 'none' } as const;
const AUTHORIZED = { result: 'AUTHORIZED' } as const;

function scenario(key: string, parts: Partial<Omit<CardScenario, 'key'>> = {}): CardScenario {
  return {
    key,
    threeDS: NO_3DS,
    authorization: AUTHORIZED,
    asyncAuthorization: false,
    asyncCapture: false,
    refundFails: false,
    captureFails: false,
    cancelFails: false,
    adjustFails: false,
    cvvResult: 'MATCHED',
    ...parts,
  };
}

const declined = (reason: StatusReason) => ({ result: 'DECLINED', reason }) as const;
const failed = (type: StatusReason['type'], message: string) => ({ result: 'FAILED', reason: { type, message } }) as const;

const SUCCESS = scenario('success');
const GENERIC_FAIL_MESSAGE = 'The processor rejected the payment';

/** Any Luhn-valid number that is not in TEST_CARDS: it tokenizes, and every payment with it fails. */
export const OTHER_CARD: CardScenario = scenario('other-card', { authorization: failed('APPLICATION_ERROR', 'Not a sandbox test card') });

export interface TestCardRow {
  /** Digits only. */
  numbers: readonly string[];
  /** Where the numbers come from. */
  source: string;
  scenario: CardScenario;
  /** The funding types the source states, by number; other test cards are CREDIT. */
  funding?: Readonly<Record<string, 'DEBIT' | 'CREDIT'>>;
}

/**
 * The test cards, one row per outcome. A number appears once; rows that share a key share the
 * scenario. 4000 0000 0000 0010 is Primer's "generic fail" and its apps' frictionless-success 3DS
 * card: the two layers stack (3DS first, then authorization), so it has a row of its own.
 */
export const TEST_CARDS: readonly TestCardRow[] = [
  {
    numbers: [
      '4111111111111111',
      '4242424242424242',
      '5252525252525258',
      '5555555555554444',
      '4035500000000000',
      '5132000000000000',
      '4970000000000008',
    ],
    source: 'Primer sandbox',
    scenario: SUCCESS,
    funding: { '4111111111111111': 'DEBIT', '4242424242424242': 'CREDIT', '5252525252525258': 'DEBIT', '5555555555554444': 'CREDIT' },
  },
  { numbers: ['378282246310005', '6011111111111117'], source: 'Stripe, Hyperswitch', scenario: SUCCESS },
  {
    numbers: ['4000000000000002', '5100000000000008'],
    source: 'Primer "generic decline"',
    scenario: scenario('generic-decline', { authorization: declined(DO_NOT_HONOR) }),
  },
  {
    numbers: ['5100000000000016'],
    source: 'Primer "generic fail"',
    scenario: scenario('generic-fail', { authorization: failed('GATEWAY_REJECTED', GENERIC_FAIL_MESSAGE) }),
  },
  {
    numbers: ['4000000000000010'],
    source: 'Primer "generic fail", and 3DS frictionless success in apps',
    scenario: scenario('3ds-frictionless-success-generic-fail', {
      threeDS: { kind: 'frictionless', result: 'AUTH_SUCCESS' },
      authorization: failed('GATEWAY_REJECTED', GENERIC_FAIL_MESSAGE),
    }),
  },
  {
    numbers: ['4000000000009995'],
    source: 'Stripe, Hyperswitch',
    scenario: scenario('insufficient-funds', { authorization: declined(INSUFFICIENT_FUNDS) }),
  },
  {
    numbers: ['4000000000009987'],
    source: 'Stripe, Hyperswitch',
    scenario: scenario('lost-card', {
      authorization: declined(decline('HARD_DECLINE', 'LOST_OR_STOLEN_CARD', '41', 'Lost card', 'DO_NOT_RETRY')),
    }),
  },
  {
    numbers: ['4000000000009979'],
    source: 'Stripe, Hyperswitch',
    scenario: scenario('stolen-card', {
      authorization: declined(decline('HARD_DECLINE', 'LOST_OR_STOLEN_CARD', '43', 'Stolen card', 'DO_NOT_RETRY')),
    }),
  },
  {
    numbers: ['4000000000000069'],
    source: 'Stripe',
    scenario: scenario('expired-card', { authorization: declined(EXPIRED_CARD_DECLINE) }),
  },
  {
    numbers: ['4000000000000127'],
    source: 'Stripe',
    scenario: scenario('cvv-decline', {
      authorization: declined(decline('SOFT_DECLINE', 'DECLINED', 'N7', 'Decline for CVV2 failure', 'UPDATE_DATA')),
      cvvResult: 'NOT_MATCHED',
    }),
  },
  {
    numbers: ['4100000000000019'],
    source: 'Stripe',
    scenario: scenario('suspected-fraud', {
      authorization: declined(decline('HARD_DECLINE', 'SUSPECTED_FRAUD', '59', 'Suspected fraud', 'DO_NOT_RETRY')),
    }),
  },
  {
    numbers: ['4000000000000119'],
    source: 'Stripe',
    scenario: scenario('processing-error', { authorization: failed('APPLICATION_ERROR', 'The processor could not process the payment') }),
  },
  {
    numbers: ['4000000000007031'],
    source: 'Kassa',
    scenario: scenario('gateway-timeout', { authorization: failed('GATEWAY_TIMEOUT', 'The processor did not answer in time') }),
  },
  {
    numbers: ['4000000000007049'],
    source: 'Kassa',
    scenario: scenario('issuer-unavailable', {
      authorization: declined(
        decline('SOFT_DECLINE', 'ISSUER_TEMPORARILY_UNAVAILABLE', '91', 'Issuer unavailable or switch inoperative', 'RETRY_LATER'),
      ),
    }),
  },
  {
    numbers: ['4929251897047956', '5512459816707531'],
    source: 'Primer 3DS frictionless success',
    scenario: scenario('3ds-frictionless-success', { threeDS: { kind: 'frictionless', result: 'AUTH_SUCCESS' } }),
  },
  {
    // The authorization is never reached; it is the 3DS decline too, so the row reads as its outcome.
    numbers: ['4716429323842524', '4000000000000044', '5487971631330522'],
    source: 'Primer 3DS frictionless failure',
    scenario: scenario('3ds-frictionless-failure', {
      threeDS: { kind: 'frictionless', result: 'AUTH_FAILED' },
      authorization: declined(AUTHENTICATION_FAILED_DECLINE),
    }),
  },
  {
    numbers: ['4916994064252017', '4000000000000051', '5306889942833340', '5267648608924299'],
    source: 'Primer 3DS challenge',
    scenario: scenario('3ds-challenge', { threeDS: { kind: 'challenge', defaultResult: 'AUTH_SUCCESS' } }),
  },
  {
    numbers: ['4000000000007015'],
    source: 'Kassa',
    scenario: scenario('3ds-challenge-fails', { threeDS: { kind: 'challenge', defaultResult: 'AUTH_FAILED' } }),
  },
  {
    numbers: ['4000000000007023'],
    source: 'Kassa',
    scenario: scenario('3ds-challenge-insufficient-funds', {
      threeDS: { kind: 'challenge', defaultResult: 'AUTH_SUCCESS' },
      authorization: declined(INSUFFICIENT_FUNDS),
    }),
  },
  { numbers: ['4000000000007007'], source: 'Kassa', scenario: scenario('async-authorized', { asyncAuthorization: true }) },
  {
    numbers: ['4000000000007056'],
    source: 'Kassa',
    scenario: scenario('async-declined', { asyncAuthorization: true, authorization: declined(DO_NOT_HONOR) }),
  },
  { numbers: ['4000000000007064'], source: 'Kassa', scenario: scenario('async-capture', { asyncCapture: true }) },
  { numbers: ['4000000000007072'], source: 'Kassa', scenario: scenario('refund-fails', { refundFails: true }) },
  { numbers: ['4000000000007080'], source: 'Kassa', scenario: scenario('capture-fails', { captureFails: true }) },
  { numbers: ['4000000000007098'], source: 'Kassa', scenario: scenario('cancel-fails', { cancelFails: true }) },
  { numbers: ['4000000000007106'], source: 'Kassa', scenario: scenario('adjust-fails', { adjustFails: true }) },
];

const ROW_BY_NUMBER = new Map<string, TestCardRow>(TEST_CARDS.flatMap((row) => row.numbers.map((n) => [n, row] as const)));
const SCENARIO_BY_KEY = new Map<string, CardScenario>([
  ...TEST_CARDS.map((row) => [row.scenario.key, row.scenario] as const),
  [OTHER_CARD.key, OTHER_CARD],
]);

/** The row of a test card number (digits only), if it is one. */
export function findTestCard(digits: string): TestCardRow | undefined {
  return ROW_BY_NUMBER.get(digits);
}

/** What a card number asks for: its test card's scenario, else OTHER_CARD. */
export function scenarioFor(number: string): CardScenario {
  return findTestCard(number.replace(/[ -]/g, ''))?.scenario ?? OTHER_CARD;
}

/** A token's stored scenario key back to its scenario. */
export function scenarioByKey(key: string): CardScenario | undefined {
  return SCENARIO_BY_KEY.get(key);
}

// ---------------------------------------------------------------------------------------------
// binData

/** The funding type of a whole number: what the source states, CREDIT for other test cards, else UNKNOWN. */
function fundingOf(digits: string): BinData['accountFundingType'] {
  const row = findTestCard(digits);
  if (!row) return 'UNKNOWN';
  return row.funding?.[digits] ?? 'CREDIT';
}

/**
 * The funding type of a BIN: that of the test cards it begins, when they agree; UNKNOWN when they do
 * not (4 begins Visa debit and credit cards) or when it begins none.
 */
export function binFunding(bin: string): BinData['accountFundingType'] {
  const found = new Set<BinData['accountFundingType']>();
  for (const digits of ROW_BY_NUMBER.keys()) if (digits.startsWith(bin)) found.add(fundingOf(digits));
  return found.size === 1 ? [...found][0] : 'UNKNOWN';
}

/** Primer's BinDataAPISchema for a card used on `network`, derived from the number alone. */
export function binData(number: string, network: CardNetwork): BinData {
  return {
    network,
    regionalRestriction: 'UNKNOWN',
    accountNumberType: 'PRIMARY_ACCOUNT_NUMBER',
    accountFundingType: fundingOf(number),
    prepaidReloadableIndicator: 'NOT_APPLICABLE',
    productUsageType: 'UNKNOWN',
    productCode: network,
    productName: network,
  };
}

// ---------------------------------------------------------------------------------------------
// The table as docs show it

/** Grouped as printed on the card: 15 and 14 digits (American Express, Diners Club) 4-6-5 and 4-6-4, others by fours. */
export function formatCardNumber(digits: string): string {
  if (digits.length === 15 || digits.length === 14) return `${digits.slice(0, 4)} ${digits.slice(4, 10)} ${digits.slice(10)}`;
  return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
}

function describeReason(reason: StatusReason): string {
  if (reason.type !== 'ISSUER_DECLINED') return `FAILED, ${reason.type}, "${reason.message}"`;
  return `DECLINED, ${reason.declineType} ${reason.code} "${reason.paymentMethodResultCode}", ${reason.advisedAction}`;
}

function describeAuthorization(s: CardScenario): string {
  const a = s.authorization;
  return a.result === 'AUTHORIZED' ? 'AUTHORIZED' : describeReason(a.reason);
}

/** One sentence from the scenario, so the docs cannot drift from what Kassa does. */
export function describeScenario(s: CardScenario): string {
  const steps: string[] = [];
  if (s.threeDS.kind === 'frictionless' && s.threeDS.result === 'AUTH_FAILED') {
    steps.push(`3DS AUTH_FAILED without challenge, then ${describeReason(AUTHENTICATION_FAILED_DECLINE)}`);
  } else {
    if (s.threeDS.kind === 'frictionless') steps.push('3DS AUTH_SUCCESS without challenge');
    if (s.threeDS.kind === 'challenge') {
      steps.push(
        s.threeDS.defaultResult === 'AUTH_SUCCESS'
          ? 'PENDING with a 3DS challenge that succeeds unless failed'
          : `PENDING with a 3DS challenge that fails unless passed (failed: ${describeReason(AUTHENTICATION_FAILED_DECLINE)})`,
      );
    }
    if (s.asyncAuthorization) steps.push('PENDING while authorization runs');
    steps.push(describeAuthorization(s));
  }
  let text = steps.join(', then ');
  if (s.cvvResult === 'NOT_MATCHED') text += '; CVV check NOT_MATCHED';
  if (s.asyncCapture) text += '; every capture goes through SETTLING';
  if (s.refundFails) text += '; every refund ends FAILED (PAYMENT.REFUND and PAYMENT.REFUND.FAILED)';
  if (s.captureFails) text += '; every capture fails, the payment stays AUTHORIZED (PAYMENT.CAPTURE.FAILED)';
  if (s.cancelFails) text += '; every cancel fails, the payment stays as it was (PAYMENT.CANCELLATION.FAILED)';
  if (s.adjustFails) text += '; every authorization adjustment fails, the amount stays (PAYMENT.AUTHORIZATION_ADJUSTMENT.FAILED)';
  return text;
}

/** What the card is, as the test-card table says it: "Visa debit", "Mastercard / Cartes Bancaires". */
function describeCard(digits: string, row: TestCardRow): string {
  const names = cardNetworks(digits).map(networkDisplayName).join(' / ');
  const funding = row.funding?.[digits];
  return funding ? `${names} ${funding.toLowerCase()}` : names;
}

/** The test cards, one line per number, for the README and docs/payments.md. */
export function testCardRows(): { number: string; card: string; source: string; outcome: string }[] {
  return TEST_CARDS.flatMap((row) =>
    row.numbers.map((digits) => ({
      number: formatCardNumber(digits),
      card: describeCard(digits, row),
      source: row.source,
      outcome: describeScenario(row.scenario),
    })),
  );
}
