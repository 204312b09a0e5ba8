// A fresh Kassa in process on a fresh SQLite file, with a clock the test controls.
// KASSA_TEST_ENGINE=postgres puts it on a fresh PostgreSQL database instead (see test/support/postgres.ts);
// scripts/run-tests.mjs runs the files under test/http/ a second time that way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { prepareStorage } from '../../src/startup.ts';
import { openPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import type { Store } from '../../src/storage/store.ts';
import { isStorageUnavailable } from '../../src/storage/unavailable.ts';
import { freshDatabase, type TestDatabase } from './postgres.ts';

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
  close(): Promise<void>;
}

export async function testApp(
  options: { env?: Record<string, string>; store?: Store; logger?: pino.Logger } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-test-'));
  let database: TestDatabase | undefined;
  let store: Store;
  let databaseUrl = `sqlite:${join(dir, 'kassa.db')}`;
  if (options.store) {
    store = options.store;
  } else if (TEST_ENGINE === 'postgres') {
    database = await freshDatabase();
    databaseUrl = database.url;
    store = await openPostgresStore({ url: database.url, poolSize: 4 });
  } else {
    store = openSqliteStore({ path: join(dir, 'kassa.db') });
  }
  const config = loadConfig({ KASSA_API_KEY: TEST_API_KEY, DATABASE_URL: databaseUrl, ...options.env });
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
    isStorageUnavailable,
  });
  await app.ready();
  return {
    app,
    store,
    config,
    clock,
    apiKey: TEST_API_KEY,
    async close() {
      await app.close();
      await store.close();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const headers = (apiKey: string, version = '2.4') => ({
  'x-api-key': apiKey,
  'x-api-version': version,
  'content-type': 'application/json',
});
