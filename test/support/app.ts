// A fresh Kassa in process on a fresh SQLite file, with a clock the test controls.
// KASSA_TEST_ENGINE=postgres puts it on a schema of its own on PostgreSQL instead (see test/support/postgres.ts);
// scripts/run-tests.mjs runs the files that declare `// engines: sqlite, postgres` a second time that way.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import postgres from 'postgres';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { CheckoutConfig } from '../../src/checkout/configuration.ts';
import { Merchants } from '../../src/merchants/merchants.ts';
import { prepareStorage } from '../../src/server.ts';
import type { StoredSession } from '../../src/sessions/session.store.ts';
import { openPostgresStore } from '../../src/storage/postgres/database.ts';
import { openSqliteStore } from '../../src/storage/sqlite/database.ts';
import type { Store } from '../../src/storage/store.ts';
import { isStorageUnavailable } from '../../src/storage/unavailable.ts';
import { migratedStore, type TestStore } from './postgres.ts';

/** The engine the in-process test apps use. */
export const TEST_ENGINE: 'sqlite' | 'postgres' = process.env.KASSA_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

export const TEST_API_KEY = 'kassa_test_key_0123456789abcdef';
export const START = Date.parse('2026-11-24T09:00:00.123Z');

export interface TestApp {
  app: FastifyInstance;
  store: Store;
  config: Config;
  clock: { now: number; advance(ms: number): void };
  apiKey: string;
  /**
   * Runs SQL on the app's database as an operator would (placeholders `?`), whatever the engine, and
   * resolves in a later event-loop turn, as a request sent after it would arrive (SQLite reads see what
   * was committed before their turn began).
   */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Another store on the same database, as a second process would have (closed with the app). */
  another(): Promise<Store>;
  close(): Promise<void>;
}

export async function testApp(
  options: {
    env?: Record<string, string>;
    store?: Store;
    logger?: pino.Logger;
    checkout?: CheckoutConfig;
    onRoute?: (route: RouteOptions) => void;
  } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-test-'));
  let leased: TestStore | undefined;
  let store: Store;
  let databaseUrl = `sqlite:${join(dir, 'kassa.db')}`;
  if (options.store) {
    store = options.store;
  } else if (TEST_ENGINE === 'postgres') {
    leased = await migratedStore();
    databaseUrl = leased.url;
    store = leased.store;
  } else {
    // No fsync per commit in process (see SqliteOptions.durable); the server's durability is tested with real processes.
    store = openSqliteStore({ path: join(dir, 'kassa.db'), durable: false });
  }
  // Rate limits are off unless a test asks for them: the test clock stands still, so a bucket never refills.
  const config = loadConfig({ KASSA_API_KEY: TEST_API_KEY, DATABASE_URL: databaseUrl, KASSA_RATE_LIMIT: 'off', ...options.env });
  const clock = {
    now: START,
    advance(ms: number) {
      this.now += ms;
    },
  };
  const now = () => clock.now;
  const prepared = await prepareStorage(store, config, now);
  const app = await buildApp({
    store,
    clock: now,
    config,
    logger: options.logger ?? pino({ level: 'silent' }),
    signingKeys: prepared.signingKeys,
    ...(options.checkout ? { checkout: options.checkout } : {}),
    ...(options.onRoute ? { onRoute: options.onRoute } : {}),
    // Payment jobs run when a test calls app.paymentJobs.runDue(): the test clock decides what is due.
    jobPollMs: 0,
    isStorageUnavailable,
  });
  await app.ready();
  const target = config.database;
  const others: Store[] = [];
  // The operator's own connection, opened on first use.
  let sqlite: Database.Database | undefined;
  let pg: postgres.Sql | undefined;
  return {
    app,
    store,
    config,
    clock,
    apiKey: TEST_API_KEY,
    async query(sql, params = []) {
      if (target.engine === 'sqlite') {
        sqlite ??= new Database(target.path);
        const statement = sqlite.prepare(sql);
        let rows: Record<string, unknown>[] = [];
        if (statement.reader) rows = statement.all(...params) as Record<string, unknown>[];
        else statement.run(...params);
        await new Promise((resolve) => setImmediate(resolve));
        return rows;
      }
      pg ??= leased ? leased.pool() : postgres(target.url, { max: 1, onnotice: () => {} });
      let n = 0;
      return [
        ...(await pg.unsafe(
          sql.replace(/\?/g, () => `$${++n}`),
          params as never[],
        )),
      ] as Record<string, unknown>[];
    },
    async another() {
      // On PostgreSQL, given back with the app's own store (see migratedStore).
      if (leased) return leased.another();
      const other =
        target.engine === 'sqlite'
          ? openSqliteStore({ path: target.path, durable: false })
          : await openPostgresStore({ url: target.url, poolSize: 2 });
      others.push(other);
      return other;
    },
    async close() {
      await app.close();
      sqlite?.close();
      if (!leased) await pg?.end();
      for (const other of others) await other.close();
      if (leased) await leased.release();
      else await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const headers = (apiKey: string, version = '2.4') => ({
  'x-api-key': apiKey,
  'x-api-version': version,
  'content-type': 'application/json',
});

/**
 * POST /client-session with the API key (or `key`) in `version`, asserting 200: the answer, its client
 * token, the token's claims and the access token an SDK sends as Primer-Client-Token.
 */
export async function createSession(t: TestApp, body: object, options: { version?: string; key?: string } = {}) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/client-session',
    headers: headers(options.key ?? t.apiKey, options.version ?? '2.4'),
    payload: body,
  });
  assert.equal(res.statusCode, 200, res.body);
  const response = res.json() as Record<string, any>;
  const claims = decodeJwtPayload(response.clientToken);
  return { clientToken: response.clientToken as string, accessToken: claims.accessToken as string, claims, response };
}

