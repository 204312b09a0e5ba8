// engines: sqlite, postgres
// The server's Payments API (docs/payments.md): X-Idempotency-Key on create and on every action.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newClaim, sha256 } from '../../src/lib/ids.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import { api, assertError, CARDS, idleApp, ORDER, otherMerchant, pay, post, PROCESSOR, read, tokenFor, tokenize } from './support.ts';

describe('Payments API', () => {
  // One app for the whole file (each test makes its own payments), and one that does not authorize on create.
  let t: TestApp;
  let idle: TestApp;
  before(async () => {
    t = await testApp();
    idle = await idleApp();
  });
  after(async () => {
    await t.close();
    await idle.close();
  });

  describe('idempotency', () => {
    test('create: a completed key is 409 IdempotencyKeyAlreadyExists with paymentId and paymentStatus, a declined payment included', async () => {
      const first = await pay(t, CARDS.visa, { idempotencyKey: 'create-1' });
      const s = await tokenFor(t);
      const again = await api(t, 'POST', '/payments', { paymentMethodToken: s.token }, { idempotencyKey: 'create-1' });
      const error = assertError(again, 409, 'IdempotencyKeyAlreadyExists');
      assert.equal(error.paymentId, first.payment.id);
      assert.equal(error.paymentStatus, 'AUTHORIZED');
      // The refused request did not use its token.
      assert.equal((await api(t, 'POST', '/payments', { paymentMethodToken: s.token })).json().status, 'AUTHORIZED');
      const declined = await pay(t, CARDS.decline, { idempotencyKey: 'create-declined' });
      const s2 = await tokenFor(t);
      const error2 = assertError(
        await api(t, 'POST', '/payments', { paymentMethodToken: s2.token }, { idempotencyKey: 'create-declined' }),
        409,
        'IdempotencyKeyAlreadyExists',
      );
      assert.equal(error2.paymentId, declined.payment.id);
      assert.equal(error2.paymentStatus, 'DECLINED');
    });

    test('create below 2.3: 400 TransactionRequestIdempotencyKeyAlreadyExists', async () => {
      const first = await pay(t, CARDS.visa, { idempotencyKey: 'create-old', version: '2.2' });
      const s = await tokenFor(t);
      const error = assertError(
        await api(t, 'POST', '/payments', { paymentMethodToken: s.token }, { idempotencyKey: 'create-old', version: '2.2' }),
        400,
        'TransactionRequestIdempotencyKeyAlreadyExists',
      );
      assert.equal(error.paymentId, first.payment.id);
      // From 2.3 the same key is a 409.
      assertError(
        await api(t, 'POST', '/payments', { paymentMethodToken: s.token }, { idempotencyKey: 'create-old', version: '2.3' }),
        409,
        'IdempotencyKeyAlreadyExists',
      );
    });

    test('a 4xx does not use the key up', async () => {
      assertError(
        await api(t, 'POST', '/payments', { paymentMethodToken: 'tok_unknown' }, { idempotencyKey: 'create-retry' }),
        400,
        'PaymentError',
      );
      const s = await createSession(t, {});
      const { token } = await tokenize(t, s.accessToken);
      assertError(
        await api(t, 'POST', '/payments', { paymentMethodToken: token }, { idempotencyKey: 'create-retry' }),
        422,
        'RequestValidationError',
      );
      const ok = await api(t, 'POST', '/payments', { paymentMethodToken: token, ...ORDER }, { idempotencyKey: 'create-retry' });
      assert.equal(ok.statusCode, 200, ok.body);
      // An action refused by the status machine does not use its key either.
      const { payment } = await pay(t);
      assertError(await post(t, payment.id, 'refund', {}, { idempotencyKey: 'act-retry' }), 400, 'InvalidPaymentStatus');
      await post(t, payment.id, 'capture');
      assert.equal((await post(t, payment.id, 'refund', { amount: 10 }, { idempotencyKey: 'act-retry' })).statusCode, 200);
    });

    test('actions: a completed key is 409 on the same payment and route; it is free on another payment or route', async () => {
      const a = (await pay(t)).payment;
      const b = (await pay(t)).payment;
      assert.equal((await post(t, a.id, 'capture', { amount: 100, final: false }, { idempotencyKey: 'cap-1' })).statusCode, 200);
      const error = assertError(
        await post(t, a.id, 'capture', { amount: 100, final: false }, { idempotencyKey: 'cap-1' }),
        409,
        'IdempotencyKeyAlreadyExists',
      );
      assert.equal(error.paymentId, a.id);
      assert.equal(error.paymentStatus, 'PARTIALLY_SETTLED');
      assert.equal((await read(t, a.id)).processor.amountCaptured, 100, 'the second capture did nothing');
      assert.equal((await post(t, b.id, 'capture', { amount: 100, final: false }, { idempotencyKey: 'cap-1' })).statusCode, 200);
      assert.equal((await post(t, a.id, 'refund', { amount: 50 }, { idempotencyKey: 'cap-1' })).statusCode, 200);
      for (const [action, body] of [
        ['refund', { amount: 10 }],
        ['cancel', {}],
      ] as const) {
        assert.equal((await post(t, a.id, action, body, { idempotencyKey: `k-${action}` })).statusCode, 200);
        assertError(await post(t, a.id, action, body, { idempotencyKey: `k-${action}` }), 409, 'IdempotencyKeyAlreadyExists');
      }
      const estimated = (await pay(t, CARDS.visa, { body: { paymentMethod: { authorizationType: 'ESTIMATED' } } })).payment;
      await post(t, estimated.id, 'adjust-authorization', { amount: 1200 }, { idempotencyKey: 'adj' });
      assertError(
        await post(t, estimated.id, 'adjust-authorization', { amount: 1300 }, { idempotencyKey: 'adj' }),
        409,
        'IdempotencyKeyAlreadyExists',
      );
      assert.equal((await read(t, estimated.id)).amount, 1200);
      const pending = (await pay(idle)).payment;
      await post(idle, pending.id, 'authorize', { processor: PROCESSOR }, { idempotencyKey: 'auth' });
      assertError(
        await post(idle, pending.id, 'authorize', { processor: PROCESSOR }, { idempotencyKey: 'auth' }),
        409,
        'IdempotencyKeyAlreadyExists',
      );
    });

    test('keys are scoped to the merchant and kept 24 h', async () => {
      const first = (await pay(idle, CARDS.visa, { idempotencyKey: 'scoped' })).payment;
      const other = await otherMerchant(idle);
      const theirs = await pay(idle, CARDS.visa, { idempotencyKey: 'scoped', key: other.key });
      assert.notEqual(theirs.payment.id, first.id);
      const s = await tokenFor(idle);
      assertError(
        await api(idle, 'POST', '/payments', { paymentMethodToken: s.token }, { idempotencyKey: 'scoped' }),
        409,
        'IdempotencyKeyAlreadyExists',
      );
      idle.clock.advance(24 * 60 * 60 * 1000 + 1);
      const later = await tokenFor(idle);
      assert.equal(
        (await api(idle, 'POST', '/payments', { paymentMethodToken: later.token }, { idempotencyKey: 'scoped' })).statusCode,
        200,
      );
    });

    test('a key in flight: 409 IdempotencyKeyInFlight', async () => {
      // Another request holds the key, as one still running would.
      await t.store.idempotency.begin({
        merchantId: 'mer_default',
        keyHash: sha256('payments\ncreate\n\nin-flight'),
        requestHash: 'payment-key',
        claim: newClaim(),
        now: t.clock.now,
        expiresAt: t.clock.now + 86_400_000,
        lockedUntil: t.clock.now + 60_000,
      });
      const s = await tokenFor(t);
      assertError(
        await api(t, 'POST', '/payments', { paymentMethodToken: s.token }, { idempotencyKey: 'in-flight' }),
        409,
        'IdempotencyKeyInFlight',
      );
    });

    test('two concurrent creates with one key: one payment, the other refused with 409', async () => {
      const a = await tokenFor(t);
      const b = await tokenFor(t);
      const results = await Promise.all(
        [a.token, b.token].map((token) => api(t, 'POST', '/payments', { paymentMethodToken: token }, { idempotencyKey: 'race' })),
      );
      assert.equal(results.filter((r) => r.statusCode === 200).length, 1, results.map((r) => r.body).join('\n'));
      const refused = results.filter((r) => r.statusCode === 409);
      assert.equal(refused.length, 1);
      assert.ok(['IdempotencyKeyInFlight', 'IdempotencyKeyAlreadyExists'].includes(refused[0]!.json().error.errorId));
    });
  });
});
