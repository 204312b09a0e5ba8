// engines: sqlite
// Klarna's sessionData (docs/payments.md, "Klarna"; spec §2.7) is pure arithmetic on the client session:
// its lines (items, shipping, fees) add up to orderAmount, which is the session's amount; and a token's
// value chooses the outcome only by its DECLINE/FAIL prefix, so the SDKs' random UUIDs always authorize.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { klarnaSessionData, outcomeOfKlarnaToken } from '../../src/payments/methods/klarna.ts';
import { sessionAmount } from '../../src/primer/money.ts';
import type { SessionData } from '../../src/sessions/schemas.ts';
import type { StoredSession } from '../../src/sessions/session.store.ts';

const small = fc.integer({ min: 0, max: 1_000_000 });
const lineItem = fc
  .record({
    amount: small,
    quantity: fc.integer({ min: 1, max: 100 }),
    taxAmount: small,
    discountPart: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  // A line's discount never exceeds its amount (the session API refuses a negative line).
  .map(({ discountPart, ...item }) => ({ ...item, discountAmount: Math.floor(item.amount * item.quantity * discountPart) }));
const fee = fc.record({ amount: small, type: fc.constantFrom('SURCHARGE', 'SERVICE') });
const order = fc.record({
  lineItems: fc.array(lineItem, { minLength: 1, maxLength: 6 }),
  fees: fc.array(fee, { maxLength: 3 }),
  shipping: fc.option(fc.record({ amount: small }), { nil: undefined }),
});

const stored = (data: SessionData): StoredSession => ({
  id: 'cs_1',
  merchantId: 'mer_default',
  accessTokenHash: '',
  data,
  version: 1,
  createdAt: 0,
  updatedAt: 0,
  expiresAt: 0,
});

test("a checkout session's lines add up to orderAmount, the session's amount; tax is Σ the items' tax", () => {
  fc.assert(
    fc.property(order, (o) => {
      const { shipping, ...rest } = o;
      const data = { currencyCode: 'EUR', order: { ...rest, ...(shipping ? { shipping } : {}) } } as SessionData;
      const sd = klarnaSessionData(stored(data), 'ONE_OFF_PAYMENT');
      assert.equal(
        sd.orderLines.reduce((sum, l) => sum + l.total_amount, 0),
        sd.orderAmount,
      );
      assert.equal(sd.orderAmount, sessionAmount(data));
      assert.equal(
        sd.orderTaxAmount,
        o.lineItems.reduce((sum, i) => sum + i.taxAmount, 0),
      );
      // Every line is a whole, non-negative amount.
      for (const line of sd.orderLines) assert.ok(Number.isSafeInteger(line.total_amount) && line.total_amount >= 0);
      assert.equal(sd.orderLines.filter((l) => l.type === 'surcharge').length, o.fees.length);
    }),
    { numRuns: 200 },
  );
});

test('a token chooses DECLINE or FAIL by its prefix only; random UUIDs always succeed', () => {
  fc.assert(
    fc.property(fc.uuid(), fc.string({ maxLength: 20 }), (uuid, tail) => {
      assert.equal(outcomeOfKlarnaToken(uuid), 'SUCCESS');
      assert.equal(outcomeOfKlarnaToken(`DECLINE${tail}`), 'DECLINE');
      assert.equal(outcomeOfKlarnaToken(`fail${tail}`), 'FAIL');
    }),
    { numRuns: 200 },
  );
});
