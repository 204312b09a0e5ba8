// engines: sqlite, postgres
// The SDK side of the payments sandbox (docs/payments.md, "Tokenize", "Vault", "3DS", "SDK answers"): tokenize with every
// field rule, the SDK's vault, POST /payments in the shape both mobile decoders accept, 3DS through
// /3ds/{token}/continue and resume, and the BIN lookups. Calls carry Primer-Client-Token only.
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { defaultCheckoutConfig } from '../../src/checkout/configuration.ts';
import { SDK_REQUEST_HEADERS } from '../../src/http/cors.ts';
import { sdkHeaders } from '../checkout/support.ts';
import { loggerOptions } from '../../src/http/observability.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import {
  api,
  assertError,
  card,
  CARDS,
  claimsOf,
  DATE,
  errorPaths,
  ORDER,
  pay,
  type Res,
  sdk,
  tokenFor,
  tokenize,
  UUID,
  VISA_CARD_DATA,
} from './support.ts';

const TOKEN = /^tok_[0-9A-Za-z]{24}$/;
const VAULTED_ID = /^vpm_[0-9A-Za-z]{24}$/;

/** The body without its diagnosticsId (a random UUID, which could hold any short run of digits). */
const withoutDiagnostics = (res: Res) => {
  const body = res.json() as { error: Record<string, unknown> };
  const { diagnosticsId: _d, ...error } = body.error;
  return JSON.stringify(error);
};

