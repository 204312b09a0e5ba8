// engines: sqlite, postgres
// The dashboard page and its read endpoints, in process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Merchants } from '../../src/merchants/merchants.ts';
import { createSession, extraKey, headers, START, testApp, type TestApp } from '../support/app.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';
import { tokenize } from '../payments/support.ts';

/** The expiry the dashboard tests' cards carry (shown as 03/31). */
const MARCH_2031 = { expirationMonth: '03', expirationYear: '2031' };

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
      for (const id of [
        'sign-in-form',
        'api-key',
        'create-form',
        'sessions',
        'detail',
        'detail-json',
        'detail-warnings',
        'detail-payments',
        'payments',
        'payment',
        'payment-transactions',
        'detail-history',
        'payment-history',
        'vault-cards',
        'vault-more',
      ]) {
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
      const secret = await extraKey(t, 'mer_default', ['transactions:retrieve']);
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
      const other = { secret: await extraKey(t, 'mer_other') };
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
      const [others] = (await list(await extraKey(t, 'mer_other'))).json().sessions;
      for (const id of ['cs_unknown', others.id]) {
        const response = await show(t.apiKey, id);
        assert.equal(response.statusCode, 404);
        assert.equal(response.json().error.errorId, 'SessionNotFound');
      }
    });
  });
});

