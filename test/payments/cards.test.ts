// engines: sqlite
// The test cards and what a card number means (docs/payments.md, "Test cards", "Tokenize", "SDK answers"):
// every row of the table, co-badge choice, binData, card input checks that never echo a value, BIN lookups.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { KassaError } from '../../src/errors.ts';
import { binDataResponse, binLookup, networksResponse } from '../../src/payments/bin-lookup.ts';
import { CARD_PROBLEMS, isExpired, readCard } from '../../src/payments/card-input.ts';
import {
  AUTHENTICATION_FAILED_DECLINE,
  EXPIRED_CARD_DECLINE,
  OTHER_CARD,
  TEST_CARDS,
  binData,
  cardNetworks,
  chooseNetwork,
  formatCardNumber,
  luhnValid,
  networkDisplayName,
  normalizeNumber,
  scenarioByKey,
  scenarioFor,
  testCardRows,
} from '../../src/payments/cards.ts';
import type { CardScenario, StatusReason } from '../../src/payments/model.ts';
import { CARD_NETWORKS } from '../../src/primer/enums.ts';

const NOW = Date.UTC(2026, 10, 25, 9, 0, 0);
const NO_SESSION = {};
const card = (number: string, extra: Record<string, unknown> = {}) => ({
  number,
  cvv: '123',
  expirationMonth: '12',
  expirationYear: '2030',
  ...extra,
});

/** The validationErrors of the 422 readCard throws for `input`. */
function problemsOf(input: unknown, session: { orderedAllowedCardNetworks?: readonly string[] } = NO_SESSION) {
  try {
    readCard(input, session, NOW);
  } catch (error) {
    assert.ok(error instanceof KassaError);
    assert.equal(error.errorId, 'RequestValidationError');
    assert.equal(error.status, 422);
    assert.equal(error.validationErrors?.length, 1);
    assert.equal(error.validationErrors?.[0].model, 'PaymentInstrument');
    return error.validationErrors?.[0].errors ?? [];
  }
  assert.fail('readCard accepted the input');
}

function decline(s: CardScenario): StatusReason {
  assert.equal(s.authorization.result, 'DECLINED');
  return (s.authorization as { reason: StatusReason }).reason;
}

// ----------------------------------------------------------------------------------------------
// The table

test('every test card passes Luhn, appears once, and tokenizes to its own row', () => {
  const seen = new Set<string>();
  for (const row of TEST_CARDS) {
    for (const number of row.numbers) {
      assert.ok(luhnValid(number), number);
      assert.ok(!seen.has(number), `${number} is in two rows`);
      seen.add(number);
      assert.equal(scenarioFor(number), row.scenario);
      assert.deepEqual(readCard(card(number, { cvv: number.startsWith('37') ? '1234' : '123' }), NO_SESSION, NOW).scenario, row.scenario);
      assert.equal(scenarioByKey(row.scenario.key), scenarioFor(number));
    }
  }
  assert.equal(seen.size, 40);
});

test('rows that share a scenario key share the same scenario', () => {
  const byKey = new Map<string, CardScenario>();
  for (const { scenario } of TEST_CARDS) {
    const earlier = byKey.get(scenario.key);
    if (earlier) assert.deepEqual(scenario, earlier);
    byKey.set(scenario.key, scenario);
  }
  assert.ok(!byKey.has(OTHER_CARD.key));
});

test('the Primer sandbox, Amex and Discover cards authorize without 3DS', () => {
  for (const n of [
    '4111111111111111',
    '4242424242424242',
    '5252525252525258',
    '5555555555554444',
    '4035500000000000',
    '5132000000000000',
  ]) {
    assert.deepEqual(scenarioFor(n), scenarioFor('4970000000000008'));
  }
  for (const n of ['4111 1111 1111 1111', '3782 822463 10005', '6011-1111-1111-1117']) {
    const s = scenarioFor(n);
    assert.equal(s.key, 'success');
    assert.deepEqual(s.authorization, { result: 'AUTHORIZED' });
    assert.deepEqual(s.threeDS, { kind: 'none' });
    assert.equal(s.asyncAuthorization || s.asyncCapture || s.refundFails, false);
  }
});

