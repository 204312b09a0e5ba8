// engines: sqlite
// The money rules as properties (docs/api.md, "Money"; docs/decisions.md, "Values").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { amountErrors, lineTotal, orderTotal, sessionAmount } from '../../src/primer/money.ts';
import { MAX_AMOUNT } from '../../src/primer/money.ts';
import type { SessionData } from '../../src/sessions/schemas.ts';

type Order = NonNullable<SessionData['order']>;
const small = fc.integer({ min: 0, max: 1_000_000 });
const lineItem = fc.record(
  { amount: small, quantity: fc.integer({ min: 1, max: 100 }), discountAmount: small, taxAmount: small },
  { requiredKeys: ['amount'] },
);
const fee = fc.record({ amount: small, type: fc.constantFrom('SURCHARGE', 'SERVICE') }, { requiredKeys: ['amount'] });
const order: fc.Arbitrary<Order> = fc.record(
  { lineItems: fc.array(lineItem, { maxLength: 6 }), fees: fc.array(fee, { maxLength: 3 }), shipping: fc.record({ amount: small }) },
  { requiredKeys: [] },
);

test("Primer's documented example: line 500 + fee 100 + shipping 50 = 650", () => {
  const session: SessionData = {
    order: {
      lineItems: [{ itemId: 't-shirt-1', amount: 500, quantity: 1 }],
      fees: [{ type: 'SURCHARGE', amount: 100 }],
      shipping: { amount: 50 },
    },
  };
  assert.equal(sessionAmount(session), 650);
});

test('the money example computes 4400', () => {
  const session: SessionData = {
    order: {
      lineItems: [
        { amount: 1500, quantity: 2, discountAmount: 300 },
        { amount: 1000, quantity: 1, taxAmount: 200 },
      ],
      shipping: { amount: 500 },
    },
  };
  assert.equal(sessionAmount(session), 4400);
});

test('a line total is amount*quantity - discount + tax, discount and tax per line not per unit', () => {
  fc.assert(
    fc.property(small, fc.integer({ min: 1, max: 1000 }), small, small, (amount, quantity, discountAmount, taxAmount) => {
      const one = lineTotal({ amount, quantity: 1, discountAmount, taxAmount });
      const many = lineTotal({ amount, quantity, discountAmount, taxAmount });
      assert.equal(many - one, BigInt(amount) * BigInt(quantity - 1));
    }),
  );
});

test('quantity defaults to 1', () => {
  fc.assert(fc.property(small, (amount) => assert.equal(lineTotal({ amount }), lineTotal({ amount, quantity: 1 }))));
});

test('the order total is additive: splitting lines and fees across two orders sums to the whole', () => {
  fc.assert(
    fc.property(order, order, (a, b) => {
      const whole: Order = {
        lineItems: [...(a.lineItems ?? []), ...(b.lineItems ?? [])],
        fees: [...(a.fees ?? []), ...(b.fees ?? [])],
        shipping: { amount: (a.shipping?.amount ?? 0) + (b.shipping?.amount ?? 0) },
      };
      assert.equal(orderTotal(whole), orderTotal(a) + orderTotal(b));
    }),
  );
});

test('the order of lines and fees does not change the total', () => {
  fc.assert(
    fc.property(order, (o) => {
      const reversed = { ...o, lineItems: [...(o.lineItems ?? [])].reverse(), fees: [...(o.fees ?? [])].reverse() };
      assert.equal(orderTotal(reversed), orderTotal(o));
    }),
  );
});

test('adding a fee of x raises the computed amount by exactly x', () => {
  fc.assert(
    fc.property(order, small, (o, x) => {
      fc.pre(amountErrors({ order: o }).length === 0);
      const before = sessionAmount({ order: o }) ?? 0;
      const after = sessionAmount({ order: { ...o, fees: [...(o.fees ?? []), { amount: x }] } });
      assert.equal(after, before + x);
    }),
  );
});

test('a top-level amount always wins over the order', () => {
  fc.assert(fc.property(order, small, (o, amount) => assert.equal(sessionAmount({ amount, order: o }), amount)));
});

test('no amount and no order amounts: the amount is absent', () => {
  assert.equal(sessionAmount({}), undefined);
  const noAmounts: SessionData = { order: { countryCode: 'NL' } };
  assert.equal(sessionAmount(noAmounts), undefined);
});

test('only fees: the computed amount is echoed', () => {
  assert.equal(sessionAmount({ order: { fees: [{ amount: 30 }] } }), 30);
});

test('a valid order never computes a negative amount, and a negative line is reported at its discount', () => {
  fc.assert(
    fc.property(order, (o) => {
      const errors = amountErrors({ order: o });
      const negative = (o.lineItems ?? []).findIndex((li) => lineTotal(li) < 0n);
      if (negative === -1) {
        assert.deepEqual(errors, []);
        assert.ok((sessionAmount({ order: o }) ?? 0) >= 0);
      } else {
        assert.equal(errors[0]?.path, `$.order.lineItems[${negative}].discountAmount`);
      }
    }),
  );
});

test('a computed amount past 2^53-1 is reported, not rounded', () => {
  const session: SessionData = { order: { lineItems: [{ amount: MAX_AMOUNT, quantity: 2 }] } };
  const errors = amountErrors(session);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.path, '$.order');
  assert.match(errors[0]!.description, /exceeds 9007199254740991/);
  // With a top-level amount the order total is not used, so it is not an error.
  assert.deepEqual(amountErrors({ ...session, amount: 10 }), []);
});

test('totals are exact integers: BigInt arithmetic matches the number arithmetic for small values', () => {
  fc.assert(
    fc.property(order, (o) => {
      const naive =
        (o.lineItems ?? []).reduce((s, li) => s + li.amount * (li.quantity ?? 1) - (li.discountAmount ?? 0) + (li.taxAmount ?? 0), 0) +
        (o.shipping?.amount ?? 0) +
        (o.fees ?? []).reduce((s, f) => s + f.amount, 0);
      assert.equal(Number(orderTotal(o)), naive);
    }),
  );
});
