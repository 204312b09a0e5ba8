// A fresh Kassa in process on a fresh SQLite file, with a clock the test controls.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { prepareStorage } from '../../src/startup.ts';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import type { Store } from '../../src/storage/store.ts';

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
  // Rate limits are off unless a test asks for them: the test clock stands still, so a bucket never refills.
  const config = loadConfig({
    KASSA_API_KEY: TEST_API_KEY,
    DATABASE_URL: `sqlite:${join(dir, 'kassa.db')}`,
    KASSA_RATE_LIMIT: 'off',
    ...options.env,
  });
  const store = options.store ?? openSqliteStore({ path: join(dir, 'kassa.db') });
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
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const headers = (apiKey: string, version = '2.4') => ({
  'x-api-key': apiKey,
  'x-api-version': version,
  'content-type': 'application/json',
});
