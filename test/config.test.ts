// engines: sqlite
// Environment -> Config, every bad variable named (docs/configuration.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, describeDatabase, loadConfig, parseDatabaseUrl } from '../src/config.ts';

test('defaults: port 8080 on 127.0.0.1, SQLite at ./data/kassa.db, 24 h tokens', () => {
  const config = loadConfig({});
  assert.deepEqual(config, {
    port: 8080,
    host: '127.0.0.1',
    database: { engine: 'sqlite', path: './data/kassa.db' },
    publicUrl: 'http://localhost:8080',
    tokenTtlSeconds: 86_400,
    sdkEnv: 'SANDBOX',
    logLevel: 'info',
    corsOrigins: '*',
    dbPoolSize: 10,
    dbTimeoutMs: 10_000,
    idempotencyTtlMs: 86_400_000,
    authorizationValidityMs: 604_800_000,
    rateLimit: { perKey: 500, perToken: 50, perAddress: 50, failuresPerMinute: 30 },
    trustProxy: false,
    requestTimeoutMs: 30_000,
    shutdownTimeoutMs: 10_000,
    payments: true,
    mode: 'sandbox',
    webhookRetryScale: 1,
    webhookTimeoutMs: 10_000,
    webhookEndpointsMax: 20,
    webhookPrivate: 'allow',
    purge: {
      intervalMs: 60_000,
      retentionMs: 604_800_000,
      batchSize: 500,
      paymentRetentionMs: 7_776_000_000,
      deliveryRetentionMs: 2_592_000_000,
    },
  });
});

test('every variable is read', () => {
  const config = loadConfig({
    PORT: '9000',
    HOST: '0.0.0.0',
    DATABASE_URL: 'postgres://kassa@db:5432/kassa',
    KASSA_API_KEY: 'sk_local_0123456789abcdef',
    KASSA_PUBLIC_URL: 'https://pay.example.com/',
    KASSA_TOKEN_TTL_SECONDS: '3600',
    KASSA_TOKEN_SECRET: 'x'.repeat(32),
    KASSA_SDK_ENV: 'PRODUCTION',
    LOG_LEVEL: 'warn',
    KASSA_PAYMENTS: 'off',
    KASSA_MODE: 'production',
    KASSA_WEBHOOK_URL: 'https://hooks.example.com/kassa',
    KASSA_WEBHOOK_SECRET: 'whsec_0123456789abcdef',
    KASSA_WEBHOOK_RETRY_SCALE: '0.001',
    KASSA_WEBHOOK_TIMEOUT_MS: '2500',
    KASSA_WEBHOOK_ENDPOINTS_MAX: '5',
    KASSA_WEBHOOK_PRIVATE: 'deny',
    KASSA_AUTHORIZATION_VALIDITY_SECONDS: '86400',
  });
  assert.deepEqual(config, {
    port: 9000,
    host: '0.0.0.0',
    database: { engine: 'postgres', url: 'postgres://kassa@db:5432/kassa' },
    apiKey: 'sk_local_0123456789abcdef',
    publicUrl: 'https://pay.example.com',
    tokenTtlSeconds: 3600,
    tokenSecret: 'x'.repeat(32),
    sdkEnv: 'PRODUCTION',
    logLevel: 'warn',
    corsOrigins: '*',
    dbPoolSize: 10,
    dbTimeoutMs: 10_000,
    idempotencyTtlMs: 86_400_000,
    authorizationValidityMs: 86_400_000,
    rateLimit: { perKey: 500, perToken: 50, perAddress: 50, failuresPerMinute: 30 },
    trustProxy: false,
    requestTimeoutMs: 30_000,
    shutdownTimeoutMs: 10_000,
    payments: false,
    mode: 'production',
    webhookUrl: 'https://hooks.example.com/kassa',
    webhookSecret: 'whsec_0123456789abcdef',
    webhookRetryScale: 0.001,
    webhookTimeoutMs: 2500,
    webhookEndpointsMax: 5,
    webhookPrivate: 'deny',
    purge: {
      intervalMs: 60_000,
      retentionMs: 604_800_000,
      batchSize: 500,
      paymentRetentionMs: 7_776_000_000,
      deliveryRetentionMs: 2_592_000_000,
    },
  });
});

