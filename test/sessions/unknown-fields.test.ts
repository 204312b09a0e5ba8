// engines: sqlite
// Unknown nested fields are dropped and reported by JSON path; the body walk keeps one path array for
// speed, so these pin the paths it reports and what it keeps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspectBody } from '../../src/lib/inspect-json.ts';
import { CreateSessionBody } from '../../src/sessions/schemas.ts';

/** The body without its unknown fields (removed in place, as the body reader does), and their paths. */
const stripUnknownFields = (schema: object, value: unknown) => ({ value, ignored: inspectBody(value, schema, false).ignored });

test('unknown fields at every depth are dropped and named, in document order; known ones kept as sent', () => {
  const body = {
    orderId: 'o-1',
    order: {
      lineItems: [
        { itemId: 'a', amount: 100, colour: 'red' },
        { itemId: 'b', amount: 200, productData: { sku: 's', 'odd key': 1 } },
      ],
      shipping: { amount: 5, carrier: 'dhl' },
    },
    customer: { emailAddress: 'a@example.com', billingAddress: { city: 'Berlin', floor: 3 } },
    metadata: { anything: 'kept', nested_ok: 1 },
    paymentMethod: { options: { PAYPAL: { surcharge: { amount: 1 }, extraMerchantData: { free: { form: true } }, zz: 1 } } },
  };
  const { value, ignored } = stripUnknownFields(CreateSessionBody, structuredClone(body));
  assert.deepEqual(ignored, [
    '$.order.lineItems[0].colour',
    '$.order.lineItems[1].productData["odd key"]',
    '$.order.shipping.carrier',
    '$.customer.billingAddress.floor',
    '$.paymentMethod.options.PAYPAL.zz',
  ]);
  assert.deepEqual(value, {
    orderId: 'o-1',
    order: {
      lineItems: [
        { itemId: 'a', amount: 100 },
        { itemId: 'b', amount: 200, productData: { sku: 's' } },
      ],
      shipping: { amount: 5 },
    },
    customer: { emailAddress: 'a@example.com', billingAddress: { city: 'Berlin' } },
    metadata: { anything: 'kept', nested_ok: 1 },
    paymentMethod: { options: { PAYPAL: { surcharge: { amount: 1 }, extraMerchantData: { free: { form: true } } } } },
  });
  // Only the value walked is changed (the reader walks its own parse of the request).
  assert.equal(body.order.lineItems[0]!.colour, 'red');
});

test('a body without unknown fields comes back equal, with nothing reported', () => {
  const body = { currencyCode: 'EUR', order: { lineItems: [{ amount: 1 }], countryCode: 'DE' }, customer: { firstName: 'Ada' } };
  assert.deepEqual(stripUnknownFields(CreateSessionBody, body), { value: body, ignored: [] });
});