describe('SDK payments', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  const instrument = (accessToken: string, paymentInstrument: unknown, extra: Record<string, unknown> = {}) =>
    sdk(t, accessToken, 'POST', '/payment-instruments', { paymentInstrument, ...extra });

  describe('POST /payment-instruments (tokenize)', () => {
    test('a card becomes a SINGLE_USE token in the tokenize shape, with the fields Android requires', async () => {
      const s = await createSession(t, ORDER);
      const res = await instrument(s.accessToken, card(CARDS.visa, { cardholderName: 'Jane Doe' }));
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as Record<string, any>;
      assert.match(body.token, TOKEN);
      assert.match(body.analyticsId, /^an_[0-9A-Za-z]+$/);
      assert.deepEqual(body, {
        token: body.token,
        tokenType: 'SINGLE_USE',
        analyticsId: body.analyticsId,
        isVaulted: false,
        paymentInstrumentType: 'PAYMENT_CARD',
        paymentMethodType: 'PAYMENT_CARD',
        paymentInstrumentData: { ...VISA_CARD_DATA, cardholderName: 'Jane Doe' },
        threeDSecureAuthentication: { responseCode: 'NOT_PERFORMED' },
      });
      // Android's decoder fails without these.
      for (const field of ['token', 'paymentInstrumentType', 'analyticsId', 'tokenType']) assert.ok(res.json()[field], field);
      // Never the number or the CVV.
      assert.ok(!res.body.includes(CARDS.visa));
    });

    test('tokenize takes no idempotency key and keeps no request record: the same request twice makes two tokens', async () => {
      const s = await createSession(t, ORDER);
      const body = { paymentInstrument: card(CARDS.visa) };
      const key = { 'x-idempotency-key': 'tokenize-twice' };
      const first = await sdk(t, s.accessToken, 'POST', '/payment-instruments', body, key);
      const second = await sdk(t, s.accessToken, 'POST', '/payment-instruments', body, key);
      assert.equal(first.statusCode, 200, first.body);
      assert.equal(second.statusCode, 200, second.body);
      assert.notEqual(first.json().token, second.json().token);
      assert.equal(second.headers['idempotent-replayed'], undefined);
    });

    test('a malformed or unknown client token is 400 ClientSessionValidationError', async () => {
      assertError(await instrument('not-a-token', card(CARDS.visa)), 400, 'ClientSessionValidationError');
      assertError(await instrument('0123456789abcdef0123456789abcdef01234567', card(CARDS.visa)), 400, 'ClientSessionValidationError');
    });

    test('number: spaces and dashes are dropped; 12 and 19 digits pass; 11 and 20 digits, letters and a bad check digit are 422', async () => {
      const s = await createSession(t, ORDER);
      const ok = await instrument(s.accessToken, card('4111 1111-1111 1111'));
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().paymentInstrumentData.last4Digits, '1111');
      for (const number of ['400000000002', '4000000000000000006']) {
        assert.equal(number.length === 12 || number.length === 19, true);
        const res = await instrument(s.accessToken, card(number));
        assert.equal(res.statusCode, 200, `${number.length} digits: ${res.body}`);
      }
      for (const number of ['41111111113', '41111111111111111113', '4111abcd11111111', '4111111111111112', '']) {
        const res = await instrument(s.accessToken, card(number));
        assert.deepEqual(errorPaths(res), ['$.paymentInstrument.number'], number);
        if (number) assert.ok(!withoutDiagnostics(res).includes(number), 'the number is not echoed');
      }
    });

    test('expirationMonth: one or two digits from 1 to 12, stored as two', async () => {
      const s = await createSession(t, ORDER);
      for (const [month, stored] of [
        ['3', '03'],
        ['03', '03'],
        ['12', '12'],
      ] as const) {
        const res = await instrument(s.accessToken, card(CARDS.visa, { expirationMonth: month }));
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.json().paymentInstrumentData.expirationMonth, stored);
      }
      for (const month of ['0', '13', '003', 'ab', '47']) {
        const res = await instrument(s.accessToken, card(CARDS.visa, { expirationMonth: month }));
        assert.deepEqual(errorPaths(res), ['$.paymentInstrument.expirationMonth'], month);
      }
      assert.ok(!withoutDiagnostics(await instrument(s.accessToken, card(CARDS.visa, { expirationMonth: '47' }))).includes('47'));
    });

    test('expirationYear: two digits (20YY) or four; anything else is 422', async () => {
      const s = await createSession(t, ORDER);
      for (const [year, stored] of [
        ['31', '2031'],
        ['2031', '2031'],
      ] as const) {
        const res = await instrument(s.accessToken, card(CARDS.visa, { expirationYear: year }));
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.json().paymentInstrumentData.expirationYear, stored);
      }
      for (const year of ['3', '203', '1999', '20311', 'next']) {
        const res = await instrument(s.accessToken, card(CARDS.visa, { expirationYear: year }));
        assert.deepEqual(errorPaths(res), ['$.paymentInstrument.expirationYear'], year);
      }
    });

    test('a past expiry tokenizes and declines at payment as EXPIRED_CARD; the current month is still good', async () => {
      const s = await createSession(t, ORDER);
      // The test clock is 2026-11-24.
      const past = await tokenize(t, s.accessToken, CARDS.visa);
      const expired = await instrument(s.accessToken, card(CARDS.visa, { expirationMonth: '10', expirationYear: '2026' }));
      assert.equal(expired.statusCode, 200, expired.body);
      const thisMonth = await instrument(s.accessToken, card(CARDS.visa, { expirationMonth: '11', expirationYear: '26' }));
      assert.equal(thisMonth.statusCode, 200, thisMonth.body);
      const declined = await api(t, 'POST', '/payments', { paymentMethodToken: expired.json().token });
      assert.equal(declined.json().status, 'DECLINED');
      assert.equal(declined.json().statusReason.code, 'EXPIRED_CARD');
      assert.equal(declined.json().statusReason.declineType, 'HARD_DECLINE');
      const good = await api(t, 'POST', '/payments', { paymentMethodToken: thisMonth.json().token });
      assert.equal(good.json().status, 'AUTHORIZED');
      assert.ok(past.token);
    });

    test('cvv: three digits, four for American Express; never echoed', async () => {
      const s = await createSession(t, ORDER);
      assert.equal((await instrument(s.accessToken, card(CARDS.amex))).statusCode, 200);
      assert.equal((await instrument(s.accessToken, card(CARDS.visa, { cvv: '987' }))).statusCode, 200);
      for (const [number, cvv] of [
        [CARDS.visa, '9876'],
        [CARDS.visa, '98'],
        [CARDS.amex, '987'],
        [CARDS.amex, '98765'],
        [CARDS.visa, 'abc'],
      ] as const) {
        const res = await instrument(s.accessToken, card(number, { cvv }));
        assert.deepEqual(errorPaths(res), ['$.paymentInstrument.cvv'], `${number} ${cvv}`);
        assert.ok(!withoutDiagnostics(res).includes(cvv), 'the CVV is not echoed');
      }
    });

    test('cardholderName: at most 255 characters', async () => {
      const s = await createSession(t, ORDER);
      assert.equal((await instrument(s.accessToken, card(CARDS.visa, { cardholderName: `${'Zq'.repeat(127)}Z` }))).statusCode, 200);
      const res = await instrument(s.accessToken, card(CARDS.visa, { cardholderName: 'Zq'.repeat(128) }));
      assert.deepEqual(errorPaths(res), ['$.paymentInstrument.cardholderName']);
      assert.ok(!withoutDiagnostics(res).includes('ZqZq'), 'the name is not echoed');
    });

    test('preferredNetwork: a CardNetworkEnum value the card carries, chosen for a co-badged card', async () => {
      const s = await createSession(t, ORDER);
      assert.deepEqual(errorPaths(await instrument(s.accessToken, card(CARDS.visa, { preferredNetwork: 'VISA_ELECTRON' }))), [
        '$.paymentInstrument.preferredNetwork',
      ]);
      assert.deepEqual(errorPaths(await instrument(s.accessToken, card(CARDS.visa, { preferredNetwork: 'MASTERCARD' }))), [
        '$.paymentInstrument.preferredNetwork',
      ]);
      assert.deepEqual(errorPaths(await instrument(s.accessToken, card(CARDS.visa, { preferredNetwork: 'x'.repeat(256) }))), [
        '$.paymentInstrument.preferredNetwork',
      ]);
      const chosen = await instrument(s.accessToken, card(CARDS.coBadgedVisa, { preferredNetwork: 'CARTES_BANCAIRES' }));
      assert.equal(chosen.statusCode, 200, chosen.body);
      assert.equal(chosen.json().paymentInstrumentData.network, 'Cartes Bancaires');
      assert.equal(chosen.json().paymentInstrumentData.binData.network, 'CARTES_BANCAIRES');
      // Without a choice: the international brand; a CB-first card is CB.
      assert.equal((await tokenize(t, s.accessToken, CARDS.coBadgedVisa)).paymentInstrumentData.binData.network, 'VISA');
      assert.equal((await tokenize(t, s.accessToken, CARDS.cbOnly)).paymentInstrumentData.network, 'Cartes Bancaires');
      assert.equal((await tokenize(t, s.accessToken, CARDS.amex)).paymentInstrumentData.network, 'American Express');
    });

    test("a co-badged card without preferredNetwork takes the first of the session's orderedAllowedCardNetworks it carries", async () => {
      const s = await createSession(t, {
        ...ORDER,
        paymentMethod: { orderedAllowedCardNetworks: ['MASTERCARD', 'CARTES_BANCAIRES', 'VISA'] },
      });
      const tokenized = await tokenize(t, s.accessToken, CARDS.coBadgedVisa);
      assert.equal(tokenized.paymentInstrumentData.network, 'Cartes Bancaires');
      // The shopper's choice still wins.
      const preferred = await instrument(s.accessToken, card(CARDS.coBadgedVisa, { preferredNetwork: 'VISA' }));
      assert.equal(preferred.json().paymentInstrumentData.network, 'Visa');
    });

    test('every bad field is reported at once, each at its path, and no value is echoed', async () => {
      const s = await createSession(t, ORDER);
      const res = await instrument(s.accessToken, {
        number: '4111111111111112',
        cvv: '98',
        expirationMonth: '47',
        expirationYear: '1999',
        cardholderName: 'Zq'.repeat(200),
      });
      assert.deepEqual(errorPaths(res).sort(), [
        '$.paymentInstrument.cardholderName',
        '$.paymentInstrument.cvv',
        '$.paymentInstrument.expirationMonth',
        '$.paymentInstrument.expirationYear',
        '$.paymentInstrument.number',
      ]);
      const text = withoutDiagnostics(res);
      for (const value of ['4111111111111112', '411111', '1112', '1999', 'ZqZq']) assert.ok(!text.includes(value), value);
      const missing = await instrument(s.accessToken, {});
      assert.deepEqual(errorPaths(missing).sort(), [
        '$.paymentInstrument.expirationMonth',
        '$.paymentInstrument.expirationYear',
        '$.paymentInstrument.number',
      ]);
    });

    test('a non-card instrument is 422 at $.paymentInstrument', async () => {
      const s = await createSession(t, ORDER);
      assert.deepEqual(errorPaths(await instrument(s.accessToken, { iban: 'NL91ABNA0417164300', accountHolderName: 'A' })), [
        '$.paymentInstrument',
      ]);
      assert.deepEqual(errorPaths(await instrument(s.accessToken, 'a string')), ['$.paymentInstrument']);
    });

    test('MULTI_USE needs a session customerId: 422 at $.tokenType', async () => {
      const s = await createSession(t, { orderId: 'o', currencyCode: 'EUR', amount: 100 });
      assert.deepEqual(errorPaths(await instrument(s.accessToken, card(CARDS.visa), { tokenType: 'MULTI_USE' })), ['$.tokenType']);
      // Nothing was vaulted: no customer to list, and the session's SDK list is empty.
      assert.deepEqual((await sdk(t, s.accessToken, 'GET', '/payment-instruments')).json(), { data: [] });
    });

    test('MULTI_USE vaults for the session customer: isVaulted, vaultData, and the browser still gets no MULTI_USE token', async () => {
      const s = await createSession(t, { ...ORDER, customerId: 'cust-multi' });
      const res = await instrument(s.accessToken, card(CARDS.visa), { tokenType: 'MULTI_USE', paymentFlow: 'VAULT' });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.tokenType, 'MULTI_USE');
      assert.equal(body.isVaulted, true);
      assert.deepEqual(body.vaultData, { customerId: 'cust-multi' });
      assert.deepEqual(body.paymentInstrumentData, VISA_CARD_DATA);
      for (const field of ['token', 'paymentInstrumentType', 'analyticsId', 'tokenType']) assert.ok(body[field], field);
      // The server's vault has the customer's MULTI_USE token, which is not the one the browser got.
      const listed = (await api(t, 'GET', '/payment-instruments?customer_id=cust-multi')).json().data;
      assert.equal(listed.length, 1);
      assert.equal(listed[0].tokenType, 'MULTI_USE');
      assert.notEqual(listed[0].token, body.token);
      // The token the SDK got pays, in its session.
      const paid = await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: body.token });
      assert.equal(paid.json().status, 'SUCCESS', paid.body);
    });
  });

  describe('bounds on tokens', () => {
    test('a session makes at most 100 tokens: the next is 409 SessionTokenLimitExceeded and is not kept; another session is not affected', async () => {
      const s = await createSession(t, { ...ORDER, customerId: 'cust-cap' });
      const saved = await tokenize(t, s.accessToken, CARDS.amex, { tokenType: 'MULTI_USE' });
      const [vaulted] = (await sdk(t, s.accessToken, 'GET', '/payment-instruments')).json().data;
      for (let i = 1; i < 99; i++) await tokenize(t, s.accessToken, CARDS.visa);
      // An exchange makes a token of the session too: the 100th.
      assert.equal((await sdk(t, s.accessToken, 'POST', `/payment-instruments/${vaulted.id}/exchange`, {})).statusCode, 200);
      const refused = await instrument(s.accessToken, card(CARDS.visa));
      const error = assertError(refused, 409, 'SessionTokenLimitExceeded');
      assert.match(error.description, /100 payment method tokens/);
      assert.ok(!refused.body.includes(CARDS.visa), 'no card number in the error');
      assertError(await sdk(t, s.accessToken, 'POST', `/payment-instruments/${vaulted.id}/exchange`, {}), 409, 'SessionTokenLimitExceeded');
      assertError(await instrument(s.accessToken, card(CARDS.visaCredit), { tokenType: 'MULTI_USE' }), 409, 'SessionTokenLimitExceeded');
      // Nothing of the refused requests is kept: the customer still has one saved card.
      assert.equal((await api(t, 'GET', '/payment-instruments?customer_id=cust-cap')).json().data.length, 1);
      // The session's tokens still pay.
      assert.equal((await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: saved.token })).statusCode, 200);
      await tokenize(t, (await createSession(t, ORDER)).accessToken, CARDS.visa);
    });

    test('300 MULTI_USE tokenizations of one card, over three sessions of one customer, leave one saved card', async () => {
      const answers = new Set<string>();
      for (let round = 0; round < 3; round++) {
        const s = await createSession(t, { ...ORDER, customerId: 'cust-300' });
        for (let i = 0; i < 100; i++) {
          const body = await tokenize(t, s.accessToken, CARDS.visa, { tokenType: 'MULTI_USE' });
          assert.equal(body.isVaulted, true);
          answers.add(body.token);
        }
      }
      assert.equal(answers.size, 300, 'each its own SINGLE_USE token for the browser');
      const listed = (await api(t, 'GET', '/payment-instruments?customer_id=cust-300')).json().data;
      assert.equal(listed.length, 1);
      assert.equal(listed[0].default, true);
    });
  });

  describe("the SDK's vault", () => {
    async function vaultedCustomer(customerId: string, numbers: string[] = [CARDS.visa]) {
      const s = await createSession(t, { ...ORDER, customerId });
      for (const number of numbers) {
        await tokenize(t, s.accessToken, number, { tokenType: 'MULTI_USE' });
        t.clock.advance(1);
      }
      return s;
    }

    test('GET /payment-instruments pages as the server does: limit, and a nextCursor that names no token', async () => {
      const s = await vaultedCustomer('cust-sdk-pages', [CARDS.visa, CARDS.amex, CARDS.visaCredit]);
      const first = (await sdk(t, s.accessToken, 'GET', '/payment-instruments?limit=2')).json();
      assert.equal(first.data.length, 2);
      assert.ok(!Buffer.from(first.nextCursor, 'base64url').toString().includes('tok_'), 'no token reaches the browser');
      const second = (await sdk(t, s.accessToken, 'GET', `/payment-instruments?limit=2&cursor=${first.nextCursor}`)).json();
      assert.deepEqual(Object.keys(second), ['data']);
      assert.deepEqual(
        [...first.data, ...second.data].map((d: any) => d.paymentInstrumentData.network),
        ['Visa', 'American Express', 'Visa'],
      );
      assert.deepEqual(errorPaths(await sdk(t, s.accessToken, 'GET', '/payment-instruments?limit=500')), ['$.limit']);
    });

    test("GET /payment-instruments lists the session customer's vaulted cards, newest first, by vpm_ id and without a token", async () => {
      const s = await vaultedCustomer('cust-list', [CARDS.visa, CARDS.amex]);
      await vaultedCustomer('cust-someone-else');
      const res = await sdk(t, s.accessToken, 'GET', '/payment-instruments');
      assert.equal(res.statusCode, 200, res.body);
      const { data } = res.json();
      assert.equal(data.length, 2);
      assert.deepEqual(
        data.map((d: any) => d.paymentInstrumentData.network),
        ['American Express', 'Visa'],
      );
      for (const d of data) {
        assert.match(d.id, VAULTED_ID);
        assert.equal(d.token, undefined);
        assert.equal(d.tokenType, 'MULTI_USE');
        assert.equal(d.isVaulted, true);
        assert.deepEqual(d.vaultData, { customerId: 'cust-list' });
        // Android's decoder needs these.
        for (const field of ['id', 'paymentMethodType', 'paymentInstrumentType', 'isVaulted', 'paymentInstrumentData']) {
          assert.notEqual(d[field], undefined, field);
        }
        assert.ok(!JSON.stringify(d).includes('tok_'), 'no MULTI_USE token reaches the browser');
      }
    });

    test('a session without customerId lists nothing', async () => {
      const s = await createSession(t, { orderId: 'o', currencyCode: 'EUR', amount: 100 });
      assert.deepEqual((await sdk(t, s.accessToken, 'GET', '/payment-instruments')).json(), { data: [] });
    });

    test('DELETE /payment-instruments/{id}/vault deletes it; another customer’s or an unknown id is 400 InvalidPaymentInstrumentToken', async () => {
      const mine = await vaultedCustomer('cust-del', [CARDS.visa, CARDS.amex]);
      const theirs = await vaultedCustomer('cust-del-other');
      const [newest, older] = (await sdk(t, mine.accessToken, 'GET', '/payment-instruments')).json().data;
      const [foreign] = (await sdk(t, theirs.accessToken, 'GET', '/payment-instruments')).json().data;
      assertError(
        await sdk(t, mine.accessToken, 'DELETE', `/payment-instruments/${foreign.id}/vault`),
        400,
        'InvalidPaymentInstrumentToken',
      );
      assertError(await sdk(t, mine.accessToken, 'DELETE', '/payment-instruments/vpm_unknown/vault'), 400, 'InvalidPaymentInstrumentToken');
      const res = await sdk(t, mine.accessToken, 'DELETE', `/payment-instruments/${newest.id}/vault`);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { id: newest.id, deleted: true });
      assert.deepEqual(
        (await sdk(t, mine.accessToken, 'GET', '/payment-instruments')).json().data.map((d: any) => d.id),
        [older.id],
      );
      assert.equal((await api(t, 'GET', '/payment-instruments?customer_id=cust-del')).json().data.length, 1);
      // Deleting again: it is gone.
      assertError(
        await sdk(t, mine.accessToken, 'DELETE', `/payment-instruments/${newest.id}/vault`),
        400,
        'InvalidPaymentInstrumentToken',
      );
      // The other customer's card is still there.
      assert.equal((await sdk(t, theirs.accessToken, 'GET', '/payment-instruments')).json().data.length, 1);
    });

    test('POST /payment-instruments/{id}/exchange gives a SINGLE_USE token for this session that pays; the cvv is checked and dropped', async () => {
      const first = await vaultedCustomer('cust-ex');
      const [saved] = (await sdk(t, first.accessToken, 'GET', '/payment-instruments')).json().data;
      // A later checkout of the same customer.
      const later = await createSession(t, { ...ORDER, orderId: 'ord-later', customerId: 'cust-ex' });
      const res = await sdk(t, later.accessToken, 'POST', `/payment-instruments/${saved.id}/exchange`, {});
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.match(body.token, TOKEN);
      assert.deepEqual(body, {
        token: body.token,
        tokenType: 'SINGLE_USE',
        analyticsId: body.analyticsId,
        isVaulted: true,
        paymentInstrumentType: 'PAYMENT_CARD',
        paymentMethodType: 'PAYMENT_CARD',
        paymentInstrumentData: VISA_CARD_DATA,
        threeDSecureAuthentication: { responseCode: 'NOT_PERFORMED' },
        vaultData: { customerId: 'cust-ex' },
      });
      const withCvv = await sdk(t, later.accessToken, 'POST', `/payment-instruments/${saved.id}/exchange`, { cvv: '987' });
      assert.equal(withCvv.statusCode, 200, withCvv.body);
      assert.ok(!withCvv.body.includes('987'));
      const badCvv = await sdk(t, later.accessToken, 'POST', `/payment-instruments/${saved.id}/exchange`, { cvv: '98' });
      assert.deepEqual(errorPaths(badCvv), ['$.cvv']);
      // Bound to this session: another session's SDK cannot pay with it; this one can.
      const stranger = await createSession(t, { ...ORDER, customerId: 'cust-ex' });
      assertError(await sdk(t, stranger.accessToken, 'POST', '/payments', { paymentMethodToken: body.token }), 400, 'PaymentError');
      const paid = await sdk(t, later.accessToken, 'POST', '/payments', { paymentMethodToken: body.token });
      assert.equal(paid.json().status, 'SUCCESS', paid.body);
      assert.equal(paid.json().orderId, 'ord-later');
      // The CVV sent with the exchange was checked by the processor; without one it was not provided.
      const server = (await api(t, 'GET', `/payments/${paid.json().id}`)).json();
      assert.equal(server.riskData.cvvCheck.result, 'NOT_PROVIDED');
      assert.equal(server.paymentMethod.isVaulted, true);
      const withCvvPaid = (await sdk(t, later.accessToken, 'POST', '/payments', { paymentMethodToken: withCvv.json().token })).json();
      assert.equal((await api(t, 'GET', `/payments/${withCvvPaid.id}`)).json().riskData.cvvCheck.result, 'MATCHED');
    });

    test("exchange of another customer's, an unknown or a deleted vaulted card is 400 InvalidPaymentInstrumentToken", async () => {
      const mine = await vaultedCustomer('cust-ex2');
      const theirs = await vaultedCustomer('cust-ex2-other');
      const [saved] = (await sdk(t, mine.accessToken, 'GET', '/payment-instruments')).json().data;
      assertError(
        await sdk(t, theirs.accessToken, 'POST', `/payment-instruments/${saved.id}/exchange`, {}),
        400,
        'InvalidPaymentInstrumentToken',
      );
      assertError(
        await sdk(t, mine.accessToken, 'POST', '/payment-instruments/vpm_nothing/exchange', {}),
        400,
        'InvalidPaymentInstrumentToken',
      );
      const exchanged = (await sdk(t, mine.accessToken, 'POST', `/payment-instruments/${saved.id}/exchange`, {})).json();
      await sdk(t, mine.accessToken, 'DELETE', `/payment-instruments/${saved.id}/vault`);
      assertError(
        await sdk(t, mine.accessToken, 'POST', `/payment-instruments/${saved.id}/exchange`, {}),
        400,
        'InvalidPaymentInstrumentToken',
      );
      // A token exchanged before the card was deleted no longer pays.
      assertError(await sdk(t, mine.accessToken, 'POST', '/payments', { paymentMethodToken: exchanged.token }), 400, 'PaymentError');
    });
  });

  describe('POST /payments from the SDK', () => {
    const SDK_KEYS = ['id', 'date', 'dateUpdated', 'orderId', 'currencyCode', 'amount', 'customerId'];

    test('AUTHORIZED answers SUCCESS with only the short fields', async () => {
      const s = await tokenFor(t);
      const res = await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.match(body.id, /^pay_[0-9A-Za-z]{16}$/);
      assert.match(body.date, DATE);
      assert.deepEqual(body, {
        id: body.id,
        date: body.date,
        dateUpdated: body.dateUpdated,
        orderId: 'ord-1',
        currencyCode: 'EUR',
        amount: 1000,
        customerId: 'cust-1',
        status: 'SUCCESS',
      });
      // The server sees the payment AUTHORIZED.
      assert.equal((await api(t, 'GET', `/payments/${body.id}`)).json().status, 'AUTHORIZED');
    });

    test('DECLINED and FAILED answer FAILED with paymentFailureReason', async () => {
      for (const number of [CARDS.decline, CARDS.fail]) {
        const s = await tokenFor(t, number);
        const body = (await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token })).json();
        assert.deepEqual(Object.keys(body), [...SDK_KEYS, 'status', 'paymentFailureReason']);
        assert.equal(body.status, 'FAILED');
        assert.equal(body.paymentFailureReason, 'payment-failed');
      }
    });

    test('an async card answers PENDING with showSuccessCheckoutOnPendingPayment and checkoutOutcome', async () => {
      const s = await tokenFor(t, CARDS.asyncAuthorized);
      const body = (await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token })).json();
      assert.deepEqual(Object.keys(body), [...SDK_KEYS, 'status', 'showSuccessCheckoutOnPendingPayment', 'checkoutOutcome']);
      assert.equal(body.status, 'PENDING');
      assert.equal(body.showSuccessCheckoutOnPendingPayment, true);
      assert.equal(body.checkoutOutcome, 'CHECKOUT_COMPLETE');
    });

    test('a 3DS challenge answers PENDING with requiredAction {name, description, clientToken}', async () => {
      const s = await tokenFor(t, CARDS.challenge);
      const body = (await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token })).json();
      assert.deepEqual(Object.keys(body), [...SDK_KEYS, 'status', 'requiredAction']);
      assert.equal(body.status, 'PENDING');
      assert.equal(body.requiredAction.name, '3DS_AUTHENTICATION');
      assert.equal(typeof body.requiredAction.description, 'string');
      const claims = claimsOf(body.requiredAction.clientToken);
      assert.equal(claims.intent, '3DS_AUTHENTICATION');
      assert.equal(typeof claims.accessToken, 'string');
      assert.notEqual(claims.accessToken, s.accessToken);
    });

    test('the SDK sends the token only; another session’s token is 400 PaymentError; a bad client token 400 ClientSessionValidationError', async () => {
      const s = await tokenFor(t);
      assert.deepEqual(errorPaths(await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token, amount: 1 })), ['$']);
      const other = await createSession(t, ORDER);
      assertError(await sdk(t, other.accessToken, 'POST', '/payments', { paymentMethodToken: s.token }), 400, 'PaymentError');
      assertError(await sdk(t, 'nope', 'POST', '/payments', { paymentMethodToken: s.token }), 400, 'ClientSessionValidationError');
      // None of that used the token.
      assert.equal((await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token })).json().status, 'SUCCESS');
      assertError(await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token }), 400, 'PaymentError');
    });

    test('the browser cannot pay with a MULTI_USE token (it never has one): 400 PaymentError', async () => {
      const s = await tokenFor(t);
      const vaulted = (await api(t, 'POST', `/payment-instruments/${s.token}/vault`, { customerId: 'cust-1' })).json();
      const other = await createSession(t, ORDER);
      assertError(await sdk(t, other.accessToken, 'POST', '/payments', { paymentMethodToken: vaulted.token }), 400, 'PaymentError');
    });

    test('with both headers X-Api-Key wins: the server’s shape, and the server’s vault listing', async () => {
      const s = await tokenFor(t);
      const both = { 'x-api-key': t.apiKey };
      const res = await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token }, both);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().status, 'AUTHORIZED');
      assert.equal(res.json().paymentMethod.paymentMethodToken, s.token);
      assert.deepEqual(errorPaths(await sdk(t, s.accessToken, 'GET', '/payment-instruments', undefined, both)), ['$.customer_id']);
    });

    test('body limits: X-Api-Key takes the server’s 1 MiB (80 line items, long metadata); Primer-Client-Token alone 8 KiB, chunked or not', async () => {
      const s = await tokenFor(t, CARDS.visa, { orderId: 'big-body', currencyCode: 'EUR' });
      const lineItems = Array.from({ length: 80 }, (_, i) => ({
        itemId: `item-${i}`,
        description: 'd'.repeat(200),
        amount: 10,
        quantity: 1,
      }));
      const metadata = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`note-${i}`, 'm'.repeat(4000)]));
      const big = { paymentMethodToken: s.token, orderId: 'big-body', order: { lineItems }, metadata };
      assert.ok(JSON.stringify(big).length > 64 * 1024);
      const paid = await api(t, 'POST', '/payments', big);
      assert.equal(paid.statusCode, 200, paid.body.slice(0, 300));
      assert.equal(paid.json().amount, 800);
      // The server's own limit still holds for X-Api-Key.
      const huge = await api(t, 'POST', '/payments', { ...big, metadata: { note: 'x'.repeat(1024 * 1024) } });
      assert.equal(assertError(huge, 413, 'PayloadTooLarge').description, 'The request body is larger than the 1 MiB limit.');
      // The SDK's call: 8 KiB, before any parsing, whether the body says its length or comes in chunks.
      const other = await tokenFor(t);
      const over = JSON.stringify({ paymentMethodToken: other.token, padding: 'p'.repeat(8 * 1024) });
      const tooLarge = (res: Res) =>
        assert.equal(assertError(res, 413, 'PayloadTooLarge').description, 'The request body is larger than the 8 KiB limit.');
      tooLarge(await t.app.inject({ method: 'POST', url: '/payments', headers: sdkHeaders(other.accessToken), payload: over }));
      tooLarge(
        await t.app.inject({
          method: 'POST',
          url: '/payments',
          headers: sdkHeaders(other.accessToken),
          payload: Readable.from([over.slice(0, 5000), over.slice(5000)]),
        }),
      );
      tooLarge(
        await t.app.inject({
          method: 'POST',
          url: '/payments/pay_0000000000000000/resume',
          headers: sdkHeaders(other.accessToken),
          payload: over,
        }),
      );
      // Under it, chunked, the SDK's payment goes through.
      const small = Readable.from([`{"paymentMethodToken":`, `"${other.token}"}`]);
      const ok = await t.app.inject({ method: 'POST', url: '/payments', headers: sdkHeaders(other.accessToken), payload: small });
      assert.equal(ok.json().status, 'SUCCESS', ok.body);
      // Resume with X-Api-Key reads a body past 8 KiB too (its only problem then is the unknown field).
      assert.deepEqual(
        errorPaths(
          await api(t, 'POST', `/payments/${paid.json().id}/resume`, {
            resumeToken: '00000000-0000-4000-8000-000000000000',
            padding: 'p'.repeat(16 * 1024),
          }),
        ),
        ['$.padding'],
      );
    });

    test('X-Idempotency-Key from the SDK: a completed key is 409 IdempotencyKeyAlreadyExists naming the payment', async () => {
      const s = await tokenFor(t);
      const first = await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token }, { 'x-idempotency-key': 'sdk-k1' });
      assert.equal(first.json().status, 'SUCCESS');
      const again = await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token }, { 'x-idempotency-key': 'sdk-k1' });
      const error = assertError(again, 409, 'IdempotencyKeyAlreadyExists');
      assert.equal(error.paymentId, first.json().id);
      assert.equal(error.paymentStatus, 'AUTHORIZED');
    });
  });

  describe('3DS for the SDKs', () => {
    async function challenged(number: string = CARDS.challenge) {
      const s = await tokenFor(t, number);
      const created = (await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token })).json();
      assert.equal(created.status, 'PENDING');
      const actionAccess = claimsOf(created.requiredAction.clientToken).accessToken as string;
      return { ...s, created, actionAccess };
    }
    const continueBody = { platform: 'ANDROID', status: 'FAILURE', error: { reasonCode: 'NO_KEYS', description: 'keys: null' } };

    test('continue (with the action’s client token) answers the token, a resume token and AUTH_SUCCESS; resume with it is SUCCESS', async () => {
      const { token, created, actionAccess, tokenized } = await challenged();
      const res = await sdk(t, actionAccess, 'POST', `/3ds/${token}/continue`, continueBody);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.match(body.resumeToken, UUID);
      assert.deepEqual(body, {
        token: tokenized,
        resumeToken: body.resumeToken,
        authentication: { responseCode: 'AUTH_SUCCESS', protocolVersion: '2.2.0', challengeIssued: true },
      });
      const resumed = await sdk(t, actionAccess, 'POST', `/payments/${created.id}/resume`, { resumeToken: body.resumeToken });
      assert.equal(resumed.statusCode, 200, resumed.body);
      assert.equal(resumed.json().status, 'SUCCESS');
      assert.equal(resumed.json().id, created.id);
      const read = (await api(t, 'GET', `/payments/${created.id}`)).json();
      assert.equal(read.status, 'AUTHORIZED');
      assert.deepEqual(read.paymentMethod.threeDSecureAuthentication, {
        responseCode: 'AUTH_SUCCESS',
        protocolVersion: '2.2.0',
        challengeIssued: true,
      });
    });

    test('continue and resume with the session’s own client token work too', async () => {
      const { token, created, accessToken } = await challenged();
      const body = (await sdk(t, accessToken, 'POST', `/3ds/${token}/continue`, continueBody)).json();
      const resumed = await sdk(t, accessToken, 'POST', `/payments/${created.id}/resume`, { resumeToken: body.resumeToken });
      assert.equal(resumed.json().status, 'SUCCESS', resumed.body);
    });

    test('a challenge that fails answers AUTH_FAILED; resume answers FAILED and the payment is DECLINED', async () => {
      const { token, created, actionAccess } = await challenged(CARDS.challengeFails);
      const body = (await sdk(t, actionAccess, 'POST', `/3ds/${token}/continue`, continueBody)).json();
      assert.deepEqual(body.authentication, { responseCode: 'AUTH_FAILED', protocolVersion: '2.2.0', challengeIssued: true });
      const resumed = (await sdk(t, actionAccess, 'POST', `/payments/${created.id}/resume`, { resumeToken: body.resumeToken })).json();
      assert.equal(resumed.status, 'FAILED');
      assert.equal(resumed.paymentFailureReason, 'payment-failed');
      const read = (await api(t, 'GET', `/payments/${created.id}`)).json();
      assert.equal(read.status, 'DECLINED');
      assert.equal(read.statusReason.code, 'AUTHENTICATION_REQUIRED');
      assert.equal(read.paymentMethod.threeDSecureAuthentication.reasonCode, 'CARD_AUTHENTICATION_FAILED');
    });

    test('a challenge that succeeds can still decline (4000 0000 0000 7023)', async () => {
      const { token, created, actionAccess } = await challenged(CARDS.challengeThenDecline);
      const body = (await sdk(t, actionAccess, 'POST', `/3ds/${token}/continue`, continueBody)).json();
      assert.equal(body.authentication.responseCode, 'AUTH_SUCCESS');
      const resumed = (await sdk(t, actionAccess, 'POST', `/payments/${created.id}/resume`, { resumeToken: body.resumeToken })).json();
      assert.equal(resumed.status, 'FAILED');
      assert.equal((await api(t, 'GET', `/payments/${created.id}`)).json().statusReason.code, 'INSUFFICIENT_FUNDS');
    });

    test('continue on a token not awaiting 3DS, or from another session, is 400 PaymentError', async () => {
      const plain = await pay(t);
      assertError(await sdk(t, plain.accessToken, 'POST', `/3ds/${plain.token}/continue`, continueBody), 400, 'PaymentError');
      assertError(await sdk(t, plain.accessToken, 'POST', '/3ds/tok_unknown/continue', continueBody), 400, 'PaymentError');
      const { token } = await challenged();
      const stranger = await createSession(t, ORDER);
      assertError(await sdk(t, stranger.accessToken, 'POST', `/3ds/${token}/continue`, continueBody), 400, 'PaymentError');
    });

    test('resume: a wrong resume token is 400 PaymentError, a used one finds no open action', async () => {
      const { token, created, actionAccess, accessToken } = await challenged();
      const { resumeToken } = (await sdk(t, actionAccess, 'POST', `/3ds/${token}/continue`, continueBody)).json();
      assertError(
        await sdk(t, accessToken, 'POST', `/payments/${created.id}/resume`, { resumeToken: '00000000-0000-4000-8000-000000000000' }),
        400,
        'PaymentError',
      );
      assert.equal((await sdk(t, accessToken, 'POST', `/payments/${created.id}/resume`, { resumeToken })).json().status, 'SUCCESS');
      assertError(await sdk(t, accessToken, 'POST', `/payments/${created.id}/resume`, { resumeToken }), 400, 'InvalidPaymentStatus');
      // Another session cannot resume someone else's payment.
      const other = await challenged();
      const { resumeToken: theirs } = (await sdk(t, other.actionAccess, 'POST', `/3ds/${other.token}/continue`, continueBody)).json();
      assertError(await sdk(t, accessToken, 'POST', `/payments/${other.created.id}/resume`, { resumeToken: theirs }), 400, 'PaymentError');
    });

    test('continue applies an outcome set through the sandbox helper over the card’s', async () => {
      const { token, created, actionAccess } = await challenged();
      const helper = await api(t, 'POST', `/kassa/sandbox/payments/${created.id}/3ds`, { outcome: 'AUTH_FAILED' });
      assert.equal(helper.statusCode, 200, helper.body);
      const body = (await sdk(t, actionAccess, 'POST', `/3ds/${token}/continue`, continueBody)).json();
      assert.equal(body.authentication.responseCode, 'AUTH_FAILED');
      assert.equal(body.resumeToken, helper.json().resumeToken);
      const resumed = (await sdk(t, actionAccess, 'POST', `/payments/${created.id}/resume`, { resumeToken: body.resumeToken })).json();
      assert.equal(resumed.status, 'FAILED');
    });

    test('POST /3ds/{token}/auth is 400 PaymentError (the configuration sends no 3DS keys)', async () => {
      const { token, actionAccess } = await challenged();
      assertError(await sdk(t, actionAccess, 'POST', `/3ds/${token}/auth`, {}), 400, 'PaymentError');
    });
  });

  describe('CORS', () => {
    const ORIGIN = 'https://shop.example';
    const SDK_ROUTES = [
      ['/payment-instruments', 'POST'],
      ['/payment-instruments', 'GET'],
      ['/payment-instruments/vpm_x/vault', 'DELETE'],
      ['/payment-instruments/vpm_x/exchange', 'POST'],
      ['/payments', 'POST'],
      ['/payments/pay_x/resume', 'POST'],
      ['/3ds/tok_x/continue', 'POST'],
      ['/3ds/tok_x/auth', 'POST'],
      ['/v1/bin-data/424242', 'GET'],
      ['/v1/bin-data/424242/networks', 'GET'],
    ] as const;

    test("preflights of the SDK's payment routes allow every header the SDKs send", async () => {
      for (const [url, method] of SDK_ROUTES) {
        const res = await t.app.inject({
          method: 'OPTIONS',
          url,
          headers: {
            origin: ORIGIN,
            'access-control-request-method': method,
            'access-control-request-headers': SDK_REQUEST_HEADERS.join(','),
          },
        });
        assert.equal(res.statusCode, 204, `${method} ${url}`);
        assert.equal(res.headers['access-control-allow-origin'], '*', url);
        const allowed = String(res.headers['access-control-allow-headers']).toLowerCase();
        for (const header of SDK_REQUEST_HEADERS) assert.ok(allowed.includes(header), `${url}: ${header}`);
      }
    });

    test('SDK answers, errors included, carry the origin permission; the server-only routes get none', async () => {
      const s = await tokenFor(t);
      const ok = await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token }, { origin: ORIGIN });
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.headers['access-control-allow-origin'], '*');
      const error = await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token }, { origin: ORIGIN });
      assert.equal(error.statusCode, 400);
      assert.equal(error.headers['access-control-allow-origin'], '*');
      const server = await t.app.inject({
        method: 'OPTIONS',
        url: `/payments/${ok.json().id}/capture`,
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key,content-type' },
      });
      assert.equal(server.headers['access-control-allow-origin'], undefined);
      const captured = await t.app.inject({
        method: 'POST',
        url: `/payments/${ok.json().id}/capture`,
        headers: { 'x-api-key': t.apiKey, 'x-api-version': '2.4', 'content-type': 'application/json', origin: ORIGIN },
        payload: {},
      });
      assert.equal(captured.statusCode, 200);
      assert.equal(captured.headers['access-control-allow-origin'], undefined);
    });
  });

  describe('BIN lookups', () => {
    let accessToken: string;
    before(async () => {
      accessToken = (await createSession(t, ORDER)).accessToken;
    });
    const get = (url: string) => sdk(t, accessToken, 'GET', url);

    test('GET /v1/bin-data/{bin}/networks (Android)', async () => {
      assert.deepEqual((await get('/v1/bin-data/424242/networks')).json(), { networks: [{ displayName: 'Visa', value: 'VISA' }] });
      assert.deepEqual((await get('/v1/bin-data/40355000/networks')).json(), {
        networks: [
          { displayName: 'Visa', value: 'VISA' },
          { displayName: 'Cartes Bancaires', value: 'CARTES_BANCAIRES' },
        ],
      });
      assert.deepEqual((await get('/v1/bin-data/378282/networks')).json(), {
        networks: [{ displayName: 'American Express', value: 'AMEX' }],
      });
      assert.deepEqual((await get('/v1/bin-data/999999/networks')).json(), { networks: [] });
      // More than 8 digits may be a whole card number: nothing matches.
      assert.deepEqual((await get('/v1/bin-data/424242424/networks')).json(), { networks: [] });
    });

    test('GET /v1/bin-data/{bin} (iOS); a bin of more than 8 digits gets no firstDigits', async () => {
      const res = await get('/v1/bin-data/424242');
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), {
        firstDigits: '424242',
        binData: [{ displayName: 'Visa', network: 'VISA', accountFundingType: 'CREDIT' }],
      });
      assert.deepEqual((await get('/v1/bin-data/49700000')).json(), {
        firstDigits: '49700000',
        binData: [
          { displayName: 'Cartes Bancaires', network: 'CARTES_BANCAIRES', accountFundingType: 'CREDIT' },
          { displayName: 'Visa', network: 'VISA', accountFundingType: 'CREDIT' },
        ],
      });
      assert.deepEqual((await get('/v1/bin-data/999999')).json(), { firstDigits: '999999', binData: [] });
      const long = await get(`/v1/bin-data/${CARDS.visaCredit}`);
      assert.deepEqual(long.json(), { binData: [] });
      assert.ok(!long.body.includes('424242'), 'a whole number is never echoed');
      assert.deepEqual((await get('/v1/bin-data/4242abcd')).json(), { binData: [] });
    });

    test('BIN lookups need a client token', async () => {
      assertError(await sdk(t, 'nope', 'GET', '/v1/bin-data/424242'), 400, 'ClientSessionValidationError');
    });
  });
});

