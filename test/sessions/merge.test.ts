// engines: sqlite
// PATCH's partial-update rules as properties (docs/decisions.md, "PATCH").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyPatch, type SessionPatch } from '../../src/sessions/merge.ts';
import type { SessionData } from '../../src/sessions/schemas.ts';

const text = fc.string({ minLength: 1, maxLength: 8 });
const customer = fc.record(
  {
    firstName: text,
    lastName: text,
    emailAddress: fc.constant('a@b.co'),
    billingAddress: fc.record({ city: text, postalCode: text }, { noNullPrototype: true }),
  },
  { requiredKeys: [], noNullPrototype: true },
);
const order = fc.record(
  {
    countryCode: fc.constantFrom('NL', 'DE'),
    lineItems: fc.array(fc.record({ amount: fc.nat(1000) }, { noNullPrototype: true }), { maxLength: 3 }),
    shipping: fc.record({ amount: fc.nat(100) }, { noNullPrototype: true }),
  },
  { requiredKeys: [], noNullPrototype: true },
);
const session: fc.Arbitrary<SessionData> = fc.record(
  {
    orderId: text,
    customerId: text,
    amount: fc.nat(),
    metadata: fc.dictionary(text, text, { maxKeys: 3, noNullPrototype: true }),
    customer,
    order,
  },
  { requiredKeys: [], noNullPrototype: true },
) as fc.Arbitrary<SessionData>;
const patch: fc.Arbitrary<SessionPatch> = fc.record(
  {
    orderId: fc.option(text, { nil: null }),
    amount: fc.option(fc.nat(), { nil: null }),
    metadata: fc.option(fc.dictionary(text, text, { maxKeys: 3, noNullPrototype: true }), { nil: null }),
    customer: fc.option(
      fc.record(
        {
          firstName: fc.option(text, { nil: null }),
          billingAddress: fc.option(fc.record({ city: text }, { noNullPrototype: true }), { nil: null }),
        },
        { requiredKeys: [], noNullPrototype: true },
      ),
      { nil: null },
    ),
    order: fc.option(
      fc.record(
        {
          lineItems: fc.option(fc.array(fc.record({ amount: fc.nat(1000) }, { noNullPrototype: true })), { nil: null }),
          countryCode: fc.option(fc.constantFrom('FR'), { nil: null }),
        },
        { requiredKeys: [], noNullPrototype: true },
      ),
      { nil: null },
    ),
  },
  { requiredKeys: [], noNullPrototype: true },
) as fc.Arbitrary<SessionPatch>;

test('an empty patch changes nothing', () => {
  fc.assert(fc.property(session, (s) => assert.deepEqual(applyPatch(s, {}), s)));
});

test('omitted top-level fields are unchanged, null clears, values replace', () => {
  fc.assert(
    fc.property(session, patch, (s, p) => {
      const out = applyPatch(s, p) as Record<string, unknown>;
      for (const key of ['orderId', 'customerId', 'amount', 'metadata'] as const) {
        const sent = (p as Record<string, unknown>)[key];
        if (sent === undefined) assert.deepEqual(out[key], (s as Record<string, unknown>)[key]);
        else if (sent === null) assert.equal(key in out, false);
        else assert.deepEqual(out[key], sent); // metadata replaced whole, never merged
      }
    }),
  );
});

test('customer and order merge one level deep; sub-objects and arrays are replaced whole', () => {
  fc.assert(
    fc.property(session, patch, (s, p) => {
      const out = applyPatch(s, p);
      for (const key of ['customer', 'order'] as const) {
        const sent = p[key] as Record<string, unknown> | null | undefined;
        const before = (s[key] ?? {}) as Record<string, unknown>;
        const after = out[key] as Record<string, unknown> | undefined;
        if (sent === undefined) assert.deepEqual(after, s[key]);
        else if (sent === null) assert.equal(after, undefined);
        else {
          const merged = { ...before };
          for (const [sub, v] of Object.entries(sent)) {
            if (v === null) delete merged[sub];
            else merged[sub] = v;
          }
          assert.deepEqual(after ?? {}, merged);
        }
      }
    }),
  );
});

test('applying the same patch twice is the same as applying it once', () => {
  fc.assert(fc.property(session, patch, (s, p) => assert.deepEqual(applyPatch(applyPatch(s, p), p), applyPatch(s, p))));
});

test('the input session is never mutated', () => {
  fc.assert(
    fc.property(session, patch, (s, p) => {
      const copy = structuredClone(s);
      applyPatch(s, p);
      assert.deepEqual(s, copy);
    }),
  );
});