test('generic decline: SOFT DO_NOT_HONOR "05", RETRY_LATER, on Visa and Mastercard', () => {
  for (const n of ['4000000000000002', '5100000000000008']) {
    assert.deepEqual(decline(scenarioFor(n)), {
      type: 'ISSUER_DECLINED',
      declineType: 'SOFT_DECLINE',
      code: 'DO_NOT_HONOR',
      paymentMethodResultCode: '05',
      paymentMethodResultMessage: 'Do not honor',
      advisedAction: 'RETRY_LATER',
    });
  }
});

test('generic fail is FAILED GATEWAY_REJECTED; 4000 0000 0000 0010 passes frictionless 3DS first', () => {
  const mc = scenarioFor('5100000000000016');
  assert.equal(mc.authorization.result, 'FAILED');
  assert.equal(mc.threeDS.kind, 'none');
  const visa = scenarioFor('4000000000000010');
  assert.deepEqual(visa.threeDS, { kind: 'frictionless', result: 'AUTH_SUCCESS' });
  assert.deepEqual(visa.authorization, mc.authorization);
  assert.equal((visa.authorization as { reason: StatusReason }).reason.type, 'GATEWAY_REJECTED');
});

test('the issuer declines carry the code, result code and advised action of their row', () => {
  const expected: [string, string, string, string, string][] = [
    ['4000000000009995', 'SOFT_DECLINE', 'INSUFFICIENT_FUNDS', '51', 'RETRY_LATER'],
    ['4000000000009987', 'HARD_DECLINE', 'LOST_OR_STOLEN_CARD', '41', 'DO_NOT_RETRY'],
    ['4000000000009979', 'HARD_DECLINE', 'LOST_OR_STOLEN_CARD', '43', 'DO_NOT_RETRY'],
    ['4000000000000069', 'HARD_DECLINE', 'EXPIRED_CARD', '54', 'UPDATE_DATA'],
    ['4100000000000019', 'HARD_DECLINE', 'SUSPECTED_FRAUD', '59', 'DO_NOT_RETRY'],
    ['4000000000007049', 'SOFT_DECLINE', 'ISSUER_TEMPORARILY_UNAVAILABLE', '91', 'RETRY_LATER'],
    ['4000000000007056', 'SOFT_DECLINE', 'DO_NOT_HONOR', '05', 'RETRY_LATER'],
  ];
  for (const [number, declineType, code, resultCode, advisedAction] of expected) {
    const reason = decline(scenarioFor(number));
    assert.deepEqual(
      {
        type: reason.type,
        declineType: reason.declineType,
        code: reason.code,
        resultCode: reason.paymentMethodResultCode,
        advisedAction: reason.advisedAction,
      },
      { type: 'ISSUER_DECLINED', declineType, code, resultCode, advisedAction },
      number,
    );
    assert.ok(reason.paymentMethodResultMessage, number);
  }
  assert.deepEqual(decline(scenarioFor('4000000000000069')), EXPIRED_CARD_DECLINE);
});

test('the CVV card declines SOFT with DECLINED, UPDATE_DATA, and reports the CVV check NOT_MATCHED', () => {
  const s = scenarioFor('4000000000000127');
  assert.equal(s.cvvResult, 'NOT_MATCHED');
  const reason = decline(s);
  assert.equal(reason.declineType, 'SOFT_DECLINE');
  assert.equal(reason.code, 'DECLINED');
  assert.equal(reason.advisedAction, 'UPDATE_DATA');
  for (const row of TEST_CARDS) if (row.scenario !== s) assert.equal(row.scenario.cvvResult, 'MATCHED');
});

