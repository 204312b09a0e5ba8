// engines: sqlite, postgres
// CLIENT_SESSION.EXPIRED (docs/webhooks.md, "Events"; docs/sandbox.md, "Clock"): recorded once per session
// when its token expires on its merchant's time, by the background pass or at a clock advance, and
// delivered only to endpoints that name it; several processes record it once.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { expiredEvent } from '../../src/sessions/history.ts';
import { api, otherMerchant } from '../payments/support.ts';
import { createSession, patchSession, START, testApp } from '../support/app.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

async function setup(ctx: TestContext) {
  const [t, rx] = await Promise.all([testApp(), startReceiver()]);
  ctx.after(async () => {
    await t.close();
    await rx.close();
  });
  return { t, rx };
}

const endpoint = async (t: Awaited<ReturnType<typeof testApp>>, url: string, key: string, events?: string[]) => {
  const res = await api(t, 'POST', '/kassa/webhook-endpoints', { url, ...(events ? { events } : {}) }, { key });
  assert.equal(res.statusCode, 200, res.body);
};

test('with the time passing: one event when the token expires, in the shape of the other session events, only to endpoints naming it', async (ctx) => {
  const { t, rx } = await setup(ctx);
  const m = await otherMerchant(t);
  await endpoint(t, `${rx.url}/named`, m.key, ['CLIENT_SESSION.EXPIRED']);
  await endpoint(t, `${rx.url}/default`, m.key);
  const made = await createSession(t, { orderId: 'exp-1', currencyCode: 'EUR', amount: 700 }, { key: m.key });
  const ttl = t.config.tokenTtlSeconds * 1000;
  t.clock.advance(ttl - 1);
  assert.equal(await t.app.sessionExpiry.runDue(), 0, 'a millisecond left');
  t.clock.advance(1);
  assert.equal(await t.app.sessionExpiry.runDue(), 1);
  assert.equal(await t.app.sessionExpiry.runDue(), 0, 'never twice');
  await t.app.webhookDispatcher!.runDue();
  assert.deepEqual(
    rx.received.map((r) => r.path),
    ['/named'],
  );
  const body = rx.received[0]!.body as Record<string, any>;
  const id = body.clientSession.id as string;
  assert.deepEqual(body, {
    eventType: 'CLIENT_SESSION.EXPIRED',
    date: new Date(START + ttl).toISOString().replace('Z', '000'),
    notificationConfig: body.notificationConfig,
    version: body.version,
    signedAt: String(Math.floor((START + ttl) / 1000)),
    clientSession: { id, version: 1, changes: { orderId: 'exp-1', currencyCode: 'EUR', amount: 700 } },
  });
  const history = (await api(t, 'GET', `/kassa/client-sessions/${id}/events`, undefined, { key: m.key })).json().data as Record<
    string,
    any
  >[];
  assert.deepEqual(
    history.map((e) => e.type),
    ['CLIENT_SESSION.CREATED', 'CLIENT_SESSION.EXPIRED'],
  );
  assert.equal(made.claims.exp, Math.floor((START + ttl) / 1000));
});

test("at a clock advance, for that merchant's sessions only; a session updated before it expired shows its history intact", async (ctx) => {
  const { t, rx } = await setup(ctx);
  const a = await otherMerchant(t);
  const b = await otherMerchant(t);
  await endpoint(t, `${rx.url}/a`, a.key, ['CLIENT_SESSION.EXPIRED']);
  await endpoint(t, `${rx.url}/b`, b.key, ['CLIENT_SESSION.EXPIRED']);
  const sa = await createSession(t, { orderId: 'a-1' }, { key: a.key });
  await createSession(t, { orderId: 'b-1' }, { key: b.key });
  const patched = await patchSession(t, { clientToken: sa.clientToken, currencyCode: 'GBP' }, a.key);
  assert.equal(patched.statusCode, 200, patched.body);
  const res = await api(t, 'POST', '/kassa/sandbox/clock', { advanceSeconds: t.config.tokenTtlSeconds }, { key: a.key });
  assert.equal(res.statusCode, 200, res.body);
  await t.app.webhookDispatcher!.runDue();
  assert.deepEqual(
    rx.received.map((r) => `${r.path} ${r.body.clientSession.changes.orderId}`),
    ['/a a-1'],
  );
  assert.equal(await t.app.sessionExpiry.runDue(), 0);
  const id = rx.received[0]!.body.clientSession.id as string;
  const history = (await api(t, 'GET', `/kassa/client-sessions/${id}/events`, undefined, { key: a.key })).json().data as Record<
    string,
    any
  >[];
  assert.deepEqual(
    history.map((e) => [e.type, e.changes]),
    [
      ['CLIENT_SESSION.CREATED', { orderId: 'a-1' }],
      ['CLIENT_SESSION.UPDATED', { currencyCode: { to: 'GBP' } }],
      ['CLIENT_SESSION.EXPIRED', { orderId: 'a-1', currencyCode: 'GBP' }],
    ],
  );
});

test('two processes recording at once: exactly one event per session', async (ctx) => {
  const { t } = await setup(ctx);
  const other = await t.another();
  for (let i = 0; i < 30; i++) await createSession(t, { orderId: `p-${i}` });
  const now = START + t.config.tokenTtlSeconds * 1000;
  const runs = await Promise.all([t.store, other, t.store, other].map((store) => store.sessions.recordExpired(now, 7, expiredEvent)));
  let total = runs.reduce((a, b) => a + b, 0);
  for (let n = 1; n > 0; total += n) n = await other.sessions.recordExpired(now, 7, expiredEvent);
  assert.equal(total, 30);
  const rows = await t.query("SELECT session_id FROM session_events WHERE type = 'CLIENT_SESSION.EXPIRED'");
  assert.equal(rows.length, 30);
  assert.equal(new Set(rows.map((r) => r.session_id)).size, 30);
});