test('the webhook variables: an http(s) URL, a secret of 16 characters or more, a scale above 0, a timeout of 0.1 to 60 s', () => {
  assert.throws(() => loadConfig({ KASSA_WEBHOOK_URL: 'ftp://x' }), /KASSA_WEBHOOK_URL/);
  assert.equal(loadConfig({}).webhookTimeoutMs, 10_000);
  assert.equal(loadConfig({ KASSA_WEBHOOK_TIMEOUT_MS: '2500' }).webhookTimeoutMs, 2500);
  for (const bad of ['99', '60001', '1.5', 'soon'])
    assert.throws(() => loadConfig({ KASSA_WEBHOOK_TIMEOUT_MS: bad }), /KASSA_WEBHOOK_TIMEOUT_MS/);
  assert.throws(() => loadConfig({ KASSA_WEBHOOK_PRIVATE: 'no' }), /KASSA_WEBHOOK_PRIVATE: must be one of allow, deny/);
  assert.throws(() => loadConfig({ KASSA_WEBHOOK_SECRET: 'short' }), /KASSA_WEBHOOK_SECRET/);
  assert.throws(() => loadConfig({ KASSA_WEBHOOK_RETRY_SCALE: '0' }), /KASSA_WEBHOOK_RETRY_SCALE/);
  assert.throws(() => loadConfig({ KASSA_PAYMENTS: 'maybe' }), /KASSA_PAYMENTS/);
  assert.equal(loadConfig({}).mode, 'sandbox');
  assert.equal(loadConfig({ KASSA_MODE: 'production' }).mode, 'production');
  assert.throws(() => loadConfig({ KASSA_MODE: 'live' }), /KASSA_MODE: must be one of sandbox, production/);
});