test('processing error, gateway timeout and non-test cards FAIL with their status reason type', () => {
  assert.deepEqual(scenarioFor('4000000000000119').authorization.result, 'FAILED');
  assert.equal((scenarioFor('4000000000000119').authorization as { reason: StatusReason }).reason.type, 'APPLICATION_ERROR');
  assert.equal((scenarioFor('4000000000007031').authorization as { reason: StatusReason }).reason.type, 'GATEWAY_TIMEOUT');
  assert.equal(scenarioFor('4012888888881881'), OTHER_CARD);
  assert.deepEqual(OTHER_CARD.authorization, {
    result: 'FAILED',
    reason: { type: 'APPLICATION_ERROR', message: 'Not a sandbox test card' },
  });
  assert.equal(readCard(card('4012 8888 8888 1881'), NO_SESSION, NOW).scenario, OTHER_CARD);
  assert.equal(scenarioByKey('other-card'), OTHER_CARD);
  assert.equal(scenarioByKey('no-such-scenario'), undefined);
});

test('3DS cards: frictionless success, frictionless failure (SOFT AUTHENTICATION_REQUIRED), challenges', () => {
  for (const n of ['4929251897047956', '5512459816707531']) {
    assert.deepEqual(scenarioFor(n).threeDS, { kind: 'frictionless', result: 'AUTH_SUCCESS' });
    assert.deepEqual(scenarioFor(n).authorization, { result: 'AUTHORIZED' });
  }
  for (const n of ['4716429323842524', '4000000000000044', '5487971631330522']) {
    assert.deepEqual(scenarioFor(n).threeDS, { kind: 'frictionless', result: 'AUTH_FAILED' });
    assert.deepEqual(decline(scenarioFor(n)), AUTHENTICATION_FAILED_DECLINE);
  }
  assert.equal(AUTHENTICATION_FAILED_DECLINE.declineType, 'SOFT_DECLINE');
  assert.equal(AUTHENTICATION_FAILED_DECLINE.code, 'AUTHENTICATION_REQUIRED');
  for (const n of ['4916994064252017', '4000000000000051', '5306889942833340', '5267648608924299']) {
    assert.deepEqual(scenarioFor(n).threeDS, { kind: 'challenge', defaultResult: 'AUTH_SUCCESS' });
    assert.deepEqual(scenarioFor(n).authorization, { result: 'AUTHORIZED' });
  }
  assert.deepEqual(scenarioFor('4000000000007015').threeDS, { kind: 'challenge', defaultResult: 'AUTH_FAILED' });
  assert.deepEqual(scenarioFor('4000000000007023').threeDS, { kind: 'challenge', defaultResult: 'AUTH_SUCCESS' });
  assert.equal(decline(scenarioFor('4000000000007023')).code, 'INSUFFICIENT_FUNDS');
});

test('Kassa cards: async authorization, async capture, failing refunds, captures, cancels and adjustments', () => {
  assert.equal(scenarioFor('4000000000007007').asyncAuthorization, true);
  assert.deepEqual(scenarioFor('4000000000007007').authorization, { result: 'AUTHORIZED' });
  assert.equal(scenarioFor('4000000000007056').asyncAuthorization, true);
  assert.equal(scenarioFor('4000000000007064').asyncCapture, true);
  assert.equal(scenarioFor('4000000000007072').refundFails, true);
  assert.equal(scenarioFor('4000000000007080').captureFails, true);
  assert.equal(scenarioFor('4000000000007098').cancelFails, true);
  assert.equal(scenarioFor('4000000000007106').adjustFails, true);
  const flagged = TEST_CARDS.filter(
    (r) =>
      r.scenario.asyncAuthorization ||
      r.scenario.asyncCapture ||
      r.scenario.refundFails ||
      r.scenario.captureFails ||
      r.scenario.cancelFails ||
      r.scenario.adjustFails,
  );
  assert.deepEqual(
    flagged.flatMap((r) => r.numbers),
    [
      '4000000000007007',
      '4000000000007056',
      '4000000000007064',
      '4000000000007072',
      '4000000000007080',
      '4000000000007098',
      '4000000000007106',
    ],
  );
});

