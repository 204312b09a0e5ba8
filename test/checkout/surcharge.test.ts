// engines: sqlite, postgres
// Surcharge arithmetic: per method, per card network, none with a top-level amount, removed on unselect.
// The pure rules are checked as properties; the HTTP tests show them through the SDK route.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { applyActions } from '../../src/checkout/actions.ts';
import { surchargeFor, withSurchargeFee } from '../../src/checkout/surcharge.ts';
import { sessionAmount } from '../../src/primer/money.ts';
import type { SessionData } from '../../src/sessions/schemas.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import { act, getSession } from './support.ts';

const money = fc.integer({ min: 0, max: 1_000_000 });
const positive = fc.integer({ min: 1, max: 1_000_000 });
const NETWORKS = ['VISA', 'MASTERCARD', 'AMEX'] as const;
const METHODS = ['PAYPAL', 'KLARNA', 'GOOGLE_PAY'] as const;

const arbSession = fc.record({
  lines: fc.array(fc.record({ amount: money, quantity: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 4 }),
  otherFees: fc.array(fc.record({ amount: money, type: fc.constantFrom('SERVICE', 'HANDLING') }), { maxLength: 2 }),
  existingSurcharge: fc.option(positive, { nil: undefined }),
  methodSurcharges: fc.record(
    Object.fromEntries(METHODS.map((m) => [m, fc.option(money, { nil: undefined })])) as Record<
      (typeof METHODS)[number],
      fc.Arbitrary<number | undefined>
    >,
  ),
  networkSurcharges: fc.record(
    Object.fromEntries(NETWORKS.map((n) => [n, fc.option(money, { nil: undefined })])) as Record<
      (typeof NETWORKS)[number],
      fc.Arbitrary<number | undefined>
    >,
  ),
  cardSurcharge: fc.option(money, { nil: undefined }),
});

type Input = typeof arbSession extends fc.Arbitrary<infer T> ? T : never;

function build(input: Input): SessionData {
  const options: Record<string, unknown> = {};
  for (const m of METHODS) {
    const amount = input.methodSurcharges[m];
    if (amount !== undefined) options[m] = { surcharge: { amount } };
  }
  const networks: Record<string, unknown> = {};
  for (const n of NETWORKS) {
    const amount = input.networkSurcharges[n];
    if (amount !== undefined) networks[n] = { surcharge: { amount } };
  }
  options.PAYMENT_CARD = {
    networks,
    ...(input.cardSurcharge !== undefined ? { surcharge: { amount: input.cardSurcharge } } : {}),
  };
  const fees = [
    ...input.otherFees,
    ...(input.existingSurcharge !== undefined ? [{ amount: input.existingSurcharge, type: 'SURCHARGE' }] : []),
  ];
  return {
    currencyCode: 'EUR',
    order: { lineItems: input.lines, ...(fees.length > 0 ? { fees } : {}) },
    paymentMethod: { options: options as never },
  };
}

/** The order total without any SURCHARGE fee. */
function base(session: SessionData): number {
  return sessionAmount(withSurchargeFee(session, undefined)) ?? 0;
}

const context = { shippingMethods: [] };
const select = (type: string, network?: string) => ({
  type: 'SELECT_PAYMENT_METHOD',
  params: { paymentMethodType: type, ...(network ? { binData: { network } } : {}) },
});

describe('surcharge rules (properties)', () => {
  test('selecting a method: total = base + that method surcharge; exactly one SURCHARGE fee when > 0', () => {
    fc.assert(
      fc.property(arbSession, fc.constantFrom(...METHODS), (input, method) => {
        const session = build(input);
        const after = applyActions(session, [select(method)], context);
        const expected = input.methodSurcharges[method] ?? 0;
        assert.equal(sessionAmount(after), base(session) + expected);
        const surcharges = (after.order?.fees ?? []).filter((f) => f.type === 'SURCHARGE');
        assert.deepEqual(
          surcharges.map((f) => f.amount),
          expected > 0 ? [expected] : [],
        );
        // Other fees are kept, in their order.
        assert.deepEqual(
          (after.order?.fees ?? []).filter((f) => f.type !== 'SURCHARGE'),
          input.otherFees,
        );
      }),
    );
  });

  test('a card: the network surcharge when the network has one, else the card surcharge', () => {
    fc.assert(
      fc.property(arbSession, fc.constantFrom(...NETWORKS, 'DISCOVER', undefined), (input, network) => {
        const session = build(input);
        const after = applyActions(session, [select('PAYMENT_CARD', network)], context);
        const byNetwork = network ? input.networkSurcharges[network as (typeof NETWORKS)[number]] : undefined;
        const expected = byNetwork ?? input.cardSurcharge ?? 0;
        assert.equal(surchargeFor(session, 'PAYMENT_CARD', network) ?? 0, expected);
        assert.equal(sessionAmount(after), base(session) + expected);
      }),
    );
  });

  test('unselecting returns to the base total; selecting again replaces rather than adds; the last selection wins', () => {
    fc.assert(
      fc.property(arbSession, fc.array(fc.constantFrom(...METHODS), { minLength: 1, maxLength: 4 }), (input, methods) => {
        const session = build(input);
        const selected = applyActions(
          session,
          methods.map((m) => select(m)),
          context,
        );
        const last = methods[methods.length - 1]!;
        assert.equal(sessionAmount(selected), base(session) + (input.methodSurcharges[last] ?? 0));
        const unselected = applyActions(selected, [{ type: 'UNSELECT_PAYMENT_METHOD' }], context);
        assert.equal(sessionAmount(unselected), base(session));
        assert.ok(!(unselected.order?.fees ?? []).some((f) => f.type === 'SURCHARGE'));
      }),
    );
  });

  test('with a top-level amount, selecting and unselecting change nothing', () => {
    fc.assert(
      fc.property(arbSession, money, fc.constantFrom(...METHODS, 'PAYMENT_CARD'), (input, amount, method) => {
        const session = { ...build(input), amount };
        const after = applyActions(session, [select(method, 'VISA')], context);
        assert.deepEqual(after, session);
        assert.deepEqual(applyActions(session, [{ type: 'UNSELECT_PAYMENT_METHOD' }], context), session);
        assert.equal(sessionAmount(after), amount);
      }),
    );
  });
});

describe('surcharges through POST /client-session/actions', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  const options = {
    PAYMENT_CARD: { networks: { VISA: { surcharge: { amount: 120 } }, MASTERCARD: { surcharge: { amount: 80 } } } },
    PAYPAL: { surcharge: { amount: 50 } },
  };

  test('per method and per card network, stored and visible to GET /client-session', async () => {
    const s = await createSession(t, {
      currencyCode: 'EUR',
      order: { lineItems: [{ amount: 1000 }], fees: [{ type: 'SERVICE', amount: 10 }] },
      paymentMethod: { options },
    });
    const steps: Array<[unknown, number, unknown[]]> = [
      [
        select('PAYPAL'),
        1060,
        [
          { type: 'SERVICE', amount: 10 },
          { amount: 50, type: 'SURCHARGE' },
        ],
      ],
      [
        select('PAYMENT_CARD', 'VISA'),
        1130,
        [
          { type: 'SERVICE', amount: 10 },
          { amount: 120, type: 'SURCHARGE' },
        ],
      ],
      [
        select('PAYMENT_CARD', 'MASTERCARD'),
        1090,
        [
          { type: 'SERVICE', amount: 10 },
          { amount: 80, type: 'SURCHARGE' },
        ],
      ],
      // A network without a surcharge, and a method without one: no SURCHARGE fee.
      [select('PAYMENT_CARD', 'AMEX'), 1010, [{ type: 'SERVICE', amount: 10 }]],
      [select('GOOGLE_PAY'), 1010, [{ type: 'SERVICE', amount: 10 }]],
      [
        select('PAYPAL'),
        1060,
        [
          { type: 'SERVICE', amount: 10 },
          { amount: 50, type: 'SURCHARGE' },
        ],
      ],
      [{ type: 'UNSELECT_PAYMENT_METHOD' }, 1010, [{ type: 'SERVICE', amount: 10 }]],
    ];
    for (const [action, total, fees] of steps) {
      const res = await act(t, s.accessToken, [action]);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().clientSession.order.totalOrderAmount, total, JSON.stringify(action));
      const session = await getSession(t, s.clientToken);
      assert.equal(session.amount, total);
      assert.deepEqual(session.order.fees, fees);
    }
  });

  test('a top-level amount overrides: no surcharge is applied', async () => {
    const s = await createSession(t, {
      currencyCode: 'EUR',
      amount: 999,
      order: { lineItems: [{ amount: 1000 }] },
      paymentMethod: { options },
    });
    const res = await act(t, s.accessToken, [select('PAYPAL')]);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().clientSession.order.totalOrderAmount, 999);
    assert.equal(res.json().clientSession.order.merchantAmount, 999);
    const session = await getSession(t, s.clientToken);
    assert.equal(session.amount, 999);
    assert.equal(session.order.fees, undefined);
  });
});