describe("the dashboard's payment pages", () => {
  let t: TestApp;
  /** A session of customer cust-9 with two payments: a Visa saved on success, captured in part and refunded in part; a decline. */
  let sessionId: string;
  let paid: Record<string, any>;
  let declined: Record<string, any>;
  let otherPayment: string;

  const get = (key: string, url: string) => t.app.inject({ method: 'GET', url, headers: { 'x-api-key': key } });
  async function pay(key: string, accessToken: string, number: string) {
    const tokenized = await tokenize(t, accessToken, number, {}, { ...MARCH_2031, cardholderName: 'Ada Lovelace' });
    const payment = await t.app.inject({
      method: 'POST',
      url: '/payments',
      headers: headers(key),
      payload: { paymentMethodToken: tokenized.token },
    });
    assert.equal(payment.statusCode, 200, payment.body);
    return payment.json() as Record<string, any>;
  }
  async function act(id: string, action: string, payload: Record<string, unknown>) {
    const response = await t.app.inject({ method: 'POST', url: `/payments/${id}/${action}`, headers: headers(t.apiKey), payload });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as Record<string, any>;
  }

  before(async () => {
    t = await testApp();
    const { accessToken: token } = await createSession(t, {
      orderId: 'order-77',
      currencyCode: 'EUR',
      amount: 2500,
      customerId: 'cust-9',
      paymentMethod: { vaultOnSuccess: true },
    });
    [sessionId] = (await get(t.apiKey, '/dashboard/api/sessions?limit=1')).json().sessions.map((s: { id: string }) => s.id);
    paid = await pay(t.apiKey, token, '4242 4242 4242 4242');
    t.clock.advance(1000);
    await act(paid.id, 'capture', { amount: 1500, final: false });
    t.clock.advance(1000);
    paid = await act(paid.id, 'refund', { amount: 500, reason: 'one item returned' });
    declined = await pay(t.apiKey, token, '4000 0000 0000 0002');
    // Another merchant's payment never shows.
    const merchants = new Merchants(t.store, () => t.clock.now);
    await merchants.createMerchant('Other', 'mer_other');
    const other = { secret: await extraKey(t, 'mer_other') };
    otherPayment = (
      await pay(
        other.secret,
        (
          await createSession(t, { orderId: 'theirs', currencyCode: 'EUR', amount: 1 }, { key: other.secret })
        ).accessToken,
        '4242424242424242',
      )
    ).id;
  });
  after(() => t.close());

  const at = (ms: number) => new Date(START + ms).toISOString();
  const card = {
    network: 'Visa',
    first6Digits: '424242',
    last4Digits: '4242',
    expirationMonth: '03',
    expirationYear: '2031',
    cardholderName: 'Ada Lovelace',
  };

  test("GET /dashboard/api/sessions/:id/payments: the session's payments with their transactions and events", async () => {
    const response = await get(t.apiKey, `/dashboard/api/sessions/${sessionId}/payments`);
    assert.equal(response.statusCode, 200);
    const body = response.json();
    const [sale, refund] = paid.transactions;
    assert.deepEqual(body, {
      payments: [
        {
          id: paid.id,
          status: 'PARTIALLY_SETTLED',
          orderId: 'order-77',
          amount: 2500,
          currencyCode: 'EUR',
          amountCaptured: 1500,
          amountRefunded: 500,
          paymentMethodType: 'PAYMENT_CARD',
          card,
          customerId: 'cust-9',
          sessionId,
          createdAt: at(0),
          updatedAt: at(2000),
          isVaulted: true,
          threeDS: 'NOT_PERFORMED',
          transactions: [
            {
              id: sale.id,
              type: 'SALE',
              status: 'PARTIALLY_SETTLED',
              amount: 2500,
              currencyCode: 'EUR',
              date: at(0),
              events: [
                { type: 'AUTHORIZATION_SUCCEEDED', date: at(0), amount: 2500 },
                { type: 'CAPTURE_SUCCEEDED', date: at(1000), amount: 1500, final: false },
              ],
            },
            {
              id: refund.id,
              type: 'REFUND',
              status: 'SETTLED',
              amount: 500,
              currencyCode: 'EUR',
              date: at(2000),
              reason: 'one item returned',
              events: [],
            },
          ],
        },
        {
          id: declined.id,
          status: 'DECLINED',
          orderId: 'order-77',
          amount: 2500,
          currencyCode: 'EUR',
          amountCaptured: 0,
          amountRefunded: 0,
          paymentMethodType: 'PAYMENT_CARD',
          card: { ...card, first6Digits: '400000', last4Digits: '0002' },
          customerId: 'cust-9',
          sessionId,
          createdAt: at(2000),
          updatedAt: at(2000),
          isVaulted: false,
          threeDS: 'NOT_PERFORMED',
          statusReason: declined.statusReason,
          transactions: [
            {
              id: declined.transactions[0].id,
              type: 'SALE',
              status: 'DECLINED',
              amount: 2500,
              currencyCode: 'EUR',
              date: at(2000),
              statusReason: declined.statusReason,
              events: [],
            },
          ],
        },
      ],
    });
    assert.equal(body.payments[1].statusReason.code, 'DO_NOT_HONOR');
    // An unknown session, or another merchant's, has no payments.
    assert.deepEqual((await get(t.apiKey, '/dashboard/api/sessions/cs_unknown/payments')).json(), { payments: [] });
  });

  test("GET /dashboard/api/payments: newest first, page by page, by status; never another merchant's", async () => {
    const all = await get(t.apiKey, '/dashboard/api/payments');
    assert.equal(all.statusCode, 200);
    const body = all.json();
    assert.equal(body.nextBefore, undefined);
    // The decline was made after the Visa's refund, so it comes first.
    assert.deepEqual(
      body.payments.map((p: Record<string, unknown>) => [p.id, p.status]),
      [
        [declined.id, 'DECLINED'],
        [paid.id, 'PARTIALLY_SETTLED'],
      ],
    );
    assert.deepEqual(body.payments[1], {
      id: paid.id,
      status: 'PARTIALLY_SETTLED',
      orderId: 'order-77',
      amount: 2500,
      currencyCode: 'EUR',
      amountCaptured: 1500,
      amountRefunded: 500,
      paymentMethodType: 'PAYMENT_CARD',
      card: { network: 'Visa', last4Digits: '4242' },
      customerId: 'cust-9',
      sessionId,
      createdAt: at(0),
      updatedAt: at(2000),
    });

    const first = (await get(t.apiKey, '/dashboard/api/payments?limit=1')).json();
    assert.deepEqual(
      first.payments.map((p: { id: string }) => p.id),
      [declined.id],
    );
    assert.equal(first.nextBefore, `${START + 2000}.${declined.id}`);
    const second = (await get(t.apiKey, `/dashboard/api/payments?limit=1&before=${first.nextBefore}`)).json();
    assert.deepEqual(
      second.payments.map((p: { id: string }) => p.id),
      [paid.id],
    );
    assert.equal(second.nextBefore, undefined);

    const settled = (await get(t.apiKey, '/dashboard/api/payments?status=PARTIALLY_SETTLED,SETTLED')).json();
    assert.deepEqual(
      settled.payments.map((p: { id: string }) => p.id),
      [paid.id],
    );
    assert.ok(!JSON.stringify(body).includes(otherPayment));
  });

  test('GET /dashboard/api/payments refuses a bad limit, cursor, status or unknown parameter with a 422 that names it', async () => {
    for (const [query, path] of [
      ['?limit=0', '$.limit'],
      ['?limit=101', '$.limit'],
      ['?before=yesterday', '$.before'],
      ['?status=PAID', '$.status'],
      ['?page=2', '$.page'],
    ] as const) {
      const response = await get(t.apiKey, `/dashboard/api/payments${query}`);
      assert.equal(response.statusCode, 422, query);
      const error = response.json().error;
      assert.equal(error.errorId, 'RequestValidationError');
      assert.ok(JSON.stringify(error.validationErrors).includes(path), `${query}: ${JSON.stringify(error.validationErrors)}`);
    }
  });

  test('GET /dashboard/api/payments/:id: one payment in full; unknown and foreign ones are 404 PaymentNotFoundError', async () => {
    const [fromSession] = (await get(t.apiKey, `/dashboard/api/sessions/${sessionId}/payments`)).json().payments;
    const response = await get(t.apiKey, `/dashboard/api/payments/${paid.id}`);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), fromSession);
    for (const id of ['pay_unknown', otherPayment]) {
      const missing = await get(t.apiKey, `/dashboard/api/payments/${id}`);
      assert.equal(missing.statusCode, 404, id);
      assert.equal(missing.json().error.errorId, 'PaymentNotFoundError');
    }
  });

  test("GET /dashboard/api/customers/:id/vault: the customer's saved cards, by their vpm_ id, never a token", async () => {
    const response = await get(t.apiKey, '/dashboard/api/customers/cust-9/vault');
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.match(body.cards[0].id, /^vpm_/);
    assert.deepEqual(body, {
      customerId: 'cust-9',
      cards: [{ id: body.cards[0].id, ...card, default: true, createdAt: at(0) }],
    });
    // The MULTI_USE token the payment now shows must not reach a browser (docs/payments.md, "Card data").
    const vaultedToken = paid.paymentMethod.paymentMethodToken as string;
    assert.match(vaultedToken, /^tok_/);
    for (const url of [
      '/dashboard/api/customers/cust-9/vault',
      `/dashboard/api/payments/${paid.id}`,
      `/dashboard/api/sessions/${sessionId}/payments`,
      '/dashboard/api/payments',
    ]) {
      const text = (await get(t.apiKey, url)).body;
      assert.ok(!text.includes('tok_'), `${url} shows no token`);
      assert.ok(!/4242424242424242|424242424242|4000000000000002/.test(text), `${url} shows no card number`);
    }
    assert.deepEqual((await get(t.apiKey, '/dashboard/api/customers/nobody/vault')).json(), { customerId: 'nobody', cards: [] });
  });

  test('the saved cards come a page at a time: limit (25 when absent), nextBefore while more follow; a bad one is 422', async () => {
    // An app of its own: these cards and sessions would show in the other tests' lists.
    const own = await testApp();
    try {
      const created = await own.app.inject({
        method: 'POST',
        url: '/client-session',
        headers: headers(own.apiKey),
        payload: { orderId: 'o', currencyCode: 'EUR', amount: 1, customerId: 'cust-pages' },
      });
      const { accessToken } = JSON.parse(Buffer.from(created.json().clientToken.split('.')[1], 'base64url').toString('utf8'));
      for (const number of ['4242424242424242', '4111111111111111', '378282246310005']) {
        await tokenize(own, accessToken, number, { tokenType: 'MULTI_USE' }, MARCH_2031);
        own.clock.advance(1);
      }
      const page = async (query: string) => {
        const response = await own.app.inject({
          method: 'GET',
          url: `/dashboard/api/customers/cust-pages/vault${query}`,
          headers: headers(own.apiKey),
        });
        assert.equal(response.statusCode, 200, response.body);
        return response.json() as { cards: { last4Digits: string }[]; nextBefore?: string };
      };
      assert.equal((await page('')).cards.length, 3);
      const first = await page('?limit=2');
      assert.deepEqual(
        first.cards.map((c) => c.last4Digits),
        ['0005', '1111'],
      );
      assert.equal(typeof first.nextBefore, 'string');
      const second = await page(`?limit=2&before=${first.nextBefore}`);
      assert.deepEqual(
        second.cards.map((c) => c.last4Digits),
        ['4242'],
      );
      assert.equal(second.nextBefore, undefined);
      for (const query of ['?limit=0', '?limit=101', '?before=nope']) {
        const bad = await own.app.inject({
          method: 'GET',
          url: `/dashboard/api/customers/cust-pages/vault${query}`,
          headers: headers(own.apiKey),
        });
        assert.equal(bad.statusCode, 422, query);
        assert.equal(bad.json().error.errorId, 'RequestValidationError');
      }
    } finally {
      await own.close();
    }
  });

  test('payments need transactions:retrieve, saved cards payment_instrument:read', async () => {
    const sessionsOnly = await extraKey(t, 'mer_default', ['client_tokens:write']);
    const retrieveOnly = await extraKey(t, 'mer_default', ['transactions:retrieve']);
    const cardsOnly = await extraKey(t, 'mer_default', ['payment_instrument:read']);
    for (const url of ['/dashboard/api/payments', `/dashboard/api/payments/${paid.id}`, `/dashboard/api/sessions/${sessionId}/payments`]) {
      assert.equal((await get(sessionsOnly, url)).statusCode, 403, url);
      assert.equal((await get(cardsOnly, url)).statusCode, 403, url);
      assert.equal((await get(retrieveOnly, url)).statusCode, 200, url);
      assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 401, url);
    }
    assert.equal((await get(retrieveOnly, '/dashboard/api/customers/cust-9/vault')).statusCode, 403);
    assert.equal((await get(cardsOnly, '/dashboard/api/customers/cust-9/vault')).statusCode, 200);
  });

  test('with KASSA_PAYMENTS=off the payment pages are not there', async () => {
    const off = await testApp({ env: { KASSA_PAYMENTS: 'off' } });
    try {
      for (const url of [
        '/dashboard/api/payments',
        '/dashboard/api/payments/pay_x',
        '/dashboard/api/customers/c/vault',
        '/dashboard/api/payments/pay_x/events',
      ]) {
        const response = await off.app.inject({ method: 'GET', url, headers: { 'x-api-key': off.apiKey } });
        assert.equal(response.statusCode, 404, url);
      }
      const redeliver = await off.app.inject({
        method: 'POST',
        url: '/dashboard/api/webhook-deliveries/00000000-0000-4000-8000-000000000000/redeliver',
        headers: { 'x-api-key': off.apiKey },
      });
      assert.equal(redeliver.statusCode, 404);
      assert.equal(redeliver.json().error.errorId, 'NotFound');
      // A session still has its timeline; no webhooks run, so its events have no deliveries.
      const session = await off.app.inject({
        method: 'POST',
        url: '/client-session',
        headers: headers(off.apiKey),
        payload: { orderId: 'o', amount: 5 },
      });
      const [summary] = (
        await off.app.inject({ method: 'GET', url: '/dashboard/api/sessions', headers: { 'x-api-key': off.apiKey } })
      ).json().sessions;
      assert.equal(session.statusCode, 200);
      const timeline = await off.app.inject({
        method: 'GET',
        url: `/dashboard/api/sessions/${summary.id}/events`,
        headers: { 'x-api-key': off.apiKey },
      });
      assert.equal(timeline.statusCode, 200);
      assert.deepEqual(
        timeline.json().events.map((e: Record<string, unknown>) => [e.type, e.deliveries]),
        [['CLIENT_SESSION.CREATED', []]],
      );
      const sessions = await off.app.inject({ method: 'GET', url: '/dashboard/api/sessions', headers: { 'x-api-key': off.apiKey } });
      assert.equal(sessions.statusCode, 200);
    } finally {
      await off.close();
    }
  });
});

