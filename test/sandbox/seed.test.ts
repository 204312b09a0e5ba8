// engines: sqlite, postgres
// Seeding (docs/sandbox.md, "Seed"): a file's merchants, API keys, saved cards, webhook endpoints and
// sessions are made through the services the API uses, each once (seeding again changes nothing); a
// bad file is refused with every problem at its JSON path, and nothing is written.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signingKeys } from '../../src/cli/kit.ts';
import { applySeed } from '../../src/sandbox/seed/seed.ts';
import { SeedError } from '../../src/sandbox/seed/validate.ts';
import { getSession, testApp, type TestApp } from '../support/app.ts';
import { api, CARDS, pay } from '../payments/support.ts';

const SHOP_KEY = 'seed_shop_key_0123456789abcdef';
const OTHER_KEY = 'seed_other_key_0123456789abcdef';
const SECRET = 'whsec_seeded_secret_0123456789';

/** A file as a merchant's CI would keep it; cards expire in December four years after `now`. */
const seedFile = (now: number) => {
  const expiry = { expirationMonth: '12', expirationYear: String(new Date(now).getUTCFullYear() + 4) };
  return {
    merchants: [
      {
        id: 'mer_shop',
        name: 'Shop',
        apiKeys: [{ secret: SHOP_KEY }],
        customers: [
          {
            customerId: 'cust-ada',
            cards: [
              { number: CARDS.visa, ...expiry, cardholderName: 'Ada' },
              { number: CARDS.challenge, ...expiry },
            ],
          },
        ],
        webhookEndpoints: [
          { url: 'http://127.0.0.1:9/shop', events: ['PAYMENT.STATUS'], secret: SECRET },
          { url: 'http://127.0.0.1:9/audit' },
        ],
        sessions: [{ orderId: 'order-seeded', currencyCode: 'EUR', amount: 1200, customerId: 'cust-ada' }],
      },
      { id: 'mer_other', name: 'Other shop', apiKeys: [{ secret: OTHER_KEY, scopes: ['transactions:retrieve'] }] },
    ],
  };
};