test('every status reason uses values of Primer enums only', () => {
  const types = ['APPLICATION_ERROR', 'GATEWAY_REJECTED', 'GATEWAY_TIMEOUT', 'ISSUER_DECLINED'];
  const actions = ['RETRY_LATER', 'UPDATE_DATA', 'DO_NOT_RETRY', 'STOP_ALL_PAYMENTS'];
  for (const { scenario } of [...TEST_CARDS, { scenario: OTHER_CARD }]) {
    if (scenario.authorization.result === 'AUTHORIZED') continue;
    const reason = scenario.authorization.reason;
    assert.ok(types.includes(reason.type));
    if (reason.type === 'ISSUER_DECLINED') {
      assert.ok(reason.advisedAction && actions.includes(reason.advisedAction), scenario.key);
      assert.match(reason.paymentMethodResultCode ?? '', /^[0-9A-Z]{2}$/);
    } else {
      assert.ok(reason.message, scenario.key);
      assert.equal(reason.declineType, undefined);
    }
  }
});

test('the docs table: one line per number, grouped like the card, with an outcome', () => {
  const rows = testCardRows();
  assert.equal(rows.length, 40);
  assert.deepEqual(rows[0], { number: '4111 1111 1111 1111', card: 'Visa debit', source: 'Primer sandbox', outcome: 'AUTHORIZED' });
  assert.deepEqual(
    rows.find((r) => r.number === '5132 0000 0000 0000'),
    { number: '5132 0000 0000 0000', card: 'Mastercard / Cartes Bancaires', source: 'Primer sandbox', outcome: 'AUTHORIZED' },
  );
  assert.equal(rows.find((r) => r.number === '3782 822463 10005')?.card, 'American Express');
  assert.equal(rows.find((r) => r.number === '4000 0000 0000 0002')?.outcome, 'DECLINED, SOFT_DECLINE DO_NOT_HONOR "05", RETRY_LATER');
  assert.match(rows.find((r) => r.number === '4000 0000 0000 0127')?.outcome ?? '', /NOT_MATCHED/);
  assert.equal(formatCardNumber('36227206271667'), '3622 720627 1667');
  for (const r of rows) assert.ok(r.outcome.length > 0 && r.source.length > 0);
});

// ----------------------------------------------------------------------------------------------
// Numbers and networks

test('Luhn: the test numbers pass, and changing any one digit fails', () => {
  const numbers = TEST_CARDS.flatMap((r) => r.numbers);
  fc.assert(
    fc.property(fc.constantFrom(...numbers), fc.nat(), fc.integer({ min: 1, max: 9 }), (number, at, delta) => {
      const i = at % number.length;
      const changed = `${number.slice(0, i)}${(Number(number[i]) + delta) % 10}${number.slice(i + 1)}`;
      assert.equal(luhnValid(changed), false);
    }),
  );
  assert.equal(luhnValid('4242424242424241'), false);
  assert.equal(luhnValid('42424242a4242424'), false);
});

test('Luhn: appending the computed check digit to any digits makes a valid number', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 11, maxLength: 18 }), (payload) => {
      const valid = [...'0123456789'].filter((d) => luhnValid(payload + d));
      assert.equal(valid.length, 1);
    }),
  );
});

test('normalizeNumber drops spaces and dashes and wants 12 to 19 digits', () => {
  assert.equal(normalizeNumber('4242 4242-4242 4242'), '4242424242424242');
  assert.equal(normalizeNumber('42424242424'), undefined);
  assert.equal(normalizeNumber('4'.repeat(20)), undefined);
  assert.equal(normalizeNumber('4242.4242.4242.4242'), undefined);
  assert.equal(normalizeNumber('١٢٣٤٥٦٧٨٩٠١٢'), undefined);
});

