// engines: in-file
// Several real Kassa processes on one database, on both engines: a session made through one is read
// and patched through the other (they share the token signing secret through the database), many
// concurrent PATCHes of different fields through both processes all survive (no lost update), and a
// process killed and started again serves everything it acknowledged.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { applyPatch, type SessionPatch } from '../../src/sessions/merge.ts';
import { renderSession } from '../../src/sessions/render.ts';
import type { SessionData } from '../../src/sessions/schemas.ts';
import { freshDatabase } from '../support/postgres.ts';
import { apiHeaders, startKassa, type KassaProcess } from '../support/process.ts';

describe('several processes', () => {
  const API_KEY = 'kassa_e2e_key_0123456789abcdef';

  const CREATE = {
    orderId: 'order-1',
    currencyCode: 'GBP',
    order: { lineItems: [{ itemId: 't-shirt', amount: 500, quantity: 1 }] },
    customer: { emailAddress: 'first@example.com' },
  };

  // Each PATCH sets a different field that PATCH merges (or a different top-level field), so every
  // one of them must be visible at the end: a lost update would drop one.
  const PATCHES: SessionPatch[] = [
    { orderId: 'order-2' },
    { currencyCode: 'EUR' },
    { customerId: 'cust-9' },
    { metadata: { source: 'patch', attempt: 1 } },
    { amount: 4242 },
    { customer: { emailAddress: 'jane@example.com' } },
    { customer: { mobileNumber: '+441234567890' } },
    { customer: { firstName: 'Jane' } },
    { customer: { lastName: 'Doe' } },
    { customer: { billingAddress: { firstName: 'Jane', addressLine1: '1 Road', city: 'London', countryCode: 'GB', postalCode: 'N1' } } },
    { customer: { shippingAddress: { addressLine1: '2 Rue', city: 'Paris', countryCode: 'FR', postalCode: '75001' } } },
    { customer: { taxId: 'GB123' } },
    { customer: { nationalDocumentId: 'ID-9' } },
    { order: { countryCode: 'GB' } },
    { order: { retailerCountryCode: 'FR' } },
    { order: { lineItems: [{ itemId: 'mug', amount: 1200, quantity: 2 }] } },
    { order: { fees: [{ type: 'SURCHARGE', amount: 100 }] } },
    { order: { shipping: { amount: 50, methodName: 'Post' } } },
    { paymentMethod: { vaultOnSuccess: true } },
    { paymentMethod: { vaultOn3DS: true } },
    { paymentMethod: { vaultOnAgreement: true } },
    { paymentMethod: { descriptor: 'KASSA*SHOP' } },
    { paymentMethod: { orderedAllowedCardNetworks: ['VISA', 'MASTERCARD'] } },
    { paymentMethod: { authorizationType: 'FINAL' } },
  ] as SessionPatch[];

  const processes: KassaProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    for (const c of cleanups) await c();
  });

  async function start(databaseUrl: string): Promise<KassaProcess> {
    const p = await startKassa({ DATABASE_URL: databaseUrl, KASSA_API_KEY: API_KEY, KASSA_DB_POOL_SIZE: '5' });
    processes.push(p);
    return p;
  }

  async function call(p: KassaProcess, method: string, body?: unknown, query = ''): Promise<{ status: number; body: any }> {
    const res = await fetch(`${p.url}/client-session${query}`, {
      method,
      headers: apiHeaders(API_KEY),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json() };
  }

  async function databaseFor(engine: 'sqlite' | 'postgres'): Promise<string> {
    if (engine === 'postgres') {
      const db = await freshDatabase();
      cleanups.push(() => db.drop());
      return db.url;
    }
    const dir = mkdtempSync(join(tmpdir(), 'kassa-e2e-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    return `sqlite:${join(dir, 'kassa.db')}`;
  }

  for (const engine of ['sqlite', 'postgres'] as const) {
    describe(engine, () => {
      // Two processes on one database for both tests (the second ends by crashing one of them).
      let databaseUrl: string;
      let a: KassaProcess;
      let b: KassaProcess;
      before(async () => {
        databaseUrl = await databaseFor(engine);
        // Started together: both migrate and agree on a signing key at the same moment.
        [a, b] = await Promise.all([start(databaseUrl), start(databaseUrl)]);
      });

      test(`${engine}: 50 PATCHes of one session at once, over two processes: each applied, or a 503 with Retry-After, none lost`, async (t) => {
        const created = await call(a, 'POST', CREATE);
        const token: string = created.body.clientToken;
        const patch = async (p: KassaProcess, i: number) => {
          const res = await fetch(`${p.url}/client-session`, {
            method: 'PATCH',
            headers: apiHeaders(API_KEY),
            body: JSON.stringify({ clientToken: token, metadata: { n: i } }),
          });
          await res.arrayBuffer();
          return { status: res.status, etag: res.headers.get('etag'), retryAfter: res.headers.get('retry-after') };
        };
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => patch(i % 2 === 0 ? a : b, i)));
        const applied = results.filter((r) => r.status === 200);
        const unavailable = results.filter((r) => r.status === 503);
        assert.equal(applied.length + unavailable.length, 50, `only 200 or 503: ${results.map((r) => r.status)}`);
        for (const r of unavailable) assert.ok(Number(r.retryAfter) >= 1, 'a 503 says when to retry');
        // Every applied PATCH made its own version: none was lost under another.
        assert.equal(new Set(applied.map((r) => r.etag)).size, applied.length);
        const final = await fetch(`${b.url}/client-session?clientToken=${encodeURIComponent(token)}`, { headers: apiHeaders(API_KEY) });
        const version = Number(/\.(\d+)"$/.exec(final.headers.get('etag') ?? '')?.[1]);
        assert.equal(version, 1 + applied.length, 'the stored version counts every applied PATCH');
        // Counted, as the closing note reports: most are applied.
        t.diagnostic(`${engine}: ${applied.length} applied, ${unavailable.length} answered 503`);
        assert.ok(applied.length > 0);
      });

      test(`${engine}: two processes share sessions and the signing key, lose no concurrent PATCH, and a restart loses nothing`, async () => {
        const created = await call(a, 'POST', CREATE);
        assert.equal(created.status, 200, JSON.stringify(created.body));
        const token: string = created.body.clientToken;
        const { clientToken: _t, clientTokenExpirationDate: _e, warnings: _w, ...createdSession } = created.body;

        // Read through the other process: its token verifies there, the session is the same.
        const readB = await call(b, 'GET', undefined, `?clientToken=${encodeURIComponent(token)}`);
        assert.equal(readB.status, 200, JSON.stringify(readB.body));
        assert.deepEqual(readB.body, createdSession);

        // Every PATCH at once, alternating processes.
        const results = await Promise.all(PATCHES.map((patch, i) => call(i % 2 === 0 ? a : b, 'PATCH', { clientToken: token, ...patch })));
        const failed = results.filter((r) => r.status !== 200);
        assert.deepEqual(failed, [], 'every PATCH acknowledged');

        const expected = renderSession(PATCHES.reduce<SessionData>((s, p) => applyPatch(s, p), CREATE as SessionData));
        for (const p of [a, b]) {
          const final = await call(p, 'GET', undefined, `?clientToken=${encodeURIComponent(token)}`);
          assert.equal(final.status, 200);
          assert.deepEqual(final.body, expected, 'the final session holds every change');
        }

        // A crash and a restart: everything acknowledged is still there, the old token still verifies.
        await a.stop('SIGKILL');
        const again = await start(databaseUrl);
        const afterRestart = await call(again, 'GET', undefined, `?clientToken=${encodeURIComponent(token)}`);
        assert.equal(afterRestart.status, 200, JSON.stringify(afterRestart.body));
        assert.deepEqual(afterRestart.body, expected);
        const patchedAfter = await call(again, 'PATCH', { clientToken: token, customer: { firstName: 'Janet' } });
        assert.equal(patchedAfter.status, 200);
        const seenByB = await call(b, 'GET', undefined, `?clientToken=${encodeURIComponent(token)}`);
        assert.equal(seenByB.body.customer.firstName, 'Janet');

        await Promise.all([again.stop(), b.stop()]);
      });
    });
  }
});
