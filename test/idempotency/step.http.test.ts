// engines: sqlite, postgres
// One idempotency step for every route that takes keys (docs/api.md, "Idempotency"): one header rule
// (1 to 255 characters in X-Idempotency-Key or Idempotency-Key), a failed request's key let go before
// its answer is sent; the route's policy only decides what a repeat gets.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { sha256 } from '../../src/lib/ids.ts';
import { headers, testApp, type TestApp } from '../support/app.ts';
import { assertError, CARDS, ORDER, tokenFor } from '../payments/support.ts';

// Visible ASCII, the space, and Latin-1 letters: what a header value can carry.
const keyChar = fc
  .integer({ min: 0x20, max: 0xff })
  .filter((c) => c < 0x7f || c >= 0xa0)
  .map((c) => String.fromCharCode(c));
const keyValue = fc.oneof(fc.string({ unit: keyChar, maxLength: 12 }), fc.string({ unit: keyChar, minLength: 250, maxLength: 260 }));
const headerName = fc.constantFrom('x-idempotency-key', 'idempotency-key');

describe('one idempotency step', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { KASSA_RATE_LIMIT: 'off' } });
  });
  after(() => t.close());

  const send = (url: string, name: string, key: string, payload: object) =>
    t.app.inject({ method: 'POST', url, headers: { ...headers(t.apiKey), [name]: key }, payload });
  const refusesKey = (res: { statusCode: number; json(): any }) =>
    res.statusCode === 422 && res.json().error.validationErrors?.[0]?.errors?.[0]?.path === 'X-Idempotency-Key';

  test('sessions and payments accept and refuse the same keys, under either name', async () => {
    await fc.assert(
      fc.asyncProperty(keyValue, headerName, async (key, name) => {
        const session = await send('/client-session', name, key, ORDER);
        // An unknown token: a payment that is refused after its key was taken (and let go).
        const payment = await send('/payments', name, key, { paymentMethodToken: 'tok_unknown' });
        const refused = key.length === 0 || key.length > 255;
        assert.equal(refusesKey(session), refused, `${name}: ${JSON.stringify(key)} on sessions: ${session.body}`);
        assert.equal(refusesKey(payment), refused, `${name}: ${JSON.stringify(key)} on payments: ${payment.body}`);
        if (!refused) {
          assert.equal(session.statusCode, 200, session.body);
          assertError(payment, 400, 'PaymentError');
        }
      }),
      { numRuns: 40 },
    );
  });

  test('a key with spaces is replayed on sessions, and Idempotency-Key is honoured on payments', async () => {
    const first = await send('/client-session', 'x-idempotency-key', 'order 42, retry', ORDER);
    const again = await send('/client-session', 'x-idempotency-key', 'order 42, retry', ORDER);
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.body, first.body);

    const a = await tokenFor(t, CARDS.visa);
    const b = await tokenFor(t, CARDS.visa);
    const paid = await send('/payments', 'idempotency-key', 'pay once', { paymentMethodToken: a.token });
    assert.equal(paid.statusCode, 200, paid.body);
    const error = assertError(
      await send('/payments', 'idempotency-key', 'pay once', { paymentMethodToken: b.token }),
      409,
      'IdempotencyKeyAlreadyExists',
    );
    assert.equal(error.paymentId, paid.json().id);
  });

  test('two different keys in the two headers are refused on both', async () => {
    const both = { 'x-idempotency-key': 'one', 'idempotency-key': 'two' };
    for (const [url, payload] of [
      ['/client-session', ORDER],
      ['/payments', { paymentMethodToken: 'tok_unknown' }],
    ] as const) {
      const res = await t.app.inject({ method: 'POST', url, headers: { ...headers(t.apiKey), ...both }, payload });
      assert.ok(refusesKey(res), `${url}: ${res.body}`);
    }
  });

  test('a failed request has let go of its key when its answer arrives, on sessions and payments', async () => {
    const held = async (keyHash: string) => (await t.query('SELECT claim FROM idempotency_keys WHERE key_hash = ?', [keyHash])).length;
    const session = await send('/client-session', 'x-idempotency-key', 'fails-1', { ...ORDER, currencyCode: 'XXX' });
    assert.equal(session.statusCode, 422);
    assert.equal(await held(sha256('fails-1')), 0);
    const payment = await send('/payments', 'x-idempotency-key', 'fails-2', { paymentMethodToken: 'tok_unknown' });
    assertError(payment, 400, 'PaymentError');
    assert.equal(await held(sha256('payments\ncreate\n\nfails-2')), 0);
  });
});