test('IIN ranges name the international brand; co-badged cards list both networks', () => {
  const cases: [string, string[]][] = [
    ['4111111111111111', ['VISA']],
    ['5555555555554444', ['MASTERCARD']],
    ['2223003122003222', ['MASTERCARD']],
    ['378282246310005', ['AMEX']],
    ['6011111111111117', ['DISCOVER']],
    ['6445644564456445', ['DISCOVER']],
    ['36227206271667', ['DINERS_CLUB']],
    ['3566002020360505', ['JCB']],
    ['6200000000000005', ['UNIONPAY']],
    ['6759649826438453', ['MAESTRO']],
    ['2200000000000004', ['MIR']],
    ['5066991111111118', ['ELO']],
    ['6062826786276634', ['HIPER']],
    ['4035500000000000', ['VISA', 'CARTES_BANCAIRES']],
    ['5132000000000000', ['MASTERCARD', 'CARTES_BANCAIRES']],
    ['4970000000000008', ['CARTES_BANCAIRES', 'VISA']],
    ['9999999999999995', []],
  ];
  for (const [number, networks] of cases) assert.deepEqual(cardNetworks(number), networks, number);
});

test('co-badge choice: preferredNetwork, else the session order, else the international brand', () => {
  const carried = cardNetworks('4035500000000000');
  assert.equal(chooseNetwork(carried, 'CARTES_BANCAIRES', ['VISA']), 'CARTES_BANCAIRES');
  assert.equal(chooseNetwork(carried, undefined, ['AMEX', 'CARTES_BANCAIRES', 'VISA']), 'CARTES_BANCAIRES');
  assert.equal(chooseNetwork(carried, undefined, ['AMEX']), 'VISA');
  assert.equal(chooseNetwork(carried, undefined, undefined), 'VISA');
  assert.equal(chooseNetwork(cardNetworks('4970000000000008'), undefined, undefined), 'CARTES_BANCAIRES');
  assert.equal(chooseNetwork(cardNetworks('4970000000000008'), undefined, ['VISA', 'CARTES_BANCAIRES']), 'VISA');
  assert.equal(chooseNetwork([], undefined, undefined), 'OTHER');

  const tokenized = (extra: Record<string, unknown>, session: { orderedAllowedCardNetworks?: readonly string[] }) =>
    readCard(card('4035 5000 0000 0000', extra), session, NOW).card;
  assert.equal(tokenized({ preferredNetwork: 'CARTES_BANCAIRES' }, NO_SESSION).network, 'Cartes Bancaires');
  assert.equal(tokenized({ preferredNetwork: 'CARTES_BANCAIRES' }, NO_SESSION).binData.network, 'CARTES_BANCAIRES');
  assert.equal(tokenized({}, { orderedAllowedCardNetworks: ['CARTES_BANCAIRES', 'VISA'] }).binData.network, 'CARTES_BANCAIRES');
  assert.equal(tokenized({}, { orderedAllowedCardNetworks: ['NOT_A_NETWORK', 'VISA'] }).binData.network, 'VISA');
  assert.equal(tokenized({}, NO_SESSION).network, 'Visa');
});

test('a preferredNetwork the card does not carry, or not in CardNetworkEnum, is a field error', () => {
  assert.deepEqual(problemsOf(card('4111111111111111', { preferredNetwork: 'MASTERCARD' })), [
    { path: '$.paymentInstrument.preferredNetwork', description: CARD_PROBLEMS.networkNotCarried },
  ]);
  assert.deepEqual(problemsOf(card('4111111111111111', { preferredNetwork: 'HIPERCARD' })), [
    { path: '$.paymentInstrument.preferredNetwork', description: CARD_PROBLEMS.networkEnum },
  ]);
  assert.equal(readCard(card('4111111111111111', { preferredNetwork: 'VISA' }), NO_SESSION, NOW).card.network, 'Visa');
});

test('binData: the network used, funding as the table says, Primer-style product code and name', () => {
  assert.deepEqual(binData('4242424242424242', 'VISA'), {
    network: 'VISA',
    regionalRestriction: 'UNKNOWN',
    accountNumberType: 'PRIMARY_ACCOUNT_NUMBER',
    accountFundingType: 'CREDIT',
    prepaidReloadableIndicator: 'NOT_APPLICABLE',
    productUsageType: 'UNKNOWN',
    productCode: 'VISA',
    productName: 'VISA',
  });
  assert.equal(binData('4111111111111111', 'VISA').accountFundingType, 'DEBIT');
  assert.equal(binData('5252525252525258', 'MASTERCARD').accountFundingType, 'DEBIT');
  assert.equal(binData('5555555555554444', 'MASTERCARD').accountFundingType, 'CREDIT');
  assert.equal(binData('4000000000000002', 'VISA').accountFundingType, 'CREDIT');
  assert.equal(binData('4012888888881881', 'VISA').accountFundingType, 'UNKNOWN');
  assert.equal(binData('5132000000000000', 'CARTES_BANCAIRES').productCode, 'CARTES_BANCAIRES');
});