describe('SDK PENDING without action (authorizeOnCreate: false)', () => {
  test('answers PENDING with showSuccessCheckoutOnPendingPayment; the server then authorizes; an expired client token is refused', async (c) => {
    const checkout = defaultCheckoutConfig('SANDBOX');
    checkout.sandbox = { ...checkout.sandbox, authorizeOnCreate: false };
    const t = await testApp({ checkout });
    c.after(() => t.close());
    const s = await tokenFor(t);
    const body = (await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token })).json();
    assert.equal(body.status, 'PENDING');
    assert.equal(body.showSuccessCheckoutOnPendingPayment, true);
    assert.equal(body.checkoutOutcome, 'CHECKOUT_COMPLETE');
    assert.equal(body.requiredAction, undefined);
    const authorized = await api(t, 'POST', `/payments/${body.id}/authorize`, { processor: { processorMerchantId: 'kassa-sandbox' } });
    assert.equal(authorized.json().status, 'AUTHORIZED', authorized.body);
    // A day later the session's client token has expired: every SDK route refuses it.
    t.clock.advance(24 * 60 * 60 * 1000 + 1);
    assertError(
      await sdk(t, s.accessToken, 'POST', '/payment-instruments', { paymentInstrument: card(CARDS.visa) }),
      400,
      'ClientSessionValidationError',
    );
    assertError(await sdk(t, s.accessToken, 'GET', '/payment-instruments'), 400, 'ClientSessionValidationError');
    assertError(await sdk(t, s.accessToken, 'GET', '/v1/bin-data/424242'), 400, 'ClientSessionValidationError');
  });
});

