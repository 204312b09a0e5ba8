// engines: sqlite, postgres
// Every error of the catalogue through HTTP, in Primer's envelope (docs/api.md, "Errors").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerOptions } from '../../src/http/observability.ts';
import { Merchants } from '../../src/merchants/merchants.ts';
import { createSession, getSession, headers, testApp, type TestApp } from '../support/app.ts';

async function setup(t: { after: (fn: () => Promise<void>) => void }): Promise<TestApp> {
  const app = await testApp();
  t.after(() => app.close());
  return app;
}

function assertEnvelope(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, errorId: string) {
  assert.equal(res.statusCode, status);
  const { error } = res.json();
  assert.equal(error.errorId, errorId);
  assert.equal(typeof error.description, 'string');
  assert.equal(error.diagnosticsId, res.headers['x-request-id'], 'diagnosticsId is the request id');
  assert.deepEqual(Object.keys(res.json()), ['error']);
}

async function sessionCount(app: TestApp): Promise<number> {
  return (await app.store.sessions.listByMerchant('mer_default', { limit: 1000 })).length;
}

test('422 RequestValidationError lists every problem with its JSON path and the model', async (t) => {
  const app = await setup(t);
  const res = await app.app.inject({
    method: 'POST',
    url: '/client-session',
    headers: headers(app.apiKey),
    payload: {
      customerId: 123,
      currencyCode: 'XXX',
      order: { lineItems: [{ name: 'x' }], countryCode: 'ZZ' },
      amount: 1.5,
      surprise: true,
    },
  });
  assertEnvelope(res, 422, 'RequestValidationError');
  const [group] = res.json().error.validationErrors;
  assert.equal(group.model, 'ClientSessionAPIRequest');
  const byPath = Object.fromEntries(group.errors.map((e: { path: string; description: string }) => [e.path, e.description]));
  assert.deepEqual(byPath, {
    '$.surprise': 'Unknown field: extra fields are not permitted here',
    '$.customerId': 'Value must be a valid string',
    '$.currencyCode': 'Value is not a valid member of Currency',
    '$.amount': 'Value must be a valid integer',
    '$.order.lineItems[0].amount': 'Field required',
    '$.order.countryCode': 'Value is not a valid member of CountryCodeEnum',
  });
  assert.equal(await sessionCount(app), 0);
});

test('a money value past 2^53-1 gets a 422 that says why', async (t) => {
  const app = await setup(t);
  const res = await app.app.inject({
    method: 'POST',
    url: '/client-session',
    headers: headers(app.apiKey),
    payload: '{"amount": 9007199254740993}',
  });
  assertEnvelope(res, 422, 'RequestValidationError');
  assert.match(res.json().error.validationErrors[0].errors[0].description, /safe integer/);
});

test("400 ClientSessionValidationError for a malformed token, with Primer's wording", async (t) => {
  const app = await setup(t);
  const res = await getSession(app, 'not-a-token');
  assertEnvelope(res, 400, 'ClientSessionValidationError');
  assert.equal(res.json().error.description, 'The client token is invalid.');
  assert.equal(res.json().error.recoverySuggestion, 'Please provide a valid client token.');
});

test('400 ClientSessionValidationError for a tampered token (payload changed, signature kept)', async (t) => {
  const app = await setup(t);
  const { clientToken } = await createSession(app, { orderId: 'x' });
  const [h, p, s] = clientToken.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  claims.exp += 3600;
  const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
  assertEnvelope(await getSession(app, forged), 400, 'ClientSessionValidationError');
  const badSignature = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
  assertEnvelope(await getSession(app, badSignature), 400, 'ClientSessionValidationError');
});

test('400 ClientSessionValidationError for an expired token (injected clock), on GET and PATCH', async (t) => {
  const app = await setup(t);
  const { clientToken } = await createSession(app, { orderId: 'x' });
  app.clock.advance(86_400_000 - 1000);
  assert.equal((await getSession(app, clientToken)).statusCode, 200, 'still valid one second before exp');
  app.clock.advance(1000);
  assertEnvelope(await getSession(app, clientToken), 400, 'ClientSessionValidationError');
  const patch = await app.app.inject({
    method: 'PATCH',
    url: '/client-session',
    headers: headers(app.apiKey),
    payload: { clientToken, orderId: 'y' },
  });
  assertEnvelope(patch, 400, 'ClientSessionValidationError');
});