test('the retentions of payments and deliveries are read in seconds, up to ten years, a bad one named', () => {
  const { purge } = loadConfig({ KASSA_PURGE_PAYMENT_RETENTION_SECONDS: '86400', KASSA_PURGE_DELIVERY_RETENTION_SECONDS: '0' });
  assert.equal(purge.paymentRetentionMs, 86_400_000);
  assert.equal(purge.deliveryRetentionMs, 0);
  assert.throws(
    () => loadConfig({ KASSA_PURGE_PAYMENT_RETENTION_SECONDS: '-1', KASSA_PURGE_DELIVERY_RETENTION_SECONDS: String(3651 * 86_400) }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.map((p) => p.split(':')[0]).join() === 'KASSA_PURGE_PAYMENT_RETENTION_SECONDS,KASSA_PURGE_DELIVERY_RETENTION_SECONDS',
  );
});

test('the authorization validity is read in seconds, 7 days by default, 60 s to 365 days, a bad one named', () => {
  assert.equal(loadConfig({}).authorizationValidityMs, 7 * 86_400_000);
  assert.equal(loadConfig({ KASSA_AUTHORIZATION_VALIDITY_SECONDS: '60' }).authorizationValidityMs, 60_000);
  for (const bad of ['59', String(365 * 86_400 + 1), '1.5', 'week'])
    assert.throws(() => loadConfig({ KASSA_AUTHORIZATION_VALIDITY_SECONDS: bad }), /KASSA_AUTHORIZATION_VALIDITY_SECONDS/);
});

test('every bad value is reported at once, by name', () => {
  try {
    loadConfig({
      PORT: '-1',
      DATABASE_URL: 'sqlite:',
      KASSA_API_KEY: 'short',
      KASSA_PUBLIC_URL: 'ftp://x',
      KASSA_TOKEN_TTL_SECONDS: '1.5',
      KASSA_TOKEN_SECRET: 'tiny',
      KASSA_SDK_ENV: 'LIVE',
      LOG_LEVEL: 'chatty',
    });
    assert.fail('should throw');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(
      error.problems.map((p) => p.split(':')[0]),
      [
        'PORT',
        'DATABASE_URL',
        'KASSA_API_KEY',
        'KASSA_TOKEN_SECRET',
        'KASSA_PUBLIC_URL',
        'KASSA_TOKEN_TTL_SECONDS',
        'KASSA_SDK_ENV',
        'LOG_LEVEL',
      ],
    );
  }
});

test('DATABASE_URL: sqlite://./x.db, which would be a file at the filesystem root, is refused with the right spelling', () => {
  const refused = parseDatabaseUrl('sqlite://./data/kassa.db');
  assert.equal(typeof refused, 'string');
  assert.match(refused as string, /^DATABASE_URL: .*filesystem root \(\/data\/kassa\.db\); write sqlite:\.\/data\/kassa\.db /);
  assert.match(parseDatabaseUrl('sqlite://data/kassa.db') as string, /write sqlite:data\/kassa\.db /);
  assert.throws(() => loadConfig({ DATABASE_URL: 'sqlite://./data/kassa.db' }), /DATABASE_URL/);
  // The spellings that mean what they say still work.
  assert.deepEqual(parseDatabaseUrl('sqlite:./data/kassa.db'), { engine: 'sqlite', path: './data/kassa.db' });
  assert.deepEqual(parseDatabaseUrl(`sqlite://${tmpdir()}/kassa.db`), { engine: 'sqlite', path: `${tmpdir()}/kassa.db` });
});

test("DATABASE_URL: an SQLite file's directory must exist, except ./data, the default's, which Kassa creates", () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-config-'));
  try {
    assert.deepEqual(parseDatabaseUrl(`sqlite:${dir}/kassa.db`), { engine: 'sqlite', path: `${dir}/kassa.db` });
    const missing = join(dir, 'no', 'such');
    assert.throws(
      () => loadConfig({ DATABASE_URL: `sqlite:${missing}/kassa.db` }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.includes(`DATABASE_URL: the directory ${missing} of "sqlite:${missing}/kassa.db" does not exist`),
    );
    assert.equal(loadConfig({ DATABASE_URL: 'sqlite:./data/other.db' }).database.engine, 'sqlite');
    assert.equal(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).database.engine, 'sqlite');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('describeDatabase: the absolute file, or user, host and database without the password', () => {
  assert.equal(describeDatabase({ engine: 'sqlite', path: './data/kassa.db' }), `sqlite:${resolve('data/kassa.db')}`);
  assert.equal(
    describeDatabase({ engine: 'postgres', url: 'postgres://kassa:s3cret@db.internal:5433/shop?sslmode=require' }),
    'postgres://kassa@db.internal:5433/shop',
  );
});

test('KASSA_API_KEY: a short or repetitive operator key is refused, saying why', () => {
  for (const weak of ['0123456789abcdef', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'abcabcabcabcabcabcabcabc']) {
    assert.throws(
      () => loadConfig({ KASSA_API_KEY: weak }),
      (e: unknown) => e instanceof ConfigError && /KASSA_API_KEY: too easy to guess \(\d+ characters, \d+ different\)/.test(e.message),
      weak,
    );
  }
  assert.equal(loadConfig({ KASSA_API_KEY: 'kassa_test_key_0123456789abcdef' }).apiKey, 'kassa_test_key_0123456789abcdef');
});

test('KASSA_TRUST_PROXY: false, true, a hop count or addresses', () => {
  assert.equal(loadConfig({}).trustProxy, false);
  assert.equal(loadConfig({ KASSA_TRUST_PROXY: 'true' }).trustProxy, true);
  assert.equal(loadConfig({ KASSA_TRUST_PROXY: '2' }).trustProxy, 2);
  assert.deepEqual(loadConfig({ KASSA_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, ['10.0.0.0/8', '127.0.0.1']);
  assert.throws(() => loadConfig({ KASSA_TRUST_PROXY: 'the load balancer' }), /KASSA_TRUST_PROXY/);
});
