// engines: sqlite, postgres
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SessionData } from '../../src/sessions/schemas.ts';
import type { SessionStore } from '../../src/sessions/session.store.ts';
import type { UnitOfWork } from '../../src/storage/unit-of-work.ts';
import { WriteConflict } from '../../src/storage/unit-of-work.ts';
import { headers, testApp, updateSession, type TestApp } from '../support/app.ts';

describe('optimistic concurrency: ETag and If-Match', () => {
  let t: TestApp;
  let token: string;
  let createdEtag: string;
  before(async () => {
    t = await testApp({ env: { KASSA_RATE_LIMIT: 'off' } });
    const res = await t.app.inject({
      method: 'POST',
      url: '/client-session',
      headers: headers(t.apiKey),
      payload: { orderId: 'o-1', currencyCode: 'EUR', amount: 100 },
    });
    token = res.json().clientToken;
    createdEtag = String(res.headers.etag);
  });
  after(() => t.close());

  const get = () => t.app.inject({ method: 'GET', url: `/client-session?clientToken=${token}`, headers: headers(t.apiKey) });
  const patch = (body: Record<string, unknown>, ifMatch?: string) =>
    t.app.inject({
      method: 'PATCH',
      url: '/client-session',
      headers: { ...headers(t.apiKey), ...(ifMatch !== undefined ? { 'if-match': ifMatch } : {}) },
      payload: { clientToken: token, ...body },
    });

  /**
   * The next change to the session decides on the version it read (its If-Match check passes), but
   * another process writes first (setting orderId), so its write fails with a conflict, as the
   * engines report a lost race.
   */
  const loseNextRace = (orderId: string) => {
    const change = t.store.sessions.change.bind(t.store.sessions) as SessionStore['change'];
    t.store.sessions.change = (async (hash: string, decide: (current: never, uow: UnitOfWork) => unknown) => {
      t.store.sessions.change = change;
      const current = (await t.store.sessions.findByAccessTokenHash(hash))!;
      decide(
        current as never,
        {
          sessions: { insert() {}, update() {}, recordEvent() {} },
          idempotency: { complete() {} },
          afterCommit() {},
        } as unknown as UnitOfWork,
      );
      await updateSession(t.store, { ...current, data: { ...current.data, orderId } as SessionData, version: current.version + 1 });
      throw new WriteConflict('another process wrote first');
    }) as SessionStore['change'];
  };

  test('GET and PATCH carry an ETag that changes with every write', async () => {
    const read = await get();
    assert.match(String(read.headers.etag), /^"cs_[A-Za-z0-9_-]+\.1"$/);
    assert.equal(read.headers.etag, createdEtag);
    const written = await patch({ orderId: 'o-2' });
    assert.equal(written.statusCode, 200);
    assert.match(String(written.headers.etag), /\.2"$/);
    assert.equal((await get()).headers.etag, written.headers.etag);
  });

  test('PATCH with the current ETag in If-Match succeeds', async () => {
    const etag = String((await get()).headers.etag);
    const res = await patch({ amount: 200 }, etag);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().amount, 200);
    assert.notEqual(res.headers.etag, etag);
  });

  test('PATCH with a stale If-Match is 412 SessionVersionMismatch and changes nothing', async () => {
    const before = await get();
    const res = await patch({ amount: 999 }, createdEtag);
    assert.equal(res.statusCode, 412);
    assert.equal(res.json().error.errorId, 'SessionVersionMismatch');
    const after = await get();
    assert.equal(after.body, before.body);
    assert.equal(after.headers.etag, before.headers.etag);
  });

  test('If-Match lists and * are honoured; a weak tag never matches', async () => {
    const etag = String((await get()).headers.etag);
    assert.equal((await patch({ amount: 300 }, `"nope", ${etag}`)).statusCode, 200);
    assert.equal((await patch({ amount: 301 }, '*')).statusCode, 200);
    const current = String((await get()).headers.etag);
    assert.equal((await patch({ amount: 302 }, `W/${current}`)).statusCode, 412);
  });

  test('a PATCH that loses the race after its If-Match check is a 412, not a retry on the newer version', async () => {
    const etag = String((await get()).headers.etag);
    // Another process writes between this PATCH's check and its write.
    loseNextRace('someone-else');
    const res = await patch({ amount: 555 }, etag);
    assert.equal(res.statusCode, 412);
    const after = (await get()).json();
    assert.equal(after.orderId, 'someone-else');
    assert.notEqual(after.amount, 555);
  });

  test('without If-Match a PATCH that loses the race merges onto the newer version (Primer behaviour)', async () => {
    loseNextRace('racer');
    const res = await patch({ amount: 777 });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().amount, 777);
    assert.equal(res.json().orderId, 'racer');
  });
});