test("a refused client token: the answer is Primer's, and the log at debug says why, under the diagnosticsId, without the token", async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const app = await testApp({ logger: pino(loggerOptions('debug'), sink) });
  t.after(() => app.close());
  const { clientToken } = await createSession(app, { orderId: 'x' });
  const accessToken = JSON.parse(Buffer.from(clientToken.split('.')[1]!, 'base64url').toString()).accessToken as string;
  const [h, p, sig] = clientToken.split('.');
  const sdk = (token: string) =>
    app.app.inject({ method: 'GET', url: '/client-sdk/configuration', headers: { 'primer-client-token': token, 'x-api-version': '2.4' } });

  const cases: [string, () => Promise<{ statusCode: number; headers: Record<string, unknown>; json(): any }>, RegExp][] = [
    [
      'bad signature',
      () => getSession(app, `${h}.${p}.${sig!.slice(0, -2)}${sig!.endsWith('AA') ? 'BB' : 'AA'}`),
      /^client token refused: bad signature/,
    ],
    [
      'not a JWT',
      () => getSession(app, accessToken),
      /^client token refused: not a JWT \(an accessToken sent where the whole client token belongs\?\)$/,
    ],
    ['unknown access token', () => sdk('0'.repeat(40)), /^no session has this access token/],
    [
      'a whole JWT as the access token',
      () => sdk(clientToken),
      /^a whole client token \(JWT\) was sent where its accessToken claim belongs$/,
    ],
  ];
  for (const [what, send, reason] of cases) {
    const res = await send();
    assertEnvelope(res, 400, 'ClientSessionValidationError');
    assert.equal(res.json().error.description, 'The client token is invalid.', what);
    const logged = lines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'request refused' && l.requestId === res.json().error.diagnosticsId);
    assert.ok(logged, `${what}: no debug line under the diagnosticsId`);
    assert.equal(logged.level, 20, what);
    assert.match(logged.reason, reason, what);
  }
  app.clock.advance(86_400_000);
  const expired = await getSession(app, clientToken);
  assertEnvelope(expired, 400, 'ClientSessionValidationError');
  const line = lines
    .map((l) => JSON.parse(l))
    .find((l) => l.requestId === expired.json().error.diagnosticsId && l.msg === 'request refused');
  assert.match(line.reason, /^client token refused: expired at 20\d\d-/);
  // The token, its signature and its access token are in no line.
  for (const l of lines) {
    assert.ok(!l.includes(accessToken) && !l.includes(sig!) && !l.includes(p!), l);
  }
});

test('a token from merchant A is rejected for merchant B, exactly like an unknown token', async (t) => {
  const app = await setup(t);
  const merchants = new Merchants(app.store, () => app.clock.now);
  const other = await merchants.createMerchant('Merchant B');
  const { secret } = await merchants.createKey(other.id);
  const { clientToken } = await createSession(app, { orderId: 'a-only' });
  const asB = await getSession(app, clientToken, secret);
  assertEnvelope(asB, 400, 'ClientSessionValidationError');
  const patchAsB = await app.app.inject({
    method: 'PATCH',
    url: '/client-session',
    headers: headers(secret),
    payload: { clientToken, orderId: 'stolen' },
  });
  assertEnvelope(patchAsB, 400, 'ClientSessionValidationError');
  assert.equal((await getSession(app, clientToken)).json().orderId, 'a-only');
});

test("400 MetadataContainsEmptyKey with Primer's wording, on create and update", async (t) => {
  const app = await setup(t);
  const res = await app.app.inject({
    method: 'POST',
    url: '/client-session',
    headers: headers(app.apiKey),
    payload: { metadata: { '': 'x' } },
  });
  assertEnvelope(res, 400, 'MetadataContainsEmptyKey');
  assert.equal(res.json().error.description, 'Metadata field contains empty string key.');
  const { clientToken } = await createSession(app, {});
  const patch = await app.app.inject({
    method: 'PATCH',
    url: '/client-session',
    headers: headers(app.apiKey),
    payload: { clientToken, metadata: { '': 1 } },
  });
  assertEnvelope(patch, 400, 'MetadataContainsEmptyKey');
});

