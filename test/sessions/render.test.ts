// engines: sqlite
// renderSession (plain assignments, no conditional spreads, since it runs on every response): computed amount, Primer's
// payment-method defaults, empty fields omitted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CARD_NETWORKS } from '../../src/primer/enums.ts';
import { renderSession } from '../../src/sessions/render.ts';
import type { SessionData } from '../../src/sessions/schemas.ts';

test('an empty session renders as an empty object', () => {
  assert.deepEqual(renderSession({}), {});
});

test('the amount is computed from the order, fields are kept, and payment-method defaults are filled in', () => {
  const session: SessionData = {
    customerId: 'c-1',
    orderId: 'o-1',
    currencyCode: 'EUR',
    metadata: { channel: 'web' },
    customer: { emailAddress: 'a@example.com' },
    order: { lineItems: [{ amount: 500, quantity: 2, discountAmount: 100 }], shipping: { amount: 50 } },
    paymentMethod: { vaultOnSuccess: true },
  };
  assert.deepEqual(renderSession(session), {
    customerId: 'c-1',
    orderId: 'o-1',
    currencyCode: 'EUR',
    amount: 950,
    metadata: { channel: 'web' },
    customer: { emailAddress: 'a@example.com' },
    order: session.order,
    paymentMethod: { vaultOnSuccess: true, vaultOn3DS: false, orderedAllowedCardNetworks: [...DEFAULT_CARD_NETWORKS] },
  });
});

test('a top-level amount wins over the order total; given card networks are kept', () => {
  const rendered = renderSession({
    amount: 7,
    order: { lineItems: [{ amount: 500 }] },
    paymentMethod: { orderedAllowedCardNetworks: ['VISA'] },
  });
  assert.equal(rendered.amount, 7);
  assert.deepEqual(rendered.paymentMethod, { vaultOnSuccess: false, vaultOn3DS: false, orderedAllowedCardNetworks: ['VISA'] });
});
