// engines: in-file
// Webhooks with real processes (docs/webhooks.md): KASSA_WEBHOOK_URL (and KASSA_WEBHOOK_SECRET) at
// start-up make the default merchant's endpoint; a payment's events are committed with it, so a
// process killed after answering, before it could deliver, delivers them once started again (SQLite
// and PostgreSQL); and two processes on one PostgreSQL deliver each of the events of 1,000 payments
// exactly once, every one of them, signed with the endpoint's secret; and with a receiver that takes most
// of the timeout to answer, two processes (SQLite and PostgreSQL) still send no delivery id twice.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { validExpiry } from '../payments/support.ts';
import { freshDatabase } from '../support/postgres.ts';
import { processFleet, type KassaProcess } from '../support/process.ts';
import { expectedSignature, startReceiver, type Receiver } from '../support/webhook-receiver.ts';

const API_KEY = 'kassa_e2e_key_0123456789abcdef';
const SECRET = 'whsec_e2e_configured_secret_0123456789';
const VISA = '4111111111111111';

describe('webhooks with real processes', () => {
  const fleet = processFleet(API_KEY);
  after(() => fleet.close());
  const { start, call } = fleet;

  async function receiver(answer?: Receiver['answer']): Promise<Receiver> {
    const rx = await startReceiver(answer);
    fleet.cleanup(() => rx.close());
    return rx;
  }

  const sdk = (accessToken: string) => ({ 'primer-client-token': accessToken, 'x-api-version': '2.4', 'content-type': 'application/json' });

  async function session(p: KassaProcess): Promise<string> {
    const created = await call(p, 'POST', '/client-session', { orderId: 'order-1', currencyCode: 'EUR', amount: 1500 });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return JSON.parse(Buffer.from(created.body.clientToken.split('.')[1], 'base64url').toString('utf8')).accessToken as string;
  }

  /** Tokenize (as the SDK) and create (with the API key), over HTTP; resolves with the payment's id. */
  async function pay(p: KassaProcess, accessToken: string, orderId: string): Promise<string> {
    const tokenized = await call(
      p,
      'POST',
      '/payment-instruments',
      { paymentInstrument: { number: VISA, cvv: '123', ...validExpiry(Date.now()) } },
      sdk(accessToken),
    );
    assert.equal(tokenized.status, 200, JSON.stringify(tokenized.body));
    const created = await call(p, 'POST', '/payments', { paymentMethodToken: tokenized.body.token, orderId });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.status, 'AUTHORIZED');
    return created.body.id as string;
  }

  /** Polls until `done` (a bound so a broken run cannot hang, not a timing claim). */
  async function eventually(done: () => boolean | Promise<boolean>, what: string, boundMs = 60_000): Promise<void> {
    const until = Date.now() + boundMs;
    while (!(await done())) {
      if (Date.now() > until) throw new Error(`not within ${boundMs / 1000} s: ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The database as an operator reads it, whatever the engine (placeholders `?`). */
  function operator(databaseUrl: string) {
    if (databaseUrl.startsWith('sqlite:')) {
      const db = new Database(databaseUrl.slice('sqlite:'.length));
      return { rows: async (sql: string) => db.prepare(sql).all() as Record<string, any>[], close: async () => db.close() };
    }
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    return { rows: async (text: string) => [...(await sql.unsafe(text))] as Record<string, any>[], close: () => sql.end() };
  }

  async function crashBetweenCommitAndDelivery(databaseUrl: string, secret: string | undefined) {
    // Until the crash the receiver refuses everything, so nothing can be delivered before it.
    let up = false;
    const rx = await receiver(() => (up ? 200 : 503));
    const env = {
      DATABASE_URL: databaseUrl,
      KASSA_WEBHOOK_URL: `${rx.url}/kassa`,
      // Retries after 100 ms, 600 ms, 3 s...: the retry due when the new process starts is sent at once.
      KASSA_WEBHOOK_RETRY_SCALE: '0.01',
      // A kill that lands mid-attempt leaves that delivery claimed: the claim lapses after its lease
      // (one timeout, at least 15 s), and the restarted process sends it then.
      KASSA_WEBHOOK_TIMEOUT_MS: '1000',
      ...(secret ? { KASSA_WEBHOOK_SECRET: secret } : {}),
    };
    const first = await start(env);
    let signingSecret = secret;
    if (!secret) {
      // No secret configured: Kassa made one and printed it, once.
      const line = await first.waitFor(/^\s+whsec_[A-Za-z0-9_-]+$/);
      signingSecret = line.trim();
      assert.ok(first.output().includes('Kassa made a signing secret for KASSA_WEBHOOK_URL'));
    }
    const accessToken = await session(first);
    const paymentIds = await Promise.all([1, 2, 3].map((i) => pay(first, accessToken, `order-${i}`)));
    await first.stop('SIGKILL');
    const received = rx.received.length;

    // Acknowledged means committed, events included (the outbox): each event has its delivery or still
    // awaits it (the dispatcher may have made some before the kill); none delivered.
    const db = operator(databaseUrl);
    const before = await db.rows('SELECT id, status, subject_id FROM webhook_deliveries');
    const events = await db.rows('SELECT id, awaiting_fan_out FROM payment_events');
    await db.close();
    assert.equal(events.length, 2 * paymentIds.length, 'PENDING and AUTHORIZED of each payment');
    assert.equal(
      before.length + events.filter((e) => Number(e.awaiting_fan_out) === 1).length,
      events.length,
      'one delivery per event, made or to make',
    );
    assert.ok(before.every((r) => r.status === 'PENDING' && paymentIds.includes(r.subject_id)));

    up = true;
    const second = await start(env);
    const afterRestart = () => new Set(rx.received.slice(received).map((g) => String(g.headers['x-kassa-delivery-id'])));
    await eventually(() => afterRestart().size >= events.length, 'every event delivered after the restart');
    const check = operator(databaseUrl);
    const rows = await check.rows('SELECT id, event_id, status FROM webhook_deliveries');
    await check.close();
    assert.deepEqual(new Set(rows.map((r) => r.event_id)), new Set(events.map((e) => e.id)), 'one delivery per event');
    assert.equal(rows.length, events.length);
    assert.deepEqual(afterRestart(), new Set(rows.map((r) => r.id)), 'each delivery reached the receiver after the restart, with its id');
    for (const g of rx.received) {
      assert.equal(g.headers['x-signature-primary'], expectedSignature(g.raw, signingSecret!));
      assert.equal(g.path, '/kassa');
    }
    await eventually(async () => {
      const list = await call(second, 'GET', '/kassa/webhook-deliveries?status=DELIVERED');
      return list.body.data.length === rows.length;
    }, 'all recorded as DELIVERED');
    // The configured URL's endpoint was made once, not again at the restart; the secret was printed once.
    const endpoints = await call(second, 'GET', '/kassa/webhook-endpoints');
    assert.equal(endpoints.body.data.length, 1);
    assert.deepEqual([endpoints.body.data[0].url, endpoints.body.data[0].description], [`${rx.url}/kassa`, 'KASSA_WEBHOOK_URL']);
    assert.ok(!JSON.stringify(endpoints.body).includes(signingSecret!));
    assert.ok(!second.output().includes('whsec_'), 'no secret printed at the restart');
    await second.stop();
  }

  test('SQLite: the events of acknowledged payments survive a kill before delivery and are delivered after the restart (secret made and printed)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-wh-e2e-'));
    fleet.cleanup(async () => rmSync(dir, { recursive: true, force: true }));
    await crashBetweenCommitAndDelivery(`sqlite:${join(dir, 'kassa.db')}`, undefined);
  });

  test('PostgreSQL: the same with KASSA_WEBHOOK_SECRET', async () => {
    const db = await freshDatabase();
    fleet.cleanup(() => db.drop());
    await crashBetweenCommitAndDelivery(db.url, SECRET);
  });

  test('PostgreSQL, two processes, 1,000 payments: each delivery received exactly once, every event delivered', async () => {
    const PAYMENTS = 1000;
    const CONCURRENCY = 20;
    const db = await freshDatabase();
    fleet.cleanup(() => db.drop());
    const rx = await receiver();
    const env = {
      DATABASE_URL: db.url,
      KASSA_WEBHOOK_URL: `${rx.url}/configured`,
      KASSA_WEBHOOK_SECRET: SECRET,
      KASSA_WEBHOOK_RETRY_SCALE: '0.001',
    };
    // Started together, as a deployment does: the configured endpoint is still made once.
    const [a, b] = await Promise.all([start(env), start(env)]);
    const listed = await call(b, 'GET', '/kassa/webhook-endpoints');
    assert.equal(listed.body.data.length, 1, JSON.stringify(listed.body));

    const paymentIds: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        const p = worker % 2 === 0 ? a : b;
        const accessToken = await session(p);
        while (next < PAYMENTS) {
          const i = next++;
          paymentIds.push(await pay(p, accessToken, `order-${i}`));
        }
      }),
    );
    const expected = 2 * PAYMENTS; // two events each: PENDING, AUTHORIZED
    await eventually(() => rx.received.length >= expected, `${expected} deliveries (got ${rx.received.length})`, 120_000);
    // A moment for a duplicate, if any were on its way, to arrive.
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all([a.stop(), b.stop()]);

    const byId = rx.byDeliveryId();
    const repeated = [...byId].filter(([, got]) => got.length > 1);
    assert.deepEqual(
      repeated.map(([id, got]) => [id, got.length]),
      [],
      'no delivery id received twice',
    );
    assert.equal(rx.received.length, expected);
    const db2 = operator(db.url);
    const rows = await db2.rows('SELECT id, endpoint_id, event_id, status, attempts FROM webhook_deliveries');
    const events = await db2.rows('SELECT id FROM payment_events');
    await db2.close();
    assert.equal(events.length, expected);
    assert.equal(rows.length, expected, 'one delivery per event');
    assert.deepEqual(new Set(rows.map((r) => r.event_id)), new Set(events.map((e) => e.id)));
    assert.deepEqual(new Set(rows.map((r) => r.status)), new Set(['DELIVERED']));
    assert.deepEqual(new Set(rows.map((r) => Number(r.attempts))), new Set([1]), 'each sent once');
    assert.deepEqual(new Set(byId.keys()), new Set(rows.map((r) => r.id)));
    // Every payment's two statuses arrived, signed with the configured secret.
    const seen = new Set<string>();
    for (const g of rx.received) {
      assert.equal(g.path, '/configured');
      assert.equal(g.headers['x-signature-primary'], expectedSignature(g.raw, SECRET));
      seen.add(`${g.body.payment.id} ${g.body.payment.status}`);
    }
    assert.equal(new Set(paymentIds).size, PAYMENTS);
    for (const id of paymentIds) for (const status of ['PENDING', 'AUTHORIZED']) assert.ok(seen.has(`${id} ${status}`), `${id} ${status}`);
  });

  /**
   * Two processes, a healthy receiver that answers each POST after `delayMs` (less than the timeout):
   * before claims were taken one at a time and renewed, a group's claims lapsed while its earlier waves
   * were still being answered and the other process sent them again (20 of 60 ids twice).
   */
  async function slowReceiverTwoProcesses(databaseUrl: string) {
    const PAYMENTS = 30;
    const delayMs = 800;
    const ids: string[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        ids.push(String(req.headers['x-kassa-delivery-id']));
        setTimeout(() => res.writeHead(200).end('ok'), delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    fleet.cleanup(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`;
    // 800 ms of a 2.5 s timeout: each answer is slow, never late, even when a busy machine delays the
    // receiver (a late answer is a timeout, and its retry a rightful second receipt); 30 waves of
    // answers still outlast any claim that is not renewed.
    const env = { DATABASE_URL: databaseUrl, KASSA_WEBHOOK_URL: url, KASSA_WEBHOOK_SECRET: SECRET, KASSA_WEBHOOK_TIMEOUT_MS: '2500' };
    const a = await start(env);
    const accessToken = await session(a);
    // The payments made before the second process starts: their deliveries wait for both at once.
    for (let i = 0; i < PAYMENTS; i++) await pay(a, accessToken, `order-${i}`);
    const b = await start(env);
    const expected = 2 * PAYMENTS;
    await eventually(
      async () => {
        const list = await call(b, 'GET', '/kassa/webhook-deliveries?status=DELIVERED&limit=100');
        return list.body.data.length === expected;
      },
      `${expected} deliveries recorded DELIVERED (received ${ids.length})`,
      120_000,
    );
    await Promise.all([a.stop(), b.stop()]);
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    assert.deepEqual(
      [...counts].filter(([, n]) => n > 1),
      [],
      'no delivery id received twice',
    );
    assert.equal(counts.size, expected);
    const db = operator(databaseUrl);
    const rows = await db.rows('SELECT attempts FROM webhook_deliveries');
    await db.close();
    assert.deepEqual(new Set(rows.map((r) => Number(r.attempts))), new Set([1]), 'each sent and recorded once');
  }

  test('SQLite, two processes, a receiver that answers after 800 ms of a 2.5 s timeout: no delivery id received twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-wh-e2e-'));
    fleet.cleanup(async () => rmSync(dir, { recursive: true, force: true }));
    await slowReceiverTwoProcesses(`sqlite:${join(dir, 'kassa.db')}`);
  });

  test('PostgreSQL, two processes, a receiver that answers after 800 ms of a 2.5 s timeout: no delivery id received twice', async () => {
    const db = await freshDatabase();
    fleet.cleanup(() => db.drop());
    await slowReceiverTwoProcesses(db.url);
  });
});