test('metadata: strings and safe integers only, bounded keys and values, reported at the key path', async (t) => {
  const app = await setup(t);
  const { response: ok } = await createSession(app, { metadata: { productId: 1001, merchantRef: 'a13bsd62s', neg: -5 } });
  assert.deepEqual(ok.metadata, { productId: 1001, merchantRef: 'a13bsd62s', neg: -5 });
  const res = await app.app.inject({
    method: 'POST',
    url: '/client-session',
    headers: headers(app.apiKey),
    payload: { metadata: { f: 1.5, b: true, o: { x: 1 }, a: [1], long: 'x'.repeat(4097), ['k'.repeat(255)]: 'v' } },
  });
  assertEnvelope(res, 422, 'RequestValidationError');
  const paths = new Set(res.json().error.validationErrors[0].errors.map((e: { path: string }) => e.path));
  for (const p of ['$.metadata.f', '$.metadata.b', '$.metadata.o', '$.metadata.a', '$.metadata.long']) {
    assert.ok(paths.has(p), `${p} reported`);
  }
  assert.equal(paths.has(`$.metadata.${'k'.repeat(255)}`), false, 'a 255-character key is fine');
  // A key over 255 characters is refused by the body guard before the schema runs.
  const longKey = await app.app.inject({
    method: 'POST',
    url: '/client-session',
    headers: headers(app.apiKey),
    payload: { metadata: { ['j'.repeat(256)]: 'v' } },
  });
  assertEnvelope(longKey, 422, 'RequestValidationError');
  assert.match(longKey.json().error.validationErrors[0].errors[0].path, /^\$\.metadata\["j{64}…"\]$/, 'the path names the key, shortened');
  const many = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`k${i}`, i]));
  const tooMany = await app.app.inject({
    method: 'POST',
    url: '/client-session',
    headers: headers(app.apiKey),
    payload: { metadata: many },
  });
  assertEnvelope(tooMany, 422, 'RequestValidationError');
  assert.equal(await sessionCount(app), 1);
});

test('400 InvalidRequestBody for malformed JSON and for JSON that is not an object', async (t) => {
  const app = await setup(t);
  for (const payload of ['{"orderId":', '[1,2]', '"text"', '42', 'null']) {
    const res = await app.app.inject({ method: 'POST', url: '/client-session', headers: headers(app.apiKey), payload });
    assertEnvelope(res, 400, 'InvalidRequestBody');
  }
  assert.equal(await sessionCount(app), 0);
});

test('400 InvalidApiVersion for an unknown X-Api-Version, listing the supported values', async (t) => {
  const app = await setup(t);
  const res = await app.app.inject({ method: 'POST', url: '/client-session', headers: headers(app.apiKey, '3.0'), payload: {} });
  assertEnvelope(res, 400, 'InvalidApiVersion');
  assert.match(res.json().error.description, /2\.1, 2\.2, 2\.3, 2\.4/);
});

test('401 Unauthorized without a key, with an unknown key and with a revoked key', async (t) => {
  const app = await setup(t);
  const none = await app.app.inject({
    method: 'POST',
    url: '/client-session',
    headers: { 'content-type': 'application/json' },
    payload: {},
  });
  assertEnvelope(none, 401, 'Unauthorized');
  assertEnvelope(
    await app.app.inject({ method: 'POST', url: '/client-session', headers: headers('kassa_sk_unknown'), payload: {} }),
    401,
    'Unauthorized',
  );
  const merchants = new Merchants(app.store, () => app.clock.now);
  const { key, secret } = await merchants.createKey('mer_default');
  assert.equal((await app.app.inject({ method: 'POST', url: '/client-session', headers: headers(secret), payload: {} })).statusCode, 200);
  await app.store.apiKeys.revoke(key.id, app.clock.now);
  assertEnvelope(
    await app.app.inject({ method: 'POST', url: '/client-session', headers: headers(secret), payload: {} }),
    401,
    'Unauthorized',
  );
});

test('403 Forbidden for a key without client_tokens:write, on all three endpoints', async (t) => {
  const app = await setup(t);
  const { clientToken } = await createSession(app, {});
  const { secret } = await new Merchants(app.store, () => app.clock.now).createKey('mer_default', ['transactions:retrieve']);
  assertEnvelope(await app.app.inject({ method: 'POST', url: '/client-session', headers: headers(secret), payload: {} }), 403, 'Forbidden');
  assertEnvelope(await getSession(app, clientToken, secret), 403, 'Forbidden');
  assertEnvelope(
    await app.app.inject({ method: 'PATCH', url: '/client-session', headers: headers(secret), payload: { clientToken } }),
    403,
    'Forbidden',
  );
});

test('403 Forbidden names the missing scope in both the description and the recoverySuggestion', async (t) => {
  const app = await setup(t);
  const { secret } = await new Merchants(app.store, () => app.clock.now).createKey('mer_default', ['client_tokens:write']);
  const res = await app.app.inject({ method: 'GET', url: '/payments/pay_unknown', headers: headers(secret) });
  assertEnvelope(res, 403, 'Forbidden');
  const { description, recoverySuggestion } = res.json().error;
  assert.equal(description, 'The API key does not have the transactions:retrieve scope this operation needs.');
  assert.equal(recoverySuggestion, 'Use an API key with the transactions:retrieve scope.');
});

test('404 NotFound for an unknown path; 405 MethodNotAllowed with Allow for a method a known path does not serve', async (t) => {
  const app = await setup(t);
  assertEnvelope(await app.app.inject({ method: 'GET', url: '/nope' }), 404, 'NotFound');
  const wrongMethod = await app.app.inject({ method: 'DELETE', url: '/client-session', headers: headers(app.apiKey) });
  assertEnvelope(wrongMethod, 405, 'MethodNotAllowed');
  assert.equal(wrongMethod.headers.allow, 'GET, HEAD, PATCH, POST');
});

