// Everything Kassa keeps, as one object: each feature's store (the interfaces live with the features)
// plus the engine's own operations. Engines: storage/sqlite (the default) and storage/postgres; each
// lists its stores in one table (sqlite/stores.ts, postgres/stores.ts), and the types below are
// derived from the SQLite one, which the PostgreSQL one must match.
import type { sqliteStores } from './sqlite/stores.ts';
import type { UnitOfWork } from './unit-of-work.ts';

export type Engine = 'sqlite' | 'postgres';

type Table = typeof sqliteStores;
type WritesOf<Entry> = Entry extends { writes: (from: never) => infer W } ? W : never;

/** Each feature's store, by its name in the table. */
export type Stores = { readonly [K in keyof Table]: ReturnType<Table[K]['store']> };

/** The writes a unit of work records: those of the aggregates whose table entry has writes. */
export type UnitWrites = { readonly [K in keyof Table as Table[K] extends { writes: unknown } ? K : never]: WritesOf<Table[K]> };

/** What an engine's table must give: every aggregate's store made from `E`, and its writes made from `U`. */
export type EngineTable<E, U> = {
  [K in keyof Stores]: { store: (engine: E) => Stores[K] } & (K extends keyof UnitWrites
    ? { writes: (from: U) => UnitWrites[K] }
    : { writes?: never });
};

/** An engine's own operations. */
export interface StorageEngine {
  readonly engine: Engine;
  /** Commits the writes `record` makes in a unit of work, atomically; resolves with its result once durable. */
  commit<R>(record: (uow: UnitOfWork) => R): Promise<R>;
  /** Applies pending migrations; safe when several processes start at once. */
  migrate(): Promise<void>;
  /** True when the storage answers (a cheap round trip, for every readiness check). */
  ping(): Promise<boolean>;
  /**
   * Proof that the storage works, after a request failed on it (health.ts): commits a small write
   * and, on SQLite, checks the file's integrity. Throws the storage's error when it does not.
   */
  probe(): Promise<void>;
  close(): Promise<void>;
}

export type Store = Stores & StorageEngine;

/** Each aggregate's store, made from `engine` as its table says. */
export function storesOf<E>(table: { [K in keyof Stores]: { store: (engine: E) => Stores[K] } }, engine: E): Stores {
  const stores: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(table)) stores[name] = (entry as { store: (engine: E) => unknown }).store(engine);
  return stores as Stores;
}

/** The writes of the aggregates that have them, made from `from` as the table says. */
export function writesOf<U>(table: { [K in keyof UnitWrites]: { writes: (from: U) => UnitWrites[K] } }, from: U): UnitWrites {
  const writes: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(table)) {
    const make = (entry as { writes?: (from: U) => unknown }).writes;
    if (make) writes[name] = make(from);
  }
  return writes as UnitWrites;
}