export async function getSession(t: TestApp, clientToken: string, apiKey = t.apiKey) {
  return t.app.inject({
    method: 'GET',
    url: `/client-session?clientToken=${encodeURIComponent(clientToken)}`,
    headers: { 'x-api-key': apiKey, 'x-api-version': '2.4' },
  });
}

export async function patchSession(t: TestApp, body: object, apiKey = t.apiKey, version = '2.4') {
  return t.app.inject({ method: 'PATCH', url: '/client-session', headers: headers(apiKey, version), payload: body });
}

/** The decoded (unverified) payload of a JWT, as the SDKs read it. */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** A full v2.4 request body using every field Primer's schema has. */
export const FULL_REQUEST = {
  orderId: 'ord-7f3a91',
  currencyCode: 'EUR',
  order: {
    lineItems: [
      {
        itemId: 'sku-tee',
        name: 'T-shirt',
        description: 'Red T-shirt',
        amount: 1500,
        quantity: 2,
        discountAmount: 300,
        taxAmount: 0,
        taxCode: 'txcd_99999999',
        productType: 'PHYSICAL',
        productData: {
          sku: 'TEE-RED-M',
          brand: 'Acme',
          color: 'red',
          globalTradeItemNumber: '9780262033848',
          manufacturerPartNumber: 'MPN-1',
          weight: 0.2,
          weightUnit: 'kg',
          pageUrl: 'https://shop.example/tee',
        },
      },
      { itemId: 'sku-ebook', description: 'E-book', amount: 1000, quantity: 1, taxAmount: 200, productType: 'DIGITAL' },
    ],
    countryCode: 'NL',
    retailerCountryCode: 'DE',
    fees: [{ amount: 100, type: 'SERVICE', description: 'Service fee' }],
    shipping: { amount: 500, methodId: 'std', methodName: 'Standard Shipping', methodDescription: '2-3 days' },
  },
  customerId: 'cust-42',
  customer: {
    emailAddress: 'jane@example.com',
    mobileNumber: '+31612345678',
    firstName: 'Jane',
    lastName: 'Doe',
    billingAddress: {
      firstName: 'Jane',
      lastName: 'Doe',
      addressLine1: 'Damrak 1',
      addressLine2: 'Floor 2',
      city: 'Amsterdam',
      state: 'NH',
      countryCode: 'NL',
      postalCode: '1012LG',
    },
    shippingAddress: { addressLine1: 'Damrak 2', city: 'Amsterdam', countryCode: 'NL', postalCode: '1012LG' },
    taxId: 'NL123456789B01',
    nationalDocumentId: 'X1234567',
  },
  metadata: { channel: 'web', cartVersion: 3 },
  paymentMethod: {
    vaultOnSuccess: true,
    vaultOn3DS: false,
    vaultOnAgreement: false,
    descriptor: 'ACME WEBSHOP',
    paymentType: 'FIRST_PAYMENT',
    authorizationType: 'FINAL',
    orderedAllowedCardNetworks: ['VISA', 'MASTERCARD', 'CARTES_BANCAIRES'],
    firstPaymentReason: 'CardOnFile',
    options: {
      PAYMENT_CARD: { networks: { VISA: { surcharge: { amount: 50 } } }, captureVaultedCardCvv: true },
      PAYPAL: { surcharge: { amount: 100 } },
      KLARNA: { surcharge: { amount: 0 }, extraMerchantData: { customer_account_info: [{ unique_account_identifier: 'x' }] } },
      APPLE_PAY: {
        merchantName: 'Acme Store',
        recurringPaymentRequest: {
          paymentDescription: 'Monthly Subscription',
          billingAgreement: 'You agree to pay monthly until you cancel.',
          managementUrl: 'https://example.com/manage',
          regularBilling: {
            label: 'Premium Plan',
            amount: 1999,
            recurringStartDate: '2026-12-01T00:00:00Z',
            recurringIntervalUnit: 'month',
            recurringIntervalCount: 1,
          },
          trialBilling: { label: 'Free Trial', amount: 0, recurringEndDate: '2026-12-08T00:00:00Z' },
        },
        deferredPaymentRequest: {
          managementUrl: 'https://example.com/orders',
          deferredBilling: { label: 'Order Payment', amount: 4999, deferredPaymentDate: '2027-01-03T00:00:00Z' },
          freeCancellationDate: '2027-01-02T00:00:00Z',
          freeCancellationTimeZone: 'UTC',
        },
        automaticReloadRequest: {
          managementUrl: 'https://example.com/account',
          automaticReloadBilling: { label: 'Auto Reload', amount: 2500, automaticReloadThresholdAmount: 500 },
        },
      },
    },
  },
};

/** Stores a session directly (as another process would), bypassing the API. */
export function insertSession(store: Store, session: StoredSession): Promise<void> {
  return store.commit((uow) => uow.sessions.insert(session));
}

/** Stores a new version of a session directly (as another process would). */
export function updateSession(store: Store, session: StoredSession): Promise<void> {
  return store.commit((uow) => uow.sessions.update(session));
}

/** How many keys extraKey has made for each app. */
const extraKeys = new WeakMap<TestApp, number>();

/**
 * A new API key for `merchantId` (all scopes unless named); resolves with its secret. The `n`th key a
 * test makes has the same secret in every test, so this process's memory of keys that worked
 * (merchants/key-hash.ts) spares all but the first test the key's deliberately slow hash (~50 ms of CPU).
 */
export async function extraKey(t: TestApp, merchantId: string, scopes?: readonly string[]): Promise<string> {
  const n = (extraKeys.get(t) ?? 0) + 1;
  extraKeys.set(t, n);
  const secret = `kassa_test_key_${n}_${(scopes ?? ['all']).join('_').replace(/[^a-z_]/g, '')}`;
  return (await new Merchants(t.store, () => t.clock.now).createKey(merchantId, scopes, secret)).secret;
}
