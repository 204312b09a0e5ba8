// engines: sqlite, postgres
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { headers, testApp, type TestApp } from '../support/app.ts';

interface Case {
  name: string;
  status: number;
  errorId: string;
  payload: string | Buffer;
  contentType?: string | null;
  url?: string;
  /** A JSON path the error must name. */
  path?: string;
}

const nest = (depth: number) => `{"metadata":{"a":"b"},"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
const pm = (extra: unknown) => JSON.stringify({ paymentMethod: { options: { KLARNA: { extraMerchantData: extra } } } });

const CASES: Case[] = [
  { name: 'malformed JSON', status: 400, errorId: 'InvalidRequestBody', payload: '{"orderId": ' },
  { name: 'empty body', status: 400, errorId: 'InvalidRequestBody', payload: '' },
  { name: 'JSON array', status: 400, errorId: 'InvalidRequestBody', payload: '[1,2]' },
  { name: 'JSON string', status: 400, errorId: 'InvalidRequestBody', payload: '"hello"' },
  { name: 'JSON null', status: 400, errorId: 'InvalidRequestBody', payload: 'null' },
  { name: 'text/plain', status: 415, errorId: 'UnsupportedMediaType', payload: '{}', contentType: 'text/plain' },
  {
    name: 'form content type',
    status: 415,
    errorId: 'UnsupportedMediaType',
    payload: 'a=1',
    contentType: 'application/x-www-form-urlencoded',
  },
  { name: 'no content type', status: 415, errorId: 'UnsupportedMediaType', payload: '{"orderId":"x"}', contentType: null },
  { name: 'body over 1 MiB', status: 413, errorId: 'PayloadTooLarge', payload: JSON.stringify({ orderId: 'x'.repeat(1024 * 1024 + 10) }) },
  { name: 'nesting deeper than 32', status: 400, errorId: 'InvalidRequestBody', payload: nest(40) },
  { name: 'nesting 100k deep', status: 400, errorId: 'InvalidRequestBody', payload: '['.repeat(100_000) },
  { name: '__proto__ key', status: 400, errorId: 'InvalidRequestBody', payload: '{"customer":{"__proto__":{"admin":true}}}' },
  { name: 'constructor.prototype key', status: 400, errorId: 'InvalidRequestBody', payload: '{"constructor":{"prototype":{"x":1}}}' },
  { name: 'constructor key in metadata', status: 400, errorId: 'InvalidRequestBody', payload: '{"metadata":{"constructor":"x"}}' },
  { name: 'prototype key in extraMerchantData', status: 400, errorId: 'InvalidRequestBody', payload: pm({ a: [{ prototype: 1 }] }) },
  {
    name: 'NUL in a string',
    status: 422,
    errorId: 'RequestValidationError',
    payload: JSON.stringify({ orderId: 'a\u0000b' }),
    path: '$.orderId',
  },
  {
    name: 'NUL in a metadata key',
    status: 422,
    errorId: 'RequestValidationError',
    payload: JSON.stringify({ metadata: { 'k\u0000': 1 } }),
    path: '$.metadata["k\\u0000"]',
  },
  { name: 'unpaired surrogate', status: 422, errorId: 'RequestValidationError', payload: '{"orderId":"\\ud800"}', path: '$.orderId' },
  {
    name: 'invalid UTF-8',
    status: 400,
    errorId: 'InvalidRequestBody',
    payload: Buffer.concat([Buffer.from('{"orderId":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
  },
  {
    name: 'overlong UTF-8',
    status: 400,
    errorId: 'InvalidRequestBody',
    payload: Buffer.concat([Buffer.from('{"orderId":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
  },
  { name: 'amount beyond 2^53', status: 422, errorId: 'RequestValidationError', payload: '{"amount":9007199254740993}', path: '$.amount' },
  { name: 'number 1e400', status: 422, errorId: 'RequestValidationError', payload: '{"amount":1e400}', path: '$.amount' },
  {
    name: 'huge number in extraMerchantData',
    status: 422,
    errorId: 'RequestValidationError',
    payload: pm({ n: 1e300 }),
    path: '$.paymentMethod.options.KLARNA.extraMerchantData.n',
  },
  {
    name: 'huge array in extraMerchantData',
    status: 422,
    errorId: 'RequestValidationError',
    payload: pm({ list: Array(5000).fill(0) }),
    path: '$.paymentMethod.options.KLARNA.extraMerchantData.list',
  },
  {
    name: 'huge line item array',
    status: 422,
    errorId: 'RequestValidationError',
    payload: JSON.stringify({ order: { lineItems: Array(600).fill({ amount: 1 }) } }),
    path: '$.order.lineItems',
  },
  {
    name: 'very long string in extraMerchantData',
    status: 422,
    errorId: 'RequestValidationError',
    payload: pm({ s: 'x'.repeat(20_000) }),
    path: '$.paymentMethod.options.KLARNA.extraMerchantData.s',
  },
  {
    name: 'very long orderId',
    status: 422,
    errorId: 'RequestValidationError',
    payload: JSON.stringify({ orderId: 'x'.repeat(10_000) }),
    path: '$.orderId',
  },
  {
    name: 'very long unknown key',
    status: 422,
    errorId: 'RequestValidationError',
    payload: JSON.stringify({ customer: { ['k'.repeat(1000)]: 1 } }),
  },
  { name: 'wrong types', status: 422, errorId: 'RequestValidationError', payload: '{"amount":"100","order":[],"metadata":"x"}' },
  {
    name: 'query string on POST',
    status: 422,
    errorId: 'RequestValidationError',
    payload: '{"orderId":"x"}',
    url: '/client-session?x=1',
    path: '$.x',
  },
];

describe('hostile and malformed input on POST /client-session', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { KASSA_RATE_LIMIT: 'off' } });
  });
  after(() => t.close());
  const count = async () => (await t.store.sessions.listByMerchant('mer_default', { limit: 100_000 })).length;

  for (const c of CASES) {
    test(`${c.name}: ${c.status} ${c.errorId}, nothing stored, server healthy`, async () => {
      const before = await count();
      const h: Record<string, string> = { ...headers(t.apiKey) };
      if (c.contentType === null) delete h['content-type'];
      else if (c.contentType) h['content-type'] = c.contentType;
      const res = await t.app.inject({ method: 'POST', url: c.url ?? '/client-session', headers: h, payload: c.payload });
      assert.equal(res.statusCode, c.status, res.body.slice(0, 300));
      const body = res.json();
      assert.equal(body.error.errorId, c.errorId);
      assert.equal(typeof body.error.diagnosticsId, 'string');
      if (c.path) {
        const paths = body.error.validationErrors.flatMap((g: { errors: { path: string }[] }) => g.errors.map((e) => e.path));
        assert.ok(paths.includes(c.path), `expected ${c.path} in ${JSON.stringify(paths)}`);
      }
      assert.equal(await count(), before);
      assert.equal((await t.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    });
  }

  test('PATCH rejects the same inputs and leaves the session unchanged', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/client-session',
      headers: headers(t.apiKey),
      payload: { orderId: 'keep', amount: 5 },
    });
    const token = created.json().clientToken;
    const read = () => t.app.inject({ method: 'GET', url: `/client-session?clientToken=${token}`, headers: headers(t.apiKey) });
    const before = (await read()).body;
    const bodies = [
      `{"clientToken":"${token}","metadata":{"__proto__":{"x":1}}}`,
      `{"clientToken":"${token}","metadata":{"prototype":"x"}}`,
      `{"clientToken":"${token}","orderId":"a\\u0000"}`,
      `{"clientToken":"${token}","amount":1e400}`,
      `{"clientToken":"${token}","x":${'['.repeat(50)}${']'.repeat(50)}}`,
    ];
    for (const payload of bodies) {
      const res = await t.app.inject({ method: 'PATCH', url: '/client-session', headers: headers(t.apiKey), payload });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${res.statusCode} for ${payload.slice(0, 80)}`);
    }
    const withQuery = await t.app.inject({
      method: 'PATCH',
      url: '/client-session?debug=1',
      headers: headers(t.apiKey),
      payload: { clientToken: token, orderId: 'changed' },
    });
    assert.equal(withQuery.statusCode, 422);
    assert.equal((await read()).body, before);
  });

  test('GET with an unknown query parameter is a 422 naming it', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/client-session?clientToken=abc&x=1', headers: headers(t.apiKey) });
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /"\$\.x"/);
  });
});