describe("the dashboard's timelines", () => {
  let t: TestApp;
  let receiver: Receiver;
  /** Takes every event and answers 204. */
  let all: Record<string, any>;
  /** Takes the payment statuses and answers 500 until told otherwise. */
  let failing: Record<string, any>;
  let sessionId: string;
  let payment: Record<string, any>;
  let otherPayment: string;
  let otherSession: string;

  type Json = Record<string, any>;
  const get = (key: string, url: string) => t.app.inject({ method: 'GET', url, headers: { 'x-api-key': key } });
  const redeliver = (key: string, id: string) =>
    t.app.inject({ method: 'POST', url: `/dashboard/api/webhook-deliveries/${id}/redeliver`, headers: { 'x-api-key': key } });
  async function send(method: 'POST' | 'PATCH', url: string, payload: Json, requestId: string, key = t.apiKey) {
    const response = await t.app.inject({ method, url, headers: { ...headers(key), 'x-request-id': requestId }, payload });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as Json;
  }
  async function paySession(key: string, orderId: string) {
    const created = await send('POST', '/client-session', { orderId, currencyCode: 'EUR', amount: 2000 }, `create-${orderId}`, key);
    const { accessToken } = JSON.parse(Buffer.from(created.clientToken.split('.')[1], 'base64url').toString('utf8'));
    return { created, accessToken: accessToken as string };
  }
  async function pay(key: string, accessToken: string, requestId: string) {
    const tokenized = await tokenize(t, accessToken, '4242424242424242', {}, MARCH_2031);
    return send('POST', '/payments', { paymentMethodToken: tokenized.token }, requestId, key);
  }

  before(async () => {
    t = await testApp();
    receiver = await startReceiver(() => 204);
    receiver.answerFor('/fail', 500);
    const endpoint = (payload: Json) => send('POST', '/kassa/webhook-endpoints', payload, 'endpoint');
    all = await endpoint({
      url: `${receiver.url}/ok`,
      events: ['PAYMENT.STATUS', 'PAYMENT.REFUND', 'CLIENT_SESSION.CREATED', 'CLIENT_SESSION.UPDATED'],
    });
    failing = await endpoint({ url: `${receiver.url}/fail`, events: ['PAYMENT.STATUS'] });

    const { created, accessToken } = await paySession(t.apiKey, 'order-t1');
    [sessionId] = (await get(t.apiKey, '/dashboard/api/sessions?limit=1')).json().sessions.map((s: { id: string }) => s.id);
    t.clock.advance(1000);
    await send('PATCH', '/client-session', { clientToken: created.clientToken, amount: 2500, customerId: 'cust-t' }, 'req-patch');
    t.clock.advance(1000);
    payment = await pay(t.apiKey, accessToken, 'req-pay');
    t.clock.advance(1000);
    await send('POST', `/payments/${payment.id}/capture`, { amount: 2500 }, 'req-capture');
    t.clock.advance(1000);
    await send('POST', `/payments/${payment.id}/refund`, { amount: 500 }, 'req-refund');
    assert.ok((await t.app.webhookDispatcher!.runDue()) > 0);

    const merchants = new Merchants(t.store, () => t.clock.now);
    await merchants.createMerchant('Other', 'mer_other');
    const other = await extraKey(t, 'mer_other');
    const theirs = await paySession(other, 'theirs');
    otherPayment = (await pay(other, theirs.accessToken, 'theirs')).id;
    [otherSession] = (await get(other, '/dashboard/api/sessions?limit=1')).json().sessions.map((s: { id: string }) => s.id);
  });
  after(async () => {
    await receiver?.close();
    await t?.close();
  });

  const at = (ms: number) => new Date(START + ms).toISOString();
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const delivered = (d: Json, sent: number) => ({
    id: d.id,
    endpointId: all.id,
    endpointUrl: `${receiver.url}/ok`,
    status: 'DELIVERED',
    attempts: 1,
    lastStatusCode: 204,
    createdAt: at(sent),
    deliveredAt: at(4000),
  });

  test("GET /dashboard/api/sessions/:id/events: the session's creation and changes, in order, with their deliveries", async () => {
    const response = await get(t.apiKey, `/dashboard/api/sessions/${sessionId}/events`);
    assert.equal(response.statusCode, 200, response.body);
    const { events } = response.json();
    assert.deepEqual(events, [
      {
        id: events[0].id,
        type: 'CLIENT_SESSION.CREATED',
        date: at(0),
        version: 1,
        requestId: 'create-order-t1',
        changes: { orderId: 'order-t1', currencyCode: 'EUR', amount: 2000 },
        deliveries: [delivered(events[0].deliveries[0], 0)],
      },
      {
        id: events[1].id,
        type: 'CLIENT_SESSION.UPDATED',
        date: at(1000),
        version: 2,
        requestId: 'req-patch',
        changes: { amount: { from: 2000, to: 2500 }, customerId: { to: 'cust-t' } },
        deliveries: [delivered(events[1].deliveries[0], 1000)],
      },
    ]);
    assert.match(events[0].id, UUID);
    // The same events, deliveries and ids as the webhook API's history (which writes Primer's dates).
    const api = (
      await t.app.inject({ method: 'GET', url: `/kassa/client-sessions/${sessionId}/events`, headers: headers(t.apiKey) })
    ).json();
    assert.deepEqual(
      events.map((e: Json) => [e.id, e.type, e.requestId, e.changes, e.deliveries.map((d: Json) => [d.id, d.status])]),
      api.data.map((e: Json) => [e.id, e.type, e.requestId, e.changes, e.deliveries.map((d: Json) => [d.id, d.status])]),
    );
  });

  test('GET /dashboard/api/payments/:id/events: each status and refund with what changed, its request and its deliveries', async () => {
    const response = await get(t.apiKey, `/dashboard/api/payments/${payment.id}/events`);
    assert.equal(response.statusCode, 200, response.body);
    const { events } = response.json();
    assert.deepEqual(
      events.map((e: Json) => [e.type, e.status, e.date, e.requestId, e.changes]),
      [
        ['PAYMENT.STATUS', 'PENDING', at(2000), 'req-pay', { amount: 2500, currencyCode: 'EUR', amountCaptured: 0, amountRefunded: 0 }],
        ['PAYMENT.STATUS', 'AUTHORIZED', at(2000), 'req-pay', { from: 'PENDING', amount: 2500, amountCaptured: 0, amountRefunded: 0 }],
        [
          'PAYMENT.STATUS',
          'SETTLED',
          at(3000),
          'req-capture',
          { from: 'AUTHORIZED', amount: 2500, amountCaptured: 2500, amountRefunded: 0 },
        ],
        [
          'PAYMENT.REFUND',
          'SETTLED',
          at(4000),
          'req-refund',
          {
            refundId: events[3]?.changes.refundId,
            refundAmount: 500,
            refundStatus: 'SETTLED',
            amount: 2500,
            amountCaptured: 2500,
            amountRefunded: 500,
          },
        ],
      ],
    );
    // A status goes to both endpoints: delivered to one, failing at the other (retried in about 10 s).
    const authorized = events[1];
    const [good, bad] = [...authorized.deliveries].sort((a: Json, b: Json) =>
      a.endpointId === all.id ? -1 : b.endpointId === all.id ? 1 : 0,
    );
    assert.equal(authorized.deliveries.length, 2);
    assert.deepEqual(good, delivered(good, 2000));
    assert.deepEqual(bad, {
      id: bad.id,
      endpointId: failing.id,
      endpointUrl: `${receiver.url}/fail`,
      status: 'PENDING',
      attempts: 1,
      nextAttemptAt: bad.nextAttemptAt,
      lastStatusCode: 500,
      lastError: 'The receiver answered 500.',
      createdAt: at(2000),
    });
    const retryIn = Date.parse(bad.nextAttemptAt) - (START + 4000);
    assert.ok(retryIn >= 9000 && retryIn <= 11_000, bad.nextAttemptAt);
    // The refund goes only to the endpoint that takes refunds.
    assert.deepEqual(
      events[3].deliveries.map((d: Json) => [d.endpointId, d.status]),
      [[all.id, 'DELIVERED']],
    );
    // The same as the webhook API's history of the payment.
    const api = (await t.app.inject({ method: 'GET', url: `/kassa/payments/${payment.id}/events`, headers: headers(t.apiKey) })).json();
    const ids = (list: Json[]) => list.map((e) => [e.id, e.status, e.changes, e.deliveries.map((d: Json) => d.id).sort()]);
    assert.deepEqual(ids(events), ids(api.data));
  });

  test('POST /dashboard/api/webhook-deliveries/:id/redeliver: due now, sent again by the dispatcher with the same delivery id', async () => {
    const events = (await get(t.apiKey, `/dashboard/api/payments/${payment.id}/events`)).json().events as Json[];
    const bad = events[1]!.deliveries.find((d: Json) => d.endpointId === failing.id);
    receiver.answerFor('/fail', 204);
    const response = await redeliver(t.apiKey, bad.id);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { ...bad, nextAttemptAt: at(4000) });

    const from = receiver.received.length;
    assert.equal(await t.app.webhookDispatcher!.runDue(), 1, 'only the redelivered one is due');
    const [sent] = receiver.received.slice(from);
    assert.equal(sent!.path, '/fail');
    assert.equal(sent!.headers['x-kassa-delivery-id'], bad.id);
    assert.equal(sent!.body.payment.status, 'AUTHORIZED', 'the payment as it was at the event');
    const now = (await get(t.apiKey, `/dashboard/api/payments/${payment.id}/events`)).json().events as Json[];
    const again = now[1]!.deliveries.find((d: Json) => d.id === bad.id);
    const { nextAttemptAt: _next, lastError: _error, ...unchanged } = bad;
    assert.deepEqual(again, { ...unchanged, status: 'DELIVERED', attempts: 2, lastStatusCode: 204, deliveredAt: at(4000) });
    // A delivered one can be sent again too.
    assert.equal((await redeliver(t.apiKey, bad.id)).json().status, 'PENDING');
    assert.equal(await t.app.webhookDispatcher!.runDue(), 1);

    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const missing = await redeliver(t.apiKey, id);
      assert.equal(missing.statusCode, 404, id);
      assert.equal(missing.json().error.errorId, 'NotFound');
    }
    // Another merchant's delivery is not found either.
    const other = await extraKey(t, 'mer_other');
    assert.equal((await redeliver(other, bad.id)).statusCode, 404);
  });

  test('GET /dashboard/api/webhook-deliveries/:id: a delivery with its attempt log; the script shows it under a Log button', async () => {
    const events = (await get(t.apiKey, `/dashboard/api/payments/${payment.id}/events`)).json().events as Json[];
    const listed = events[0]!.deliveries.find((d: Json) => d.endpointId === all.id);
    const response = await get(t.apiKey, `/dashboard/api/webhook-deliveries/${listed.id}`);
    assert.equal(response.statusCode, 200, response.body);
    const shown = response.json() as Json;
    const { attemptLog, ...delivery } = shown;
    assert.deepEqual(delivery, {
      ...listed,
      attempts: delivery.attempts,
      ...(delivery.deliveredAt ? { deliveredAt: delivery.deliveredAt } : {}),
    });
    assert.ok(attemptLog.length >= 1);
    const [first] = attemptLog as Json[];
    assert.equal(first!.attempt, 1);
    assert.equal(first!.date, at(4000), 'ISO 8601, as the rest of the dashboard');
    assert.equal(first!.response.statusCode, 204);
    assert.equal(first!.request.headers['x-kassa-delivery-id'], listed.id);
    assert.match(first!.outcome, /204/);
    assert.ok(!response.body.includes(all.secret), 'never the secret');
    for (const id of ['00000000-0000-4000-8000-000000000000']) {
      assert.equal((await get(t.apiKey, `/dashboard/api/webhook-deliveries/${id}`)).json().error.errorId, 'NotFound');
    }
    assert.equal((await get(await extraKey(t, 'mer_other'), `/dashboard/api/webhook-deliveries/${listed.id}`)).statusCode, 404);
    assert.equal(
      (await get(await extraKey(t, 'mer_default', ['transactions:retrieve']), `/dashboard/api/webhook-deliveries/${listed.id}`)).statusCode,
      403,
    );
    const script = (await t.app.inject({ method: 'GET', url: '/dashboard/app.js' })).body;
    // As esbuild writes browser/timeline.ts.
    assert.match(script, /api\(`\/dashboard\/api\/webhook-deliveries\/\$\{encodeURIComponent\(id\)\}`\)/);
    assert.match(script, /el\("button", "Log", "secondary show-log"\)/);
  });

  test('the webhook endpoints page: enabled and disabled endpoints (since when, why), and Enable', async () => {
    const flaky = await send('POST', '/kassa/webhook-endpoints', { url: `${receiver.url}/flaky`, events: ['PAYMENT.REFUND'] }, 'flaky');
    // Disabled as the dispatcher leaves one (the rule is tested by the store contract and the webhook API suite).
    const DAY = 86_400_000;
    const disabledAt = START + 5 * DAY;
    await t.query('UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ?, failing_since = ?, failures = 11 WHERE id = ?', [
      disabledAt,
      'Every attempt failed for 3 days (10 or more in a row).',
      disabledAt - 3 * DAY,
      flaky.id,
    ]);
    const listed = (await get(t.apiKey, '/dashboard/api/webhook-endpoints')).json().endpoints as Json[];
    // Oldest first (the first two were made in the same millisecond).
    assert.deepEqual(
      listed.map((e) => [e.id, e.status]).sort((x, y) => (x[0] === flaky.id ? 1 : y[0] === flaky.id ? -1 : x[0]!.localeCompare(y[0]!))),
      [...[all.id, failing.id].sort().map((id) => [id, 'ENABLED']), [flaky.id, 'DISABLED']],
    );
    assert.equal(listed[2]!.id, flaky.id);
    assert.deepEqual(listed[2], {
      id: flaky.id,
      url: `${receiver.url}/flaky`,
      events: ['PAYMENT.REFUND'],
      version: '2.4',
      status: 'DISABLED',
      createdAt: listed[2]!.createdAt,
      failingSince: new Date(disabledAt - 3 * DAY).toISOString(),
      failures: 11,
      disabledAt: new Date(disabledAt).toISOString(),
      disabledReason: 'Every attempt failed for 3 days (10 or more in a row).',
    });
    const enable = (key: string, id: string) =>
      t.app.inject({ method: 'POST', url: `/dashboard/api/webhook-endpoints/${id}/enable`, headers: { 'x-api-key': key } });
    assert.equal((await enable(await extraKey(t, 'mer_other'), flaky.id)).statusCode, 404);
    assert.equal((await enable(await extraKey(t, 'mer_default', ['transactions:retrieve']), flaky.id)).statusCode, 403);
    const enabled = await enable(t.apiKey, flaky.id);
    assert.equal(enabled.statusCode, 200, enabled.body);
    assert.equal(enabled.json().status, 'ENABLED');
    assert.equal(enabled.json().disabledAt, undefined);
    assert.equal((await get(t.apiKey, '/dashboard/api/webhook-endpoints')).json().endpoints[2].status, 'ENABLED');
    assert.equal(
      (await t.app.inject({ method: 'DELETE', url: `/kassa/webhook-endpoints/${flaky.id}`, headers: { 'x-api-key': t.apiKey } }))
        .statusCode,
      200,
    );
    const page = (await t.app.inject({ method: 'GET', url: '/dashboard' })).body;
    assert.match(page, /<a href="#webhooks" id="tab-webhooks">Webhooks<\/a>/);
    assert.match(page, /<table id="webhook-endpoints">/);
    const script = (await t.app.inject({ method: 'GET', url: '/dashboard/app.js' })).body;
    // As esbuild writes browser/webhooks.ts.
    assert.match(script, /api\(`\/dashboard\/api\/webhook-endpoints\/\$\{encodeURIComponent\(id\)\}\/enable`/);
    assert.match(script, /el\("button", "Enable", "secondary enable"\)/);
  });

  test("unknown and another merchant's sessions and payments are 404", async () => {
    for (const id of ['cs_unknown', otherSession]) {
      const response = await get(t.apiKey, `/dashboard/api/sessions/${id}/events`);
      assert.equal(response.statusCode, 404, id);
      assert.equal(response.json().error.errorId, 'SessionNotFound');
    }
    for (const id of ['pay_unknown', otherPayment]) {
      const response = await get(t.apiKey, `/dashboard/api/payments/${id}/events`);
      assert.equal(response.statusCode, 404, id);
      assert.equal(response.json().error.errorId, 'PaymentNotFoundError');
    }
  });

  test('timelines show dispute steps, failure events and triggered events, marked triggered', async () => {
    const { accessToken } = await paySession(t.apiKey, 'order-disputed');
    const [session] = (await get(t.apiKey, '/dashboard/api/sessions?limit=1')).json().sessions.map((s: { id: string }) => s.id);
    const disputed = await pay(t.apiKey, accessToken, 'req-pay-disputed');
    await send('POST', `/payments/${disputed.id}/capture`, {}, 'req-capture-disputed');
    await send('POST', `/kassa/sandbox/payments/${disputed.id}/dispute`, { status: 'OPEN' }, 'req-dispute');
    const trigger = (body: Json) =>
      t.app.inject({ method: 'POST', url: '/kassa/sandbox/events', headers: headers(t.apiKey), payload: body });
    for (const body of [
      { type: 'PAYMENT.STATUS', paymentId: disputed.id },
      { type: 'PAYMENT.CAPTURE.FAILED', paymentId: disputed.id },
      { type: 'DISPUTE.STATUS', paymentId: disputed.id },
      { type: 'CLIENT_SESSION.UPDATED', clientSessionId: session },
    ]) {
      const res = await trigger(body);
      assert.equal(res.statusCode, 201, res.body);
    }
    const payments = await get(t.apiKey, `/dashboard/api/payments/${disputed.id}/events`);
    assert.equal(payments.statusCode, 200, payments.body);
    const events = payments.json().events as Json[];
    assert.deepEqual(
      events.map((e) => [e.type, e.status, e.triggered ?? false]),
      [
        ['PAYMENT.STATUS', 'PENDING', false],
        ['PAYMENT.STATUS', 'AUTHORIZED', false],
        ['PAYMENT.STATUS', 'SETTLED', false],
        ['DISPUTE.OPENED', 'SETTLED', false],
        ['DISPUTE.STATUS', 'SETTLED', false],
        ['PAYMENT.STATUS', 'SETTLED', true],
        ['PAYMENT.CAPTURE.FAILED', 'SETTLED', true],
        ['DISPUTE.STATUS', 'SETTLED', true],
      ],
    );
    assert.equal(events[4]!.changes.disputeStatus, 'OPEN');
    assert.equal(events[4]!.changes.disputeAmount, 2000);
    const sessions = await get(t.apiKey, `/dashboard/api/sessions/${session}/events`);
    assert.equal(sessions.statusCode, 200, sessions.body);
    assert.deepEqual(
      (sessions.json().events as Json[]).map((e) => [e.type, e.triggered ?? false]),
      [
        ['CLIENT_SESSION.CREATED', false],
        ['CLIENT_SESSION.UPDATED', true],
      ],
    );
  });

  test('a session timeline needs client_tokens:write, a payment timeline transactions:retrieve, redelivering webhooks:write', async () => {
    const key = (scope: string) => extraKey(t, 'mer_default', [scope]);
    const [sessions, retrieve, webhooks] = [
      await key('client_tokens:write'),
      await key('transactions:retrieve'),
      await key('webhooks:write'),
    ];
    const sessionUrl = `/dashboard/api/sessions/${sessionId}/events`;
    const paymentUrl = `/dashboard/api/payments/${payment.id}/events`;
    assert.equal((await get(sessions, sessionUrl)).statusCode, 200);
    assert.equal((await get(retrieve, sessionUrl)).statusCode, 403);
    assert.equal((await get(retrieve, paymentUrl)).statusCode, 200);
    assert.equal((await get(sessions, paymentUrl)).statusCode, 403);
    const [delivery] = (await get(retrieve, paymentUrl)).json().events[0].deliveries;
    assert.equal((await redeliver(retrieve, delivery.id)).statusCode, 403);
    assert.equal((await redeliver(sessions, delivery.id)).statusCode, 403);
    assert.equal((await redeliver(webhooks, delivery.id)).statusCode, 200);
    for (const url of [sessionUrl, paymentUrl]) assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 401, url);
    assert.equal(
      (await t.app.inject({ method: 'POST', url: `/dashboard/api/webhook-deliveries/${delivery.id}/redeliver` })).statusCode,
      401,
    );
  });
});
