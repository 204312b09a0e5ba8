// The storage engines every store contract runs on, in one process: SQLite on a fresh file, and a real
// PostgreSQL (a migrated schema per test, given back emptied when it ends; see migratedStore).
// `another()` opens an independent handle on the same database, as a second process would have.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe } from 'node:test';
import { openSqliteStore } from '../../src/storage/sqlite/database.ts';
import type { Engine, Store } from '../../src/storage/store.ts';
import { migratedStore } from './postgres.ts';

export interface EngineFixture {
  /** Migrated, empty. */
  store: Store;
  /** Another independent handle on the same database (not migrated). */
  another(): Promise<Store>;
  cleanup(): Promise<void>;
}

export const ENGINES: Record<Engine, () => Promise<EngineFixture>> = {
  async sqlite() {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-contract-'));
    const path = join(dir, 'kassa.db');
    const opened: Store[] = [];
    const open = async () => {
      const store = openSqliteStore({ path, durable: false });
      opened.push(store);
      return store;
    };
    const store = await open();
    await store.migrate();
    return {
      store,
      another: open,
      async cleanup() {
        for (const s of opened) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  async postgres() {
    const leased = await migratedStore();
    await leased.store.migrate();
    return { store: leased.store, another: leased.another, cleanup: leased.release };
  },
};

/**
 * A contract suite run once per engine: `body` gets the engine's name and a `fresh()` that opens an
 * empty store (closed after the test).
 */
export function forEachEngine(name: string, body: (engine: Engine, fresh: () => Promise<EngineFixture>) => void): void {
  for (const [engine, setup] of Object.entries(ENGINES) as Array<[Engine, () => Promise<EngineFixture>]>) {
    describe(`${name}: ${engine}`, () => {
      // A test's stores are given back when it ends, for the next test to take (see migratedStore).
      const fixtures: EngineFixture[] = [];
      const cleanup = async () => {
        for (const f of fixtures.splice(0)) await f.cleanup();
      };
      afterEach(cleanup);
      after(cleanup);
      body(engine, async () => {
        const f = await setup();
        fixtures.push(f);
        return f;
      });
    });
  }
}

export const T0 = Date.parse('2026-11-24T09:00:00.123Z');

export async function withMerchants(store: Store, ...ids: string[]): Promise<void> {
  for (const id of ids) await store.merchants.insert({ id, name: `Merchant ${id}`, createdAt: T0 });
}
