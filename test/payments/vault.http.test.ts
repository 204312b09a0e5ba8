// engines: sqlite, postgres
// The vault (docs/payments.md, "Vault"): SINGLE_USE tokens saved as a customer's MULTI_USE
// tokens with the API key, listed, deleted and made default; the payment options that vault
// (vaultOnSuccess, vaultOn3DS, vaultOnAgreement); paying again with a MULTI_USE token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import { api, assertError, CARDS, DATE, errorPaths, ORDER, otherMerchant, pay, sdk, tokenFor, tokenize } from './support.ts';

const TOKEN = /^tok_[0-9A-Za-z]{24}$/;

/** `digits` with its Luhn check digit appended. */
function withLuhn(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return digits + String((10 - (sum % 10)) % 10);
}

describe('the vault', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  const vault = (token: string, customerId: string, key?: string) =>
    api(t, 'POST', `/payment-instruments/${token}/vault`, { customerId }, key ? { key } : {});
  const list = async (customerId: string) => {
    const res = await api(t, 'GET', `/payment-instruments?customer_id=${encodeURIComponent(customerId)}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json().data as Record<string, any>[];
  };
  /** A fresh SINGLE_USE token saved for `customerId`; returns the vault object. */
  const saved = async (customerId: string, number: string = CARDS.visa): Promise<Record<string, any>> => {
    const s = await tokenFor(t, number);
    const res = await vault(s.token, customerId);
    assert.equal(res.statusCode, 200, res.body);
    t.clock.advance(1);
    return { ...res.json(), source: s.token };
  };

  describe('POST /payment-instruments/{token}/vault', () => {
    test('a SINGLE_USE token becomes a new MULTI_USE token of the customer, its first one the default', async () => {
      const s = await tokenFor(t, CARDS.visa);
      const res = await vault(s.token, 'cust-v1');
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.match(body.token, TOKEN);
      assert.notEqual(body.token, s.token);
      assert.match(body.createdAt, DATE);
      assert.deepEqual(body, {
        createdAt: body.createdAt,
        token: body.token,
        tokenType: 'MULTI_USE',
        analyticsId: body.analyticsId,
        paymentMethodType: 'PAYMENT_CARD',
        paymentMethodData: s.tokenized.paymentInstrumentData,
        customerId: 'cust-v1',
        default: true,
        deleted: false,
      });
      assert.deepEqual(await list('cust-v1'), [body]);
    });

    test('vaulting the same token again, or the MULTI_USE token itself, returns the existing vaulted token', async () => {
      const first = await saved('cust-v2');
      const again = await vault(first.source, 'cust-v2');
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json().token, first.token);
      const itself = await vault(first.token, 'cust-v2');
      assert.equal(itself.json().token, first.token);
      assert.equal((await list('cust-v2')).length, 1);
    });

    test('concurrent vaults of one token make one vaulted token', async () => {
      const s = await tokenFor(t);
      const results = await Promise.all(Array.from({ length: 6 }, () => vault(s.token, 'cust-same')));
      for (const r of results) assert.equal(r.statusCode, 200, r.body);
      assert.equal(new Set(results.map((r) => r.json().token)).size, 1);
      assert.equal((await list('cust-same')).length, 1);
    });

    test('a token used in a payment can still be vaulted; another token of the same card returns that saved card, another card is saved anew', async () => {
      const { token } = await pay(t);
      const res = await vault(token, 'cust-v3');
      assert.equal(res.statusCode, 200, res.body);
      const again = await saved('cust-v3');
      const { source: _s, ...object } = again;
      assert.deepEqual(object, res.json(), 'the saved card of that number, as it was');
      const other = await saved('cust-v3', CARDS.visaCredit);
      assert.deepEqual(
        (await list('cust-v3')).map((x) => x.token),
        [other.token, res.json().token],
      );
      // Another customer saving the same card gets a card of their own.
      assert.notEqual((await saved('cust-v3b')).token, res.json().token);
    });

    test('one saved card per customer and card: tokens of one card vaulted at once, from many sessions, leave one', async () => {
      const tokens = await Promise.all(Array.from({ length: 12 }, async () => (await tokenFor(t, CARDS.amex)).token));
      const results = await Promise.all(tokens.map((token) => vault(token, 'cust-one')));
      for (const r of results) assert.equal(r.statusCode, 200, r.body);
      assert.equal(new Set(results.map((r) => r.json().token)).size, 1);
      assert.equal((await list('cust-one')).length, 1);
      // Deleted, the card can be saved again: a new saved card.
      const first = results[0]!.json().token as string;
      await api(t, 'DELETE', `/payment-instruments/${first}`);
      const renewed = await saved('cust-one', CARDS.amex);
      assert.notEqual(renewed.token, first);
      assert.deepEqual(
        (await list('cust-one')).map((x) => x.token),
        [renewed.token],
      );
    });

    test('unknown, expired, deleted or another merchant’s token: 400 InvalidPaymentInstrumentToken', async (c) => {
      assertError(await vault('tok_000000000000000000000000', 'cust-x'), 400, 'InvalidPaymentInstrumentToken');
      // Deleted.
      const gone = await saved('cust-gone');
      assert.equal((await api(t, 'DELETE', `/payment-instruments/${gone.token}`)).statusCode, 200);
      assertError(await vault(gone.token, 'cust-gone'), 400, 'InvalidPaymentInstrumentToken');
      // Another merchant's: its own key vaults it, this one does not.
      const other = await otherMerchant(t);
      const theirs = await tokenFor(t, CARDS.visa, ORDER, other.key);
      assertError(await vault(theirs.token, 'cust-x'), 400, 'InvalidPaymentInstrumentToken');
      assert.equal((await vault(theirs.token, 'cust-x', other.key)).statusCode, 200);
      assert.deepEqual(await list('cust-x'), [], "the other merchant's customer is not this merchant's");
      // Expired with its session (an app of its own: its clock moves a day).
      const own = await testApp();
      c.after(() => own.close());
      const s = await tokenFor(own);
      own.clock.advance(24 * 60 * 60 * 1000 + 1);
      assertError(
        await api(own, 'POST', `/payment-instruments/${s.token}/vault`, { customerId: 'cust-late' }),
        400,
        'InvalidPaymentInstrumentToken',
      );
    });

    test('customerId is required, non-empty, and the only field: 422', async () => {
      const s = await tokenFor(t);
      assert.deepEqual(errorPaths(await api(t, 'POST', `/payment-instruments/${s.token}/vault`, {})), ['$.customerId']);
      assert.deepEqual(errorPaths(await vault(s.token, '')), ['$.customerId']);
      assert.deepEqual(errorPaths(await api(t, 'POST', `/payment-instruments/${s.token}/vault`, { customerId: 'c', note: 'x' })), [
        '$.note',
      ]);
      assert.equal((await vault(s.token, 'cust-after-422')).statusCode, 200);
    });
  });

  describe('GET /payment-instruments?customer_id=', () => {
    test('customer_id is required: 422 at $.customer_id', async () => {
      assert.deepEqual(errorPaths(await api(t, 'GET', '/payment-instruments')), ['$.customer_id']);
    });

    test("the customer's live vaulted tokens, newest first; an unknown customer has none", async () => {
      const a = await saved('cust-l1', CARDS.visa);
      const b = await saved('cust-l1', CARDS.amex);
      const c = await saved('cust-l1', CARDS.visaCredit);
      await saved('cust-l2');
      await api(t, 'DELETE', `/payment-instruments/${b.token}`);
      assert.deepEqual(
        (await list('cust-l1')).map((v) => v.token),
        [c.token, a.token],
      );
      assert.deepEqual(await list('nobody'), []);
    });

    test('pages: 100 when no limit is asked, a nextCursor while more follow, limit 1 to 100; a bad limit or cursor is 422', async () => {
      const numbers = Array.from({ length: 101 }, (_, i) => withLuhn(`411111111${String(i).padStart(6, '0')}`));
      const tokens: string[] = [];
      for (const number of numbers) tokens.unshift((await saved('cust-many', number)).token);
      const page = async (query: string) => {
        const res = await api(t, 'GET', `/payment-instruments?customer_id=cust-many${query}`);
        assert.equal(res.statusCode, 200, res.body);
        return res.json() as { data: Record<string, any>[]; nextCursor?: string };
      };
      const first = await page('');
      assert.equal(first.data.length, 100);
      assert.equal(typeof first.nextCursor, 'string');
      assert.ok(
        !first.nextCursor!.includes('tok_') && !Buffer.from(first.nextCursor!, 'base64url').toString().includes('tok_'),
        'no token in a cursor',
      );
      const second = await page(`&cursor=${first.nextCursor}`);
      assert.deepEqual(Object.keys(second), ['data'], 'the last page has no nextCursor');
      assert.deepEqual(
        [...first.data, ...second.data].map((v) => v.token),
        tokens,
        'newest first, each once',
      );
      const walked: string[] = [];
      let cursor = '';
      for (let i = 0; i < 5; i++) {
        const p = await page(`&limit=40${cursor}`);
        walked.push(...p.data.map((v) => v.token));
        if (!p.nextCursor) break;
        cursor = `&cursor=${p.nextCursor}`;
      }
      assert.deepEqual(walked, tokens);
      for (const limit of ['0', '101', 'x']) {
        assert.deepEqual(errorPaths(await api(t, 'GET', `/payment-instruments?customer_id=cust-many&limit=${limit}`)), ['$.limit']);
      }
      assert.deepEqual(errorPaths(await api(t, 'GET', '/payment-instruments?customer_id=cust-many&cursor=bm9wZQ')), ['$.cursor']);
    });
  });

  describe('DELETE /payment-instruments/{token}', () => {
    test('answers the object with deleted: true and deletedAt; a later payment with it is 400 PaymentError', async () => {
      const v = await saved('cust-d1');
      const res = await api(t, 'DELETE', `/payment-instruments/${v.token}`);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.match(body.deletedAt, DATE);
      const { source: _s, ...object } = v;
      assert.deepEqual(body, { ...object, default: false, deleted: true, deletedAt: body.deletedAt });
      assertError(await api(t, 'POST', '/payments', { paymentMethodToken: v.token, ...ORDER }), 400, 'PaymentError');
      assert.deepEqual(await list('cust-d1'), []);
      // Deleting the default leaves none.
      const next = await saved('cust-d1');
      assert.equal(next.default, true, 'the first live one again');
      const later = await saved('cust-d1', CARDS.visaCredit);
      await api(t, 'DELETE', `/payment-instruments/${next.token}`);
      assert.deepEqual(
        (await list('cust-d1')).map((x) => [x.token, x.default]),
        [[later.token, false]],
      );
    });

    test('unknown, already deleted, a SINGLE_USE token or another merchant’s: 400 InvalidPaymentInstrumentToken', async () => {
      assertError(await api(t, 'DELETE', '/payment-instruments/tok_000000000000000000000000'), 400, 'InvalidPaymentInstrumentToken');
      const v = await saved('cust-d2');
      await api(t, 'DELETE', `/payment-instruments/${v.token}`);
      assertError(await api(t, 'DELETE', `/payment-instruments/${v.token}`), 400, 'InvalidPaymentInstrumentToken');
      const s = await tokenFor(t);
      assertError(await api(t, 'DELETE', `/payment-instruments/${s.token}`), 400, 'InvalidPaymentInstrumentToken');
      const other = await otherMerchant(t);
      const mine = await saved('cust-d2');
      assertError(
        await api(t, 'DELETE', `/payment-instruments/${mine.token}`, undefined, { key: other.key }),
        400,
        'InvalidPaymentInstrumentToken',
      );
      assert.equal((await list('cust-d2')).length, 1);
    });
  });

  describe('POST /payment-instruments/{token}/default', () => {
    test("makes it the customer's only default", async () => {
      const a = await saved('cust-def');
      const b = await saved('cust-def', CARDS.visaCredit);
      assert.equal(a.default, true);
      assert.equal(b.default, false);
      const res = await api(t, 'POST', `/payment-instruments/${b.token}/default`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().default, true);
      assert.equal(res.json().token, b.token);
      assert.deepEqual(
        (await list('cust-def')).map((x) => [x.token, x.default]),
        [
          [b.token, true],
          [a.token, false],
        ],
      );
      // Again: still one default.
      await api(t, 'POST', `/payment-instruments/${a.token}/default`);
      assert.deepEqual(
        (await list('cust-def')).map((x) => [x.token, x.default]),
        [
          [b.token, false],
          [a.token, true],
        ],
      );
    });

    test('unknown, deleted, SINGLE_USE or another merchant’s: 400 InvalidPaymentInstrumentToken', async () => {
      assertError(await api(t, 'POST', '/payment-instruments/tok_000000000000000000000000/default'), 400, 'InvalidPaymentInstrumentToken');
      const v = await saved('cust-def2');
      const other = await otherMerchant(t);
      assertError(
        await api(t, 'POST', `/payment-instruments/${v.token}/default`, undefined, { key: other.key }),
        400,
        'InvalidPaymentInstrumentToken',
      );
      await api(t, 'DELETE', `/payment-instruments/${v.token}`);
      assertError(await api(t, 'POST', `/payment-instruments/${v.token}/default`), 400, 'InvalidPaymentInstrumentToken');
      const s = await tokenFor(t);
      assertError(await api(t, 'POST', `/payment-instruments/${s.token}/default`), 400, 'InvalidPaymentInstrumentToken');
    });

    test('concurrent first vaults of one customer leave exactly one default', async () => {
      for (let round = 0; round < 4; round++) {
        const customerId = `cust-race-${round}`;
        // Eight cards: one customer keeps one saved card per card.
        const numbers = [
          CARDS.visa,
          CARDS.visaCredit,
          CARDS.amex,
          CARDS.coBadgedVisa,
          CARDS.cbOnly,
          CARDS.decline,
          CARDS.fail,
          CARDS.other,
        ];
        const tokens = await Promise.all(numbers.map(async (number) => (await tokenFor(t, number)).token));
        const results = await Promise.all(tokens.map((token) => vault(token, customerId)));
        for (const r of results) assert.equal(r.statusCode, 200, r.body);
        const listed = await list(customerId);
        assert.equal(listed.length, 8);
        assert.equal(listed.filter((x) => x.default).length, 1, `round ${round}: ${JSON.stringify(listed.map((x) => x.default))}`);
        assert.equal(results.filter((r) => r.json().default).length, 1, 'one answer says default');
      }
    });
  });

  describe('payments that vault', () => {
    test('vaultOnSuccess: an AUTHORIZED payment shows the new MULTI_USE token, isVaulted; the token pays again', async () => {
      const { payment, token } = await pay(t, CARDS.visa, { body: { customerId: 'cust-pay1', paymentMethod: { vaultOnSuccess: true } } });
      assert.equal(payment.status, 'AUTHORIZED');
      assert.notEqual(payment.paymentMethod.paymentMethodToken, token);
      assert.match(payment.paymentMethod.paymentMethodToken, TOKEN);
      assert.equal(payment.paymentMethod.isVaulted, true);
      const listed = await list('cust-pay1');
      assert.deepEqual(
        listed.map((v) => [v.token, v.default]),
        [[payment.paymentMethod.paymentMethodToken, true]],
      );
      // Vaulting the source token now returns the same saved card.
      assert.equal((await vault(token, 'cust-pay1')).json().token, listed[0]!.token);
      // A MULTI_USE token pays again and again.
      for (const orderId of ['again-1', 'again-2']) {
        const res = await api(t, 'POST', '/payments', { paymentMethodToken: listed[0]!.token, orderId, currencyCode: 'EUR', amount: 300 });
        assert.equal(res.json().status, 'AUTHORIZED', res.body);
        assert.equal(res.json().customerId, 'cust-pay1');
      }
    });

    test('vaultOnSuccess uses the SINGLE_USE token: paying again with it is 400 PaymentError, and one payment exists', async () => {
      const s = await tokenFor(t, CARDS.visa, { ...ORDER, customerId: 'cust-reuse', paymentMethod: { vaultOnSuccess: true } });
      const first = await api(t, 'POST', '/payments', { paymentMethodToken: s.token });
      assert.equal(first.json().status, 'AUTHORIZED', first.body);
      assert.equal(first.json().paymentMethod.isVaulted, true);
      assertError(await api(t, 'POST', '/payments', { paymentMethodToken: s.token, orderId: 'ord-reuse' }), 400, 'PaymentError');
      const paid = (await t.store.payments.findById('mer_default', first.json().id))!;
      const made = await t.store.payments.listBySession('mer_default', paid.sessionId!);
      assert.deepEqual(
        made.map((p) => p.id),
        [paid.id],
      );
      // The token keeps both marks: used by the payment, and pointing at the saved card.
      const stored = await t.store.payments.findToken(s.token);
      assert.equal(stored?.usedAt, t.clock.now);
      assert.equal(stored?.sourceToken, first.json().paymentMethod.paymentMethodToken);
    });

    test('paying with the same card again and vaultOnSuccess keeps one saved card: the second payment shows it', async () => {
      const body = { customerId: 'cust-pay-again', paymentMethod: { vaultOnSuccess: true } };
      const first = (await pay(t, CARDS.visa, { body })).payment;
      const second = (await pay(t, CARDS.visa, { body })).payment;
      assert.equal(second.paymentMethod.isVaulted, true);
      assert.equal(second.paymentMethod.paymentMethodToken, first.paymentMethod.paymentMethodToken);
      // vaultOnAgreement at creation, from the session's options, finds it too.
      const third = (
        await pay(t, CARDS.visa, { session: { ...ORDER, customerId: 'cust-pay-again', paymentMethod: { vaultOnAgreement: true } } })
      ).payment;
      assert.equal(third.paymentMethod.paymentMethodToken, first.paymentMethod.paymentMethodToken);
      assert.deepEqual(
        (await list('cust-pay-again')).map((v) => v.token),
        [first.paymentMethod.paymentMethodToken],
      );
    });

    test('vaultOnSuccess does not vault a declined or failed card', async () => {
      for (const number of [CARDS.decline, CARDS.fail, CARDS.frictionlessFailure]) {
        const { payment } = await pay(t, number, { body: { customerId: 'cust-pay2', paymentMethod: { vaultOnSuccess: true } } });
        assert.notEqual(payment.status, 'AUTHORIZED');
        assert.equal(payment.paymentMethod.isVaulted, false);
      }
      // An async card vaults when its job authorizes it.
      const { payment } = await pay(t, CARDS.asyncAuthorized, {
        body: { customerId: 'cust-pay2', paymentMethod: { vaultOnSuccess: true } },
      });
      assert.deepEqual(await list('cust-pay2'), []);
      const advanced = (await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/advance`)).json();
      assert.equal(advanced.status, 'AUTHORIZED');
      assert.equal(advanced.paymentMethod.isVaulted, true);
      assert.deepEqual(
        (await list('cust-pay2')).map((v) => v.token),
        [advanced.paymentMethod.paymentMethodToken],
      );
    });

    test('vaultOn3DS: vaults after AUTH_SUCCESS, even when the authorization then declines; not after AUTH_FAILED', async () => {
      const options = { body: { customerId: 'cust-3ds', paymentMethod: { vaultOn3DS: true } } };
      const declined = (await pay(t, CARDS.challengeThenDecline, options)).payment;
      const { resumeToken } = (await api(t, 'POST', `/kassa/sandbox/payments/${declined.id}/3ds`, { outcome: 'AUTH_SUCCESS' })).json();
      const resumed = (await api(t, 'POST', `/payments/${declined.id}/resume`, { resumeToken })).json();
      assert.equal(resumed.status, 'DECLINED');
      assert.equal((await list('cust-3ds')).length, 1);
      const failed = (await pay(t, CARDS.challenge, { body: { customerId: 'cust-3ds-f', paymentMethod: { vaultOn3DS: true } } })).payment;
      const failToken = (await api(t, 'POST', `/kassa/sandbox/payments/${failed.id}/3ds`, { outcome: 'AUTH_FAILED' })).json().resumeToken;
      assert.equal((await api(t, 'POST', `/payments/${failed.id}/resume`, { resumeToken: failToken })).json().status, 'DECLINED');
      assert.deepEqual(await list('cust-3ds-f'), []);
      // Frictionless success vaults at once; no 3DS at all does not vault.
      await pay(t, CARDS.frictionless, { body: { customerId: 'cust-3ds-fr', paymentMethod: { vaultOn3DS: true } } });
      assert.equal((await list('cust-3ds-fr')).length, 1);
      await pay(t, CARDS.visa, { body: { customerId: 'cust-3ds-none', paymentMethod: { vaultOn3DS: true } } });
      assert.deepEqual(await list('cust-3ds-none'), []);
    });

    test('vaultOnAgreement: vaults at creation, even a card that then declines', async () => {
      const { payment } = await pay(t, CARDS.decline, { body: { customerId: 'cust-agr', paymentMethod: { vaultOnAgreement: true } } });
      assert.equal(payment.status, 'DECLINED');
      const listed = await list('cust-agr');
      assert.equal(listed.length, 1);
      // The vaulted decline card keeps its outcome.
      const again = (await api(t, 'POST', '/payments', { paymentMethodToken: listed[0]!.token, ...ORDER })).json();
      assert.equal(again.status, 'DECLINED');
    });

    test('no option, nothing vaulted', async () => {
      await pay(t, CARDS.visa, { body: { customerId: 'cust-none' } });
      assert.deepEqual(await list('cust-none'), []);
    });

    test('a card the SDK exchanged is not vaulted a second time by vaultOnSuccess', async () => {
      const first = await createSession(t, { ...ORDER, customerId: 'cust-ex' });
      await tokenize(t, first.accessToken, CARDS.visa, { tokenType: 'MULTI_USE' });
      const later = await createSession(t, { ...ORDER, customerId: 'cust-ex', paymentMethod: { vaultOnSuccess: true } });
      const [savedCard] = (await sdk(t, later.accessToken, 'GET', '/payment-instruments')).json().data;
      const exchanged = (await sdk(t, later.accessToken, 'POST', `/payment-instruments/${savedCard.id}/exchange`, {})).json();
      const paid = await sdk(t, later.accessToken, 'POST', '/payments', { paymentMethodToken: exchanged.token });
      assert.equal(paid.json().status, 'SUCCESS', paid.body);
      assert.equal((await list('cust-ex')).length, 1);
    });

    test('an SDK payment with the session’s vaultOnSuccess vaults for the session customer', async () => {
      const s = await tokenFor(t, CARDS.visa, { ...ORDER, customerId: 'cust-sdk', paymentMethod: { vaultOnSuccess: true } });
      assert.equal((await sdk(t, s.accessToken, 'POST', '/payments', { paymentMethodToken: s.token })).json().status, 'SUCCESS');
      assert.equal((await list('cust-sdk')).length, 1);
      const [vaulted] = (await sdk(t, s.accessToken, 'GET', '/payment-instruments')).json().data;
      assert.deepEqual(vaulted.vaultData, { customerId: 'cust-sdk' });
    });
  });
});