describe('seed', () => {
  let t: TestApp;
  const seed = async (file: unknown, env: Partial<TestApp['config']> = {}) =>
    applySeed(file, {
      store: t.store,
      clock: () => t.clock.now,
      config: { ...t.config, ...env },
      signingKeys: await signingKeys(t.store, t.config.tokenSecret),
    });
  /** Every table's rows, in a comparable form: what "nothing changed" means. */
  async function snapshot() {
    const tables = [
      'merchants',
      'api_keys',
      'webhook_endpoints',
      'payment_tokens',
      'sessions',
      'session_events',
      'payments',
      'payment_events',
      'webhook_deliveries',
    ];
    const out: Record<string, unknown> = {};
    for (const table of tables) out[table] = await t.query(`SELECT * FROM ${table} ORDER BY 1`);
    return JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
  }

  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  test('makes the merchants, their keys, saved cards, endpoints and sessions, each usable through the API', async () => {
    const result = await seed(seedFile(t.clock.now));
    const [shop, other] = result.merchants;
    assert.deepEqual(
      { ...shop, webhookEndpoints: undefined, sessions: undefined },
      {
        id: 'mer_shop',
        created: true,
        apiKeys: { created: 1, existing: 0 },
        savedCards: { created: 2, existing: 0 },
        webhookEndpoints: undefined,
        sessions: undefined,
      },
    );
    assert.deepEqual(
      shop!.webhookEndpoints.map((e) => ({ url: e.url, created: e.created, secret: e.secret?.replace(/^whsec_.+$/, 'whsec_…') })),
      [
        { url: 'http://127.0.0.1:9/shop', created: true, secret: undefined },
        { url: 'http://127.0.0.1:9/audit', created: true, secret: 'whsec_…' },
      ],
    );
    assert.deepEqual(other, {
      id: 'mer_other',
      created: true,
      apiKeys: { created: 1, existing: 0 },
      savedCards: { created: 0, existing: 0 },
      webhookEndpoints: [],
      sessions: [],
    });

    // The key works, for its merchant and with its scopes.
    const endpoints = (await api(t, 'GET', '/kassa/webhook-endpoints', undefined, { key: SHOP_KEY })).json() as {
      data: { url: string; events: string[] }[];
    };
    assert.deepEqual(
      // Made at the same instant on the test clock: in no particular order.
      endpoints.data.map((e) => [e.url, e.events]).sort(),
      [
        ['http://127.0.0.1:9/audit', ['PAYMENT.STATUS', 'PAYMENT.REFUND']],
        ['http://127.0.0.1:9/shop', ['PAYMENT.STATUS']],
      ],
    );
    assert.equal((await api(t, 'GET', '/kassa/webhook-endpoints', undefined, { key: OTHER_KEY })).statusCode, 403);
    // The saved cards, the first one the default, as vaulting them through the API leaves them.
    const saved = (await api(t, 'GET', '/payment-instruments?customer_id=cust-ada', undefined, { key: SHOP_KEY })).json() as {
      data: { paymentMethodData: { last4Digits: string; cardholderName?: string }; default: boolean }[];
    };
    assert.deepEqual(saved.data.map((c) => [c.paymentMethodData.last4Digits, c.paymentMethodData.cardholderName, c.default]).sort(), [
      ['0051', undefined, false],
      ['1111', 'Ada', true],
    ]);
    // No card number is stored anywhere.
    const dump = await snapshot();
    for (const number of [CARDS.visa, CARDS.challenge]) assert.ok(!dump.includes(number));
    // The session is the merchant's, with the client token the seed answered.
    const session = await getSession(t, shop!.sessions[0]!.clientToken!, SHOP_KEY);
    assert.equal(session.statusCode, 200, session.body);
    assert.equal(session.json().orderId, 'order-seeded');
  });

  test('seeding the same file again changes nothing', async () => {
    const before = await snapshot();
    const again = await seed(seedFile(t.clock.now));
    assert.deepEqual(
      again.merchants.map((m) => [
        m.id,
        m.created,
        m.apiKeys,
        m.savedCards,
        m.webhookEndpoints.map((e) => [e.created, e.secret]),
        m.sessions,
      ]),
      [
        [
          'mer_shop',
          false,
          { created: 0, existing: 1 },
          { created: 0, existing: 2 },
          [
            [false, undefined],
            [false, undefined],
          ],
          [{ orderId: 'order-seeded', created: false }],
        ],
        ['mer_other', false, { created: 0, existing: 1 }, { created: 0, existing: 0 }, [], []],
      ],
    );
    assert.equal(await snapshot(), before);
  });

  test('a card tokenized and vaulted through the API is the same saved card as the seeded one', async () => {
    const { token } = await pay(t, CARDS.visa, {
      key: SHOP_KEY,
      session: { orderId: 'o-2', currencyCode: 'EUR', amount: 100, customerId: 'cust-ada' },
    });
    const vaulted = await api(t, 'POST', `/payment-instruments/${token}/vault`, { customerId: 'cust-ada' }, { key: SHOP_KEY });
    assert.equal(vaulted.statusCode, 200, vaulted.body);
    const saved = (await api(t, 'GET', '/payment-instruments?customer_id=cust-ada', undefined, { key: SHOP_KEY })).json() as {
      data: unknown[];
    };
    assert.equal(saved.data.length, 2);
  });

  test('a bad file is refused with every problem at its path, and nothing is written', async () => {
    const before = await snapshot();
    const file = seedFile(t.clock.now);
    const bad = {
      merchants: [
        {
          ...file.merchants[0]!,
          customers: [{ customerId: 'cust-bo', cards: [{ number: '4111111111111112', expirationMonth: '13', expirationYear: '2030' }] }],
        },
        {
          id: 'mer_new',
          name: 'New',
          apiKeys: [{ secret: 'aaaaaaaaaaaaaaaaaaaaaaaaa' }, { secret: OTHER_KEY }],
          sessions: [{ currencyCode: 'EUR', amount: 100 }],
        },
        { id: 'mer_new', name: 'Again', webhookEndpoints: [{ url: 'http://169.254.169.254/latest' }] },
      ],
    };
    const error = await seed(bad).then(
      () => assert.fail('refused'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SeedError);
    assert.deepEqual(
      error.problems.map((p) => p.path),
      [
        '$.merchants[0].customers[0].cards[0].number',
        '$.merchants[0].customers[0].cards[0].expirationMonth',
        '$.merchants[1].apiKeys[0].secret',
        '$.merchants[1].apiKeys[1].secret',
        '$.merchants[1].sessions[0].orderId',
        '$.merchants[2].id',
        '$.merchants[2].webhookEndpoints[0].url',
      ],
    );
    assert.match(
      error.message,
      /^the seed file was refused, nothing was written:\n {2}\$\.merchants\[0\]\.customers\[0\]\.cards\[0\]\.number: Not a valid card number/,
    );
    assert.match(error.message, /\$\.merchants\[1\]\.apiKeys\[1\]\.secret: This secret is already the key of another merchant\./);
    assert.ok(!error.message.includes('4111111111111112') && !error.message.includes(OTHER_KEY), 'no card number or secret in the message');
    assert.equal(await snapshot(), before);

    const shapeless = await seed({ merchants: [{ id: 'shop', name: '', extra: 1, apiKeys: [{ secret: 5 }] }] }).catch((e: SeedError) => e);
    assert.deepEqual(
      (shapeless as SeedError).problems.map((p) => `${p.path}: ${p.description}`),
      [
        '$.merchants[0].extra: Unknown field: extra fields are not permitted here',
        '$.merchants[0].id: Value must match ^mer_[A-Za-z0-9_-]{1,64}$',
        '$.merchants[0].name: Ensure this value has at least 1 characters',
        '$.merchants[0].apiKeys[0].secret: Value must be a valid string',
      ],
    );
  });

  test('with KASSA_MODE=production, merchants, keys and endpoints are seeded, saved cards and sessions refused', async () => {
    const file = seedFile(t.clock.now);
    const error = await seed(file, { mode: 'production' }).catch((e: SeedError) => e);
    assert.deepEqual(
      (error as SeedError).problems.map((p) => p.path),
      ['$.merchants[0].customers', '$.merchants[0].sessions'],
    );
    const operational = {
      merchants: [
        {
          id: 'mer_platform',
          name: 'Platform',
          apiKeys: [{ secret: 'platform_key_0123456789abcdef' }],
          webhookEndpoints: [{ url: 'http://127.0.0.1:9/p' }],
        },
      ],
    };
    const result = await seed(operational, { mode: 'production' });
    assert.equal(result.merchants[0]!.created, true);
    assert.equal(result.merchants[0]!.webhookEndpoints[0]!.created, true);
  });
});