test('display names', () => {
  assert.deepEqual((['VISA', 'MASTERCARD', 'AMEX', 'DISCOVER', 'CARTES_BANCAIRES'] as const).map(networkDisplayName), [
    'Visa',
    'Mastercard',
    'American Express',
    'Discover',
    'Cartes Bancaires',
  ]);
  for (const n of CARD_NETWORKS) assert.ok(networkDisplayName(n).length > 0, n);
});

// ----------------------------------------------------------------------------------------------
// readCard

test('a good card becomes what a token keeps: no number, no CVV', () => {
  const read = readCard(
    { number: '4242 4242 4242 4242', cvv: '123', expirationMonth: '3', expirationYear: '30', cardholderName: 'Jane Doe' },
    NO_SESSION,
    NOW,
  );
  assert.deepEqual(read.card, {
    first6Digits: '424242',
    last4Digits: '4242',
    expirationMonth: '03',
    expirationYear: '2030',
    cardholderName: 'Jane Doe',
    network: 'Visa',
    isNetworkTokenized: false,
    binData: binData('4242424242424242', 'VISA'),
  });
  assert.equal(read.cvvGiven, true);
  assert.equal(read.bin8, '42424242');
  assert.deepEqual(read.networks, ['VISA']);
  assert.ok(!JSON.stringify(read.card).includes('4242424242424242'));
  assert.ok(!JSON.stringify(read.card).includes('123'));
});

test('expiry: months 1-12 in one or two digits, years in two digits (20YY) or four, a past date accepted', () => {
  const expiry = (m: unknown, y: unknown) => {
    const c = readCard(card('4242424242424242', { expirationMonth: m, expirationYear: y }), NO_SESSION, NOW).card;
    return `${c.expirationMonth}/${c.expirationYear}`;
  };
  assert.equal(expiry('1', '27'), '01/2027');
  assert.equal(expiry('09', '2031'), '09/2031');
  assert.equal(expiry('12', '99'), '12/2099');
  assert.equal(expiry(7, 2029), '07/2029');
  assert.equal(expiry('01', '20'), '01/2020');
  for (const m of ['0', '00', '13', '001', 'ab', '', ' 1', 1.5, -1, true]) {
    assert.deepEqual(
      problemsOf(card('4242424242424242', { expirationMonth: m })),
      [{ path: '$.paymentInstrument.expirationMonth', description: CARD_PROBLEMS.month }],
      String(m),
    );
  }
  for (const y of ['2', '202', '1999', '20301', 'aa', '', 30.5]) {
    assert.deepEqual(
      problemsOf(card('4242424242424242', { expirationYear: y })),
      [{ path: '$.paymentInstrument.expirationYear', description: CARD_PROBLEMS.year }],
      String(y),
    );
  }
});

test('CVV: 3 digits, 4 for American Express, optional', () => {
  assert.equal(readCard(card('378282246310005', { cvv: '1234' }), NO_SESSION, NOW).cvvGiven, true);
  assert.deepEqual(problemsOf(card('378282246310005', { cvv: '123' })), [
    { path: '$.paymentInstrument.cvv', description: CARD_PROBLEMS.cvvAmex },
  ]);
  assert.deepEqual(problemsOf(card('4242424242424242', { cvv: '1234' })), [
    { path: '$.paymentInstrument.cvv', description: CARD_PROBLEMS.cvv },
  ]);
  assert.deepEqual(problemsOf(card('4242424242424242', { cvv: 123 })), [
    { path: '$.paymentInstrument.cvv', description: CARD_PROBLEMS.notAString },
  ]);
  assert.equal(readCard(card('4242424242424242', { cvv: undefined }), NO_SESSION, NOW).cvvGiven, false);
});

