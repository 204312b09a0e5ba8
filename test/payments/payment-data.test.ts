// engines: sqlite
// A new payment's fields (src/payments/payment-data.ts) without HTTP or storage: what is sent wins
// over the token's session, the amount falls back to the session's and then to its order total, and
// what a payment cannot do without is refused by name (docs/payments.md, "Payments API").
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { KassaError } from '../../src/errors.ts';
import type { CardData } from '../../src/payments/model.ts';
import { creationVaultCustomer, paymentData, type CreateInput } from '../../src/payments/payment-data.ts';
import type { StoredToken } from '../../src/payments/payment.store.ts';
import type { SessionData } from '../../src/sessions/schemas.ts';
import type { StoredSession } from '../../src/sessions/session.store.ts';

const NOW = Date.UTC(2026, 10, 24);
const PROCESSOR = { name: 'KASSA_SANDBOX', processorMerchantId: 'kassa-sandbox' };

const token = (change: Partial<StoredToken> = {}): StoredToken => ({
  token: 'tok_1',
  merchantId: 'm1',
  tokenType: 'SINGLE_USE',
  sessionId: 'cs_1',
  analyticsId: 'an_1',
  card: { last4Digits: '1111' } as CardData,
  scenario: 'success',
  cvvGiven: false,
  isDefault: false,
  createdAt: NOW,
  ...change,
});
const session = (data: SessionData): StoredSession => ({
  id: 'cs_1',
  merchantId: 'm1',
  accessTokenHash: 'h',
  data,
  version: 1,
  createdAt: NOW,
  updatedAt: NOW,
  expiresAt: NOW + 3_600_000,
});
const input = (fields: Omit<CreateInput, 'paymentMethodToken'> = {}): CreateInput => ({ paymentMethodToken: 'tok_1', ...fields });
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof KassaError);
    return { errorId: error.errorId, paths: error.validationErrors?.flatMap((g) => g.errors.map((e) => e.path)) ?? [] };
  }
  assert.fail('expected a refusal');
};

describe('a new payment from its request over its session', () => {
  test('the amount is the one sent, else the session amount, else the order total; the sale and the machine start from it', () => {
    const money = fc.integer({ min: 0, max: 1_000_000 });
    fc.assert(
      fc.property(fc.option(money), fc.option(money), money, fc.integer({ min: 1, max: 5 }), (sent, sessionAmount, line, quantity) => {
        const data: SessionData = {
          orderId: 'order-1',
          currencyCode: 'EUR',
          ...(sessionAmount !== null ? { amount: sessionAmount } : {}),
          order: { lineItems: [{ itemId: 'i', amount: line, quantity }] },
        } as SessionData;
        const fields = sent !== null ? { amount: sent } : {};
        const made = paymentData(input(fields), token(), session(data), PROCESSOR, NOW);
        const expected = sent ?? sessionAmount ?? line * quantity;
        assert.equal(made.machine.amount, expected);
        assert.deepEqual(
          { ...made.machine },
          {
            status: 'PENDING',
            pending: 'idle',
            capturingOpen: true,
            authorizationType: 'FINAL',
            amount: expected,
            amountCaptured: 0,
            amountRefunded: 0,
            captures: [],
          },
        );
        const [sale] = made.transactions;
        assert.equal(made.transactions.length, 1);
        assert.deepEqual(
          { ...sale, id: '' },
          {
            id: '',
            type: 'SALE',
            date: NOW,
            amount: expected,
            currencyCode: 'EUR',
            orderId: 'order-1',
            status: 'PENDING',
            events: [],
          },
        );
      }),
    );
  });

  test('fields sent win over the session, metadata is merged, and the processor is a copy', () => {
    const made = paymentData(
      input({ orderId: 'sent', currencyCode: 'GBP', metadata: { b: 2 }, customerId: 'c-sent' }),
      token(),
      session({ orderId: 'session', currencyCode: 'EUR', amount: 500, metadata: { a: 1, b: 1 }, customerId: 'c-session' } as SessionData),
      PROCESSOR,
      NOW,
    );
    assert.equal(made.orderId, 'sent');
    assert.equal(made.currencyCode, 'GBP');
    assert.equal(made.customerId, 'c-sent');
    assert.deepEqual(made.metadata, { a: 1, b: 2 });
    assert.deepEqual(made.processor, PROCESSOR);
    assert.notEqual(made.processor, PROCESSOR);
  });

  test('a MULTI_USE token brings its customer; a SINGLE_USE token made without one is not vaulted', () => {
    const saved = token({ tokenType: 'MULTI_USE', customerId: 'c-saved', sessionId: undefined });
    const made = paymentData(input({ orderId: 'o', currencyCode: 'EUR', amount: 1 }), saved, undefined, PROCESSOR, NOW);
    assert.equal(made.customerId, 'c-saved');
    assert.equal(made.isVaulted, true);
    assert.equal(made.tokenType, 'MULTI_USE');
    const single = paymentData(input({ orderId: 'o', currencyCode: 'EUR', amount: 1 }), token(), undefined, PROCESSOR, NOW);
    assert.equal(single.isVaulted, false);
    assert.equal(single.customerId, undefined);
  });

  test('what a payment needs is refused by name: amount, currency, order id, a customer to vault for, a metadata key', () => {
    assert.deepEqual(
      refusal(() => paymentData(input(), token(), session({}), PROCESSOR, NOW)),
      { errorId: 'RequestValidationError', paths: ['$.amount', '$.currencyCode', '$.orderId'] },
    );
    const complete = { orderId: 'o', currencyCode: 'EUR', amount: 1 };
    assert.deepEqual(
      refusal(() => paymentData(input({ ...complete, paymentMethod: { vaultOnSuccess: true } }), token(), undefined, PROCESSOR, NOW)),
      { errorId: 'RequestValidationError', paths: ['$.customerId'] },
    );
    assert.deepEqual(
      refusal(() => paymentData(input({ ...complete, metadata: { '': 1 } }), token(), undefined, PROCESSOR, NOW)),
      { errorId: 'MetadataContainsEmptyKey', paths: [] },
    );
  });

  test('the customer a SINGLE_USE token may be vaulted for at creation: only when a vault option is on', () => {
    const of = (sent: Omit<CreateInput, 'paymentMethodToken'>, data: SessionData, t = token()) =>
      creationVaultCustomer(input(sent))({ token: t, session: session(data) } as never);
    assert.equal(of({}, { customerId: 'c' } as SessionData), undefined);
    assert.equal(of({}, { customerId: 'c', paymentMethod: { vaultOnSuccess: true } } as SessionData), 'c');
    assert.equal(of({ customerId: 'sent', paymentMethod: { vaultOn3DS: true } }, { customerId: 'c' } as SessionData), 'sent');
    assert.equal(
      of({ paymentMethod: { vaultOnAgreement: true } }, { customerId: 'c' } as SessionData, token({ tokenType: 'MULTI_USE' })),
      undefined,
    );
  });
});
