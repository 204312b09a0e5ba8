// engines: sqlite, postgres
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { headers, testApp, type TestApp } from '../support/app.ts';

const ORDER = { orderId: 'order-1', currencyCode: 'GBP', order: { lineItems: [{ itemId: 'a', amount: 500, quantity: 1 }] } };

describe('idempotency keys', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { KASSA_RATE_LIMIT: 'off' } });
  });
  after(() => t.close());

  const post = (key: string | undefined, body: unknown, extra: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/client-session',
      headers: { ...headers(t.apiKey), ...(key ? { 'x-idempotency-key': key } : {}), ...extra },
      payload: JSON.stringify(body),
    });
  const count = async () => (await t.store.sessions.listByMerchant('mer_default', { limit: 10_000 })).length;

  test('POST with the same key and body replays the stored response byte for byte and creates once', async () => {
    const before = await count();
    const first = await post('create-1', ORDER);
    assert.equal(first.statusCode, 200);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const second = await post('create-1', ORDER);
    assert.equal(second.statusCode, 200);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(second.body, first.body);
    assert.equal(second.headers.etag, first.headers.etag);
    assert.equal(await count(), before + 1);
    // Key order in the body does not matter: it is the same request.
    const reordered = await post('create-1', { order: ORDER.order, currencyCode: 'GBP', orderId: 'order-1' });
    assert.equal(reordered.body, first.body);
  });

  test('Idempotency-Key is accepted as well as X-Idempotency-Key', async () => {
    const first = await t.app.inject({
      method: 'POST',
      url: '/client-session',
      headers: { ...headers(t.apiKey), 'idempotency-key': 'plain-1' },
      payload: ORDER,
    });
    const second = await post('plain-1', ORDER);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(second.body, first.body);
  });

  test('the same key with another body is 422 IdempotencyKeyReused and creates nothing', async () => {
    await post('create-2', ORDER);
    const before = await count();
    const other = await post('create-2', { ...ORDER, orderId: 'order-2' });
    assert.equal(other.statusCode, 422);
    assert.equal(other.json().error.errorId, 'IdempotencyKeyReused');
    assert.equal(await count(), before);
  });

  test('the same key under another API version is another request', async () => {
    await post('create-v', ORDER);
    const other = await post('create-v', ORDER, { 'x-api-version': '2.3' });
    assert.equal(other.statusCode, 422);
    assert.equal(other.json().error.errorId, 'IdempotencyKeyReused');
  });

  test('a key is scoped to its merchant', async () => {
    const { Merchants } = await import('../../src/merchants/merchants.ts');
    const merchants = new Merchants(t.store, () => t.clock.now);
    const m = await merchants.createMerchant('Other');
    const { secret } = await merchants.createKey(m.id);
    const mine = await post('shared-key', ORDER);
    const theirs = await t.app.inject({
      method: 'POST',
      url: '/client-session',
      headers: { ...headers(secret), 'x-idempotency-key': 'shared-key' },
      payload: ORDER,
    });
    assert.equal(theirs.statusCode, 200);
    assert.equal(theirs.headers['idempotent-replayed'], undefined);
    assert.notEqual(theirs.json().clientToken, mine.json().clientToken);
  });

  test('a failed request releases its key: a corrected retry with the same body runs', async () => {
    const bad = { ...ORDER, currencyCode: 'XXX' };
    const first = await post('retry-1', bad);
    assert.equal(first.statusCode, 422);
    const second = await post('retry-1', bad);
    assert.equal(second.statusCode, 422);
    assert.notEqual(second.json().error.errorId, 'IdempotencyKeyReused');
    const good = await post('retry-1', ORDER);
    assert.equal(good.statusCode, 200);
  });

  test('a second request while the first is in flight is 409 IdempotencyKeyInFlight with Retry-After', async () => {
    const slow = t.store.commit.bind(t.store);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    t.store.commit = async (record) => {
      entered();
      await gate;
      return slow(record);
    };
    try {
      const first = post('flight-1', ORDER);
      await inside;
      const second = await post('flight-1', ORDER);
      assert.equal(second.statusCode, 409);
      assert.equal(second.json().error.errorId, 'IdempotencyKeyInFlight');
      assert.equal(second.headers['retry-after'], '1');
      release();
      assert.equal((await first).statusCode, 200);
    } finally {
      t.store.commit = slow;
    }
    const third = await post('flight-1', ORDER);
    assert.equal(third.headers['idempotent-replayed'], 'true');
  });

  test('PATCH with a key applies once and replays', async () => {
    const created = (await post(undefined, ORDER)).json();
    const patch = (key: string) =>
      t.app.inject({
        method: 'PATCH',
        url: '/client-session',
        headers: { ...headers(t.apiKey), 'x-idempotency-key': key },
        payload: { clientToken: created.clientToken, metadata: { n: 1 } },
      });
    const first = await patch('patch-1');
    const second = await patch('patch-1');
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(second.body, first.body);
    assert.equal(second.headers.etag, first.headers.etag);
    const stored = (await t.store.sessions.listByMerchant('mer_default', { limit: 10_000 })).find((s) => s.data.metadata?.n === 1);
    assert.equal(stored?.version, 2);
  });

  test('PATCH: the same key with another If-Match is another request', async () => {
    const created = await post(undefined, ORDER);
    const token = created.json().clientToken;
    const patch = (ifMatch: string) =>
      t.app.inject({
        method: 'PATCH',
        url: '/client-session',
        headers: { ...headers(t.apiKey), 'x-idempotency-key': 'patch-if-match', 'if-match': ifMatch },
        payload: { clientToken: token, orderId: 'changed' },
      });
    assert.equal((await patch(String(created.headers.etag))).statusCode, 200);
    const other = await patch('*');
    assert.equal(other.statusCode, 422);
    assert.equal(other.json().error.errorId, 'IdempotencyKeyReused');
  });

  test('records expire after the TTL: the key can then be used for a new request', async () => {
    await post('ttl-1', ORDER);
    t.clock.advance(24 * 3600 * 1000 + 1);
    const again = await post('ttl-1', { ...ORDER, orderId: 'other' });
    assert.equal(again.statusCode, 200);
    assert.equal(again.headers['idempotent-replayed'], undefined);
  });

  test('a replay after the session token expired is answered as a fresh request with it would be: 400, not the dead token', async () => {
    const short = await testApp({ env: { KASSA_RATE_LIMIT: 'off', KASSA_TOKEN_TTL_SECONDS: '60', KASSA_IDEMPOTENCY_TTL_SECONDS: '3600' } });
    try {
      const send = () =>
        short.app.inject({
          method: 'POST',
          url: '/client-session',
          headers: { ...headers(short.apiKey), 'x-idempotency-key': 'expiring-1' },
          payload: ORDER,
        });
      assert.equal((await send()).statusCode, 200);
      short.clock.advance(59_000);
      assert.equal((await send()).headers['idempotent-replayed'], 'true');
      short.clock.advance(1_000);
      const late = await send();
      assert.equal(late.statusCode, 400);
      assert.equal(late.json().error.errorId, 'ClientSessionValidationError');
      assert.ok(!late.body.includes('clientToken'), 'the expired token is not handed out again');
      assert.equal((await short.store.sessions.listByMerchant('mer_default', { limit: 10 })).length, 1, 'and nothing is created twice');
    } finally {
      await short.close();
    }
  });

  test('a malformed key is a 422 naming the header', async () => {
    const res = await post('x'.repeat(256), ORDER);
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().error.validationErrors[0].errors[0].path, 'X-Idempotency-Key');
  });

  test('the database holds neither the idempotency key nor the client token in clear', async () => {
    const res = await post('secret-key-for-db-check', ORDER);
    const token: string = res.json().clientToken;
    const rows = await t.query('SELECT * FROM idempotency_keys');
    const dump = JSON.stringify(rows);
    assert.ok(rows.length > 0);
    assert.ok(!dump.includes('secret-key-for-db-check'));
    assert.ok(!dump.includes(token));
    assert.ok(!dump.includes(token.split('.')[1]!));
  });
});

test('idempotency records are shared through the database (a second process replays)', async () => {
  const t1 = await testApp({ env: { KASSA_RATE_LIMIT: 'off' } });
  try {
    const first = await t1.app.inject({
      method: 'POST',
      url: '/client-session',
      headers: { ...headers(t1.apiKey), 'x-idempotency-key': 'k' },
      payload: ORDER,
    });
    const t2 = await testApp({ env: { KASSA_RATE_LIMIT: 'off' }, store: await t1.another() });
    try {
      const second = await t2.app.inject({
        method: 'POST',
        url: '/client-session',
        headers: { ...headers(t2.apiKey), 'x-idempotency-key': 'k' },
        payload: ORDER,
      });
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.equal(second.body, first.body);
    } finally {
      await t2.close();
    }
  } finally {
    await t1.close();
  }
});