test('every bad field is listed at once, at its path', () => {
  const errors = problemsOf({
    number: '4242424242424241',
    cvv: '12',
    expirationMonth: '13',
    expirationYear: '3',
    cardholderName: 'x'.repeat(256),
    preferredNetwork: 'VISAA',
  });
  assert.deepEqual(errors, [
    { path: '$.paymentInstrument.number', description: CARD_PROBLEMS.numberLuhn },
    { path: '$.paymentInstrument.expirationMonth', description: CARD_PROBLEMS.month },
    { path: '$.paymentInstrument.expirationYear', description: CARD_PROBLEMS.year },
    { path: '$.paymentInstrument.cvv', description: CARD_PROBLEMS.cvvUnknownCard },
    { path: '$.paymentInstrument.cardholderName', description: CARD_PROBLEMS.nameLength },
    { path: '$.paymentInstrument.preferredNetwork', description: CARD_PROBLEMS.networkEnum },
  ]);
  assert.deepEqual(problemsOf({}), [
    { path: '$.paymentInstrument.number', description: CARD_PROBLEMS.required },
    { path: '$.paymentInstrument.expirationMonth', description: CARD_PROBLEMS.required },
    { path: '$.paymentInstrument.expirationYear', description: CARD_PROBLEMS.required },
  ]);
  assert.deepEqual(problemsOf(card('4242 4242')), [{ path: '$.paymentInstrument.number', description: CARD_PROBLEMS.numberDigits }]);
  assert.deepEqual(problemsOf(card(4242424242424242 as unknown as string)), [
    { path: '$.paymentInstrument.number', description: CARD_PROBLEMS.notAString },
  ]);
  assert.deepEqual(problemsOf(card('4242424242424242', { cardholderName: 7 })), [
    { path: '$.paymentInstrument.cardholderName', description: CARD_PROBLEMS.notAString },
  ]);
});

test('cards only: a non-object or a non-card instrument is one problem at $.paymentInstrument', () => {
  for (const input of [undefined, null, 'pci-card-form-data', 42, ['4242424242424242']]) {
    assert.deepEqual(problemsOf(input), [{ path: '$.paymentInstrument', description: CARD_PROBLEMS.notAnObject }]);
  }
  assert.deepEqual(problemsOf({ paypalOrderId: 'PAYID-1' }), [{ path: '$.paymentInstrument', description: CARD_PROBLEMS.notACard }]);
  assert.deepEqual(problemsOf({ token: 'apple-pay-token', cvv: '123' }), [
    { path: '$.paymentInstrument', description: CARD_PROBLEMS.notACard },
  ]);
});

test('no error ever holds the number, the CVV or the expiry sent (property)', () => {
  const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
  const separated = fc
    .array(fc.tuple(digits(1, 6), fc.constantFrom('', ' ', '-')), { minLength: 2, maxLength: 6 })
    .map((parts) => parts.map(([d, s]) => d + s).join(''));
  const number = fc.oneof(digits(6, 25), separated);
  const anything = fc.oneof(fc.string(), digits(1, 8), fc.integer(), fc.constant(undefined));
  const allowed = new Set<string>(Object.values(CARD_PROBLEMS));
  fc.assert(
    fc.property(number, digits(3, 8), anything, anything, (n, cvv, month, year) => {
      let thrown: unknown;
      try {
        readCard({ number: n, cvv, expirationMonth: month, expirationYear: year }, NO_SESSION, NOW);
      } catch (error) {
        thrown = error;
      }
      if (thrown === undefined) return;
      assert.ok(thrown instanceof KassaError);
      // Every description is one of the closed list, so none depends on the input.
      for (const e of thrown.validationErrors?.[0].errors ?? []) assert.ok(allowed.has(e.description), e.description);
      const everything = `${JSON.stringify(thrown.validationErrors)} ${thrown.message} ${thrown.detail ?? ''}`;
      const bare = n.replace(/[ -]/g, '');
      if (bare.length >= 6) assert.ok(!everything.includes(bare) && !everything.includes(n));
      if (!allowedDigitRuns.has(cvv)) assert.ok(!everything.includes(cvv));
    }),
  );
});