describe('what Kassa never keeps or logs (docs/payments.md, "Card data")', () => {
  test('no card number, CVV or 8-digit BIN, and no API key, client, action or resume token, at rest or in the log', async (c) => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const t = await testApp({ logger: pino(loggerOptions('trace'), sink) });
    c.after(() => t.close());
    const NUMBER = '4539148803436467';
    const AMEX = '3714496353984314';
    const [CVV, CVV4, EXCHANGE_CVV] = ['738', '7381', '629'];
    const s = await createSession(t, { ...ORDER, customerId: 'cust-secret' });
    const secrets: string[] = [t.apiKey, s.accessToken];

    // Tokenize (SINGLE_USE, MULTI_USE, refused), exchange with a CVV, pay (other card: FAILED).
    const single = await instrumentOf(t, s.accessToken, { number: NUMBER, cvv: CVV, expirationMonth: '12', expirationYear: '2030' });
    await instrumentOf(
      t,
      s.accessToken,
      { number: AMEX, cvv: CVV4, expirationMonth: '12', expirationYear: '2030' },
      { tokenType: 'MULTI_USE' },
    );
    const refused = await sdk(t, s.accessToken, 'POST', '/payment-instruments', {
      paymentInstrument: { number: '4539148803436468', cvv: '73', expirationMonth: '12', expirationYear: '2030' },
    });
    assert.equal(refused.statusCode, 422);
    const [saved] = (await sdk(t, s.accessToken, 'GET', '/payment-instruments')).json().data;
    const exchanged = await sdk(t, s.accessToken, 'POST', `/payment-instruments/${saved.id}/exchange`, { cvv: EXCHANGE_CVV });
    assert.equal(exchanged.statusCode, 200, exchanged.body);
    const failed = await api(t, 'POST', '/payments', { paymentMethodToken: single.token }, { idempotencyKey: 'secret-1' });
    assert.equal(failed.json().status, 'FAILED');

    // A 3DS checkout from the SDK: the action's token and the resume token are secrets too.
    const challenge = await tokenize(t, s.accessToken, CARDS.challenge);
    const created = (await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: challenge.token })).json();
    const actionAccess = claimsOf(created.requiredAction.clientToken).accessToken as string;
    const { resumeToken } = (
      await sdk(t, actionAccess, 'POST', `/3ds/${challenge.token}/continue`, { platform: 'IOS', status: 'FAILURE' })
    ).json();
    secrets.push(actionAccess, resumeToken);
    assert.equal((await sdk(t, actionAccess, 'POST', `/payments/${created.id}/resume`, { resumeToken })).json().status, 'SUCCESS');
    // Server-side calls with secrets in the URL path or body.
    assert.equal((await api(t, 'POST', `/payments/${created.id}/capture`, {}, { idempotencyKey: 'secret-2' })).statusCode, 200);
    assertError(await api(t, 'POST', `/payments/${created.id}/resume`, { resumeToken }), 400, 'InvalidPaymentStatus');
    // An API key cannot tokenize a card.
    const server = await api(t, 'POST', '/payment-instruments', {
      paymentInstrument: { number: NUMBER, cvv: CVV, expirationMonth: '12', expirationYear: '2030' },
    });
    assert.notEqual(server.statusCode, 200);
    assert.ok(!server.body.includes(NUMBER));

    const tables =
      t.config.database.engine === 'sqlite'
        ? (await t.query("SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => String(r.name))
        : (await t.query('SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()')).map((r) =>
            String(r.table_name),
          );
    assert.ok(tables.includes('payment_tokens') && tables.includes('payments'), tables.join());
    const rows: Record<string, unknown>[] = [];
    for (const table of tables) rows.push(...(await t.query(`SELECT * FROM ${table}`)));
    const stored = JSON.stringify(rows);
    const log = lines.join('');
    assert.ok(log.length > 0);
    for (const [where, text] of [
      ['the database', stored],
      ['the log', log],
    ] as const) {
      for (const number of [NUMBER, AMEX, '4539148803436468', CARDS.challenge])
        assert.ok(!text.includes(number), `${where} holds a card number`);
      assert.ok(!text.includes(NUMBER.slice(0, 8)), `${where} holds the 8-digit BIN`);
      for (const cvv of [CVV, CVV4, EXCHANGE_CVV, '73']) {
        assert.ok(!text.includes(`"${cvv}"`) && !text.includes(`"cvv":`), `${where} holds a CVV`);
      }
      for (const secret of secrets) assert.ok(!text.includes(secret), `${where} holds a secret (${secret.slice(0, 6)}…)`);
    }
    // Every column value too (a CVV would be a whole value).
    for (const row of rows) for (const value of Object.values(row)) assert.ok(![CVV, CVV4, EXCHANGE_CVV].includes(String(value)));
  });
});

async function instrumentOf(
  t: TestApp,
  accessToken: string,
  paymentInstrument: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  const res = await sdk(t, accessToken, 'POST', '/payment-instruments', { paymentInstrument, ...extra });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Record<string, any>;
}
