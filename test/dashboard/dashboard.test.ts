// The dashboard page and its read endpoints, in process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Merchants } from '../../src/merchants/merchants.ts';
import { headers, START, testApp, type TestApp } from '../support/app.ts';

describe('the dashboard', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  const DAY = 86_400_000;
  const list = (key: string, query = '') =>
    t.app.inject({ method: 'GET', url: `/dashboard/api/sessions${query}`, headers: { 'x-api-key': key } });
  const show = (key: string, id: string) =>
    t.app.inject({ method: 'GET', url: `/dashboard/api/sessions/${id}`, headers: { 'x-api-key': key } });
  async function create(key: string, payload: Record<string, unknown>) {
    const response = await t.app.inject({ method: 'POST', url: '/client-session', headers: headers(key), payload });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as { clientToken: string; clientTokenExpirationDate: string; warnings?: unknown[] };
  }

  describe('GET /dashboard', () => {
    test('serves the page, its script and style sheet from this server, under a policy that forbids other origins', async () => {
      const page = await t.app.inject({ method: 'GET', url: '/dashboard' });
      assert.equal(page.statusCode, 200);
      assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
      const csp = String(page.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /connect-src 'self'/);
      assert.match(page.body, /<script type="module" src="\/dashboard\/app\.js"><\/script>/);
      assert.match(page.body, /<link rel="stylesheet" href="\/dashboard\/app\.css">/);
      for (const id of ['sign-in-form', 'api-key', 'create-form', 'sessions', 'detail', 'detail-json', 'detail-warnings']) {
        assert.match(page.body, new RegExp(`id="${id}"`), id);
      }
      const script = await t.app.inject({ method: 'GET', url: '/dashboard/app.js' });
      assert.equal(script.statusCode, 200);
      assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.match(script.body, /sessionStorage/);
      assert.doesNotMatch(script.body, /localStorage|innerHTML/, 'the key stays in the tab; data is never parsed as HTML');
      const style = await t.app.inject({ method: 'GET', url: '/dashboard/app.css' });
      assert.equal(style.headers['content-type'], 'text/css; charset=utf-8');
      for (const body of [page.body, script.body, style.body])
        assert.doesNotMatch(body, /(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i, 'no other origin');
    });

    test('the script parses as JavaScript', async () => {
      const script = await t.app.inject({ method: 'GET', url: '/dashboard/app.js' });
      // Compiling (not running) it catches a broken string escape in the embedded source.
      assert.doesNotThrow(() => new Function(script.body.replace(/^\s*$/gm, '')));
    });
  });

  describe('GET /dashboard/api/sessions', () => {
    test('needs an API key with client_tokens:write', async () => {
      const none = await t.app.inject({ method: 'GET', url: '/dashboard/api/sessions' });
      assert.equal(none.statusCode, 401);
      assert.equal(none.json().error.errorId, 'Unauthorized');
      const { secret } = await new Merchants(t.store, () => t.clock.now).createKey('mer_default', ['transactions:retrieve']);
      const narrow = await list(secret);
      assert.equal(narrow.statusCode, 403);
      assert.equal((await show(secret, 'cs_x')).statusCode, 403);
    });

    test("lists the key's merchant's sessions, most recent first, page by page", async () => {
      t.clock.now = START;
      await create(t.apiKey, { orderId: 'first', currencyCode: 'GBP', amount: 650, customer: { emailAddress: 'a@example.com' } });
      t.clock.advance(1000);
      await create(t.apiKey, { orderId: 'second', currencyCode: 'EUR', order: { lineItems: [{ amount: 300, quantity: 2 }] } });
      t.clock.advance(1000);
      await create(t.apiKey, { currencyCode: 'JPY', amount: 500 });

      // Another merchant's sessions never show.
      const merchants = new Merchants(t.store, () => t.clock.now);
      await merchants.createMerchant('Other', 'mer_other');
      const other = await merchants.createKey('mer_other');
      await create(other.secret, { orderId: 'not-yours', amount: 1 });

      const all = await list(t.apiKey);
      assert.equal(all.statusCode, 200);
      const body = all.json();
      assert.equal(body.nextBefore, undefined);
      assert.deepEqual(
        body.sessions.map((s: Record<string, unknown>) => ({ ...s, id: typeof s.id })),
        [
          {
            id: 'string',
            amount: 500,
            currencyCode: 'JPY',
            createdAt: new Date(START + 2000).toISOString(),
            expiresAt: new Date(START + 2000 + DAY).toISOString(),
            state: 'active',
          },
          {
            id: 'string',
            orderId: 'second',
            amount: 600,
            currencyCode: 'EUR',
            createdAt: new Date(START + 1000).toISOString(),
            expiresAt: new Date(START + 1000 + DAY).toISOString(),
            state: 'active',
          },
          {
            id: 'string',
            orderId: 'first',
            amount: 650,
            currencyCode: 'GBP',
            customerEmail: 'a@example.com',
            createdAt: new Date(START).toISOString(),
            expiresAt: new Date(START + DAY).toISOString(),
            state: 'active',
          },
        ],
      );
      assert.deepEqual(
        (await list(other.secret)).json().sessions.map((s: { orderId: string }) => s.orderId),
        ['not-yours'],
      );

      const first = (await list(t.apiKey, '?limit=2')).json();
      assert.deepEqual(
        first.sessions.map((s: { amount: number }) => s.amount),
        [500, 600],
      );
      assert.equal(first.nextBefore, String(START + 1000));
      const second = (await list(t.apiKey, `?limit=2&before=${first.nextBefore}`)).json();
      assert.deepEqual(
        second.sessions.map((s: { orderId: string }) => s.orderId),
        ['first'],
      );
      assert.equal(second.nextBefore, undefined);

      // Expiry is the token's: a day later the oldest is expired.
      t.clock.now = START + DAY;
      assert.deepEqual(
        (await list(t.apiKey)).json().sessions.map((s: { state: string }) => s.state),
        ['active', 'active', 'expired'],
      );
      t.clock.now = START;
    });

    test('refuses a bad limit, cursor or unknown parameter with a 422 that names it', async () => {
      for (const [query, path] of [
        ['?limit=0', '$.limit'],
        ['?limit=101', '$.limit'],
        ['?limit=ten', '$.limit'],
        ['?before=yesterday', '$.before'],
        ['?page=2', '$.page'],
      ] as const) {
        const response = await list(t.apiKey, query);
        assert.equal(response.statusCode, 422, query);
        const error = response.json().error;
        assert.equal(error.errorId, 'RequestValidationError');
        assert.ok(JSON.stringify(error.validationErrors).includes(path), `${query}: ${JSON.stringify(error.validationErrors)}`);
      }
    });
  });

  describe('GET /dashboard/api/sessions/:id', () => {
    test('gives the session as the API renders it, its warnings and its token expiry', async () => {
      t.clock.now = START + 5000;
      const created = await create(t.apiKey, {
        currencyCode: 'EUR',
        order: { lineItems: [{ itemId: 'mug', amount: 1200, quantity: 2 }] },
        metadata: { channel: 'web' },
      });
      const [summary] = (await list(t.apiKey, '?limit=1')).json().sessions;
      const response = await show(t.apiKey, summary.id);
      assert.equal(response.statusCode, 200);
      const detail = response.json();
      const session = await t.app.inject({
        method: 'GET',
        url: `/client-session?clientToken=${created.clientToken}`,
        headers: headers(t.apiKey),
      });
      assert.deepEqual(detail, {
        id: summary.id,
        state: 'active',
        createdAt: new Date(START + 5000).toISOString(),
        updatedAt: new Date(START + 5000).toISOString(),
        expiresAt: new Date(START + 5000 + DAY).toISOString(),
        clientTokenExpirationDate: created.clientTokenExpirationDate,
        version: 1,
        session: session.json(),
        // The same warnings the create response gave (recomputed from the stored session).
        warnings: created.warnings,
      });
      assert.ok(
        (detail.warnings as { type: string; message: string }[]).some(
          (w) => w.type === 'CLIENT_SESSION' && w.message.startsWith('$.orderId is missing'),
        ),
      );
      assert.equal(detail.session.amount, 2400);
      t.clock.now = START;
    });

    test("an unknown id and another merchant's session are both 404 SessionNotFound", async () => {
      const merchants = new Merchants(t.store, () => t.clock.now);
      const [others] = (await list((await merchants.createKey('mer_other')).secret)).json().sessions;
      for (const id of ['cs_unknown', others.id]) {
        const response = await show(t.apiKey, id);
        assert.equal(response.statusCode, 404);
        assert.equal(response.json().error.errorId, 'SessionNotFound');
      }
    });
  });
});