/** Digit runs the fixed descriptions themselves contain ("255"): a CVV equal to one proves nothing. */
const allowedDigitRuns = new Set(Object.values(CARD_PROBLEMS).flatMap((d) => d.match(/\d{3,}/g) ?? []));

test('isExpired: good through the last day of the expiry month, UTC', () => {
  const c = { expirationMonth: '02', expirationYear: '2028' };
  assert.equal(isExpired(c, Date.UTC(2028, 1, 29, 23, 59, 59, 999)), false);
  assert.equal(isExpired(c, Date.UTC(2028, 2, 1)), true);
  assert.equal(isExpired({ expirationMonth: '12', expirationYear: '2026' }, Date.UTC(2026, 11, 31, 23, 59)), false);
  assert.equal(isExpired({ expirationMonth: '12', expirationYear: '2026' }, Date.UTC(2027, 0, 1)), true);
  const read = readCard(card('4242424242424242', { expirationMonth: '1', expirationYear: '24' }), NO_SESSION, NOW);
  assert.equal(isExpired(read.card, NOW), true);
});

// ----------------------------------------------------------------------------------------------
// BIN lookups

test('BIN lookup, Android shape: {networks: [{displayName, value}]}', () => {
  assert.deepEqual(networksResponse('42424242'), { networks: [{ displayName: 'Visa', value: 'VISA' }] });
  assert.deepEqual(networksResponse('51320000'), {
    networks: [
      { displayName: 'Mastercard', value: 'MASTERCARD' },
      { displayName: 'Cartes Bancaires', value: 'CARTES_BANCAIRES' },
    ],
  });
  assert.deepEqual(networksResponse('99999999'), { networks: [] });
});

test('BIN lookup, iOS shape: {firstDigits, binData: [{displayName, network, accountFundingType}]}', () => {
  assert.deepEqual(binDataResponse('424242'), {
    firstDigits: '424242',
    binData: [{ displayName: 'Visa', network: 'VISA', accountFundingType: 'CREDIT' }],
  });
  assert.deepEqual(binDataResponse('41111111').binData, [{ displayName: 'Visa', network: 'VISA', accountFundingType: 'DEBIT' }]);
  assert.deepEqual(binDataResponse('40355000').binData, [
    { displayName: 'Visa', network: 'VISA', accountFundingType: 'CREDIT' },
    { displayName: 'Cartes Bancaires', network: 'CARTES_BANCAIRES', accountFundingType: 'CREDIT' },
  ]);
  assert.deepEqual(binDataResponse('41234567').binData, [{ displayName: 'Visa', network: 'VISA', accountFundingType: 'UNKNOWN' }]);
});

test('a BIN is up to 8 digits: anything else matches nothing and is not echoed', () => {
  for (const bad of ['', '4242424242424242', '4242-424', 'abc']) {
    assert.deepEqual(binLookup(bad), []);
    assert.deepEqual(binDataResponse(bad), { binData: [] });
    assert.deepEqual(networksResponse(bad), { networks: [] });
  }
  assert.deepEqual(
    binLookup('4970').map((m) => m.network),
    ['VISA'],
  );
  assert.deepEqual(
    binLookup('497000').map((m) => m.network),
    ['CARTES_BANCAIRES', 'VISA'],
  );
});

test('the lookup and tokenization agree on every test card', () => {
  for (const row of TEST_CARDS) {
    for (const number of row.numbers) {
      assert.deepEqual(
        binLookup(number.slice(0, 8)).map((m) => m.network),
        cardNetworks(number),
        number,
      );
    }
  }
});

test('docs/payments.md lists every test card', () => {
  const docs = readFileSync('docs/payments.md', 'utf8');
  for (const row of testCardRows()) assert.ok(docs.includes(`| ${row.number} |`), `${row.number} is missing from docs/payments.md`);
});