test('GET /: a browser is sent to the dashboard, an API client gets the 404 envelope', async (t) => {
  const app = await setup(t);
  const browser = await app.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
  assert.equal(browser.statusCode, 302);
  assert.equal(browser.headers.location, '/dashboard');
  assertEnvelope(await app.app.inject({ method: 'GET', url: '/', headers: { accept: 'application/json' } }), 404, 'NotFound');
  assertEnvelope(await app.app.inject({ method: 'GET', url: '/' }), 404, 'NotFound');
});

test('the page a 422 points at exists: /docs/api leads to the API reference', async (t) => {
  const app = await setup(t);
  const invalid = await app.app.inject({ method: 'POST', url: '/client-session', headers: headers(app.apiKey), payload: { amount: 1.5 } });
  const pointer = /against (\/\S+)$/.exec(invalid.json().error.description)?.[1];
  assert.equal(pointer, '/docs/api');
  const res = await app.app.inject({ method: 'GET', url: pointer });
  assert.equal(res.statusCode, 302);
  const page = await app.app.inject({ method: 'GET', url: res.headers.location as string });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
});

test('413 PayloadTooLarge for a body over 1 MiB', async (t) => {
  const app = await setup(t);
  const payload = JSON.stringify({ orderId: 'x'.repeat(1024 * 1024) });
  assertEnvelope(
    await app.app.inject({ method: 'POST', url: '/client-session', headers: headers(app.apiKey), payload }),
    413,
    'PayloadTooLarge',
  );
});

test('415 UnsupportedMediaType for a wrong or missing content type', async (t) => {
  const app = await setup(t);
  const wrong = await app.app.inject({
    method: 'POST',
    url: '/client-session',
    headers: { ...headers(app.apiKey), 'content-type': 'text/plain' },
    payload: '{}',
  });
  assertEnvelope(wrong, 415, 'UnsupportedMediaType');
  const { 'content-type': _c, ...noType } = headers(app.apiKey);
  // A body without its type; with no body at all, POST /client-session's optional body is {} (test/payments/primer-letter.http.test.ts).
  const missing = await app.app.inject({ method: 'POST', url: '/client-session', headers: noType, payload: '{}' });
  assertEnvelope(missing, 415, 'UnsupportedMediaType');
  const noTypeOnPatch = await app.app.inject({ method: 'PATCH', url: '/client-session', headers: noType });
  assertEnvelope(noTypeOnPatch, 415, 'UnsupportedMediaType');
  const form = await app.app.inject({
    method: 'PATCH',
    url: '/client-session',
    headers: { ...headers(app.apiKey), 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'a=b',
  });
  assertEnvelope(form, 415, 'UnsupportedMediaType');
});

test('500 InternalServerError for an unexpected fault, never echoing the internal message', async (t) => {
  const app = await setup(t);
  const original = app.store.commit;
  app.store.commit = async () => {
    throw new Error('disk on fire at /var/secret/path');
  };
  t.after(() => {
    app.store.commit = original;
  });
  const res = await app.app.inject({ method: 'POST', url: '/client-session', headers: headers(app.apiKey), payload: {} });
  assertEnvelope(res, 500, 'InternalServerError');
  assert.equal(res.body.includes('disk on fire'), false);
});

test('a well-formed X-Request-Id is kept as the diagnosticsId', async (t) => {
  const app = await setup(t);
  const res = await app.app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'req-123.abc' } });
  assert.equal(res.headers['x-request-id'], 'req-123.abc');
  assert.equal(res.json().error.diagnosticsId, 'req-123.abc');
  const bad = await app.app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'has spaces<script>' } });
  assert.notEqual(bad.headers['x-request-id'], 'has spaces<script>');
});

test('signature and expiry are checked before any storage read', async (t) => {
  const app = await setup(t);
  const { clientToken } = await createSession(app, { orderId: 'x' });
  let reads = 0;
  const original = app.store.sessions.findByAccessTokenHash;
  app.store.sessions.findByAccessTokenHash = async (hash) => {
    reads++;
    return original(hash);
  };
  const [h, p, s] = clientToken.split('.');
  await getSession(app, `${h}.${p}.${s.split('').reverse().join('')}`);
  await getSession(app, 'garbage');
  assert.equal(reads, 0, 'a bad signature never reaches storage');
  app.clock.advance(86_400_000);
  await getSession(app, clientToken);
  assert.equal(reads, 0, 'an expired token never reaches storage');
});
