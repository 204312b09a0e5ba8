// PostgreSQL for tests. The server is TEST_DATABASE_URL when set (scripts/run-tests.mjs sets it to a
// throwaway server it starts once per `npm test`); otherwise this process starts its own throwaway
// server. Every caller gets a fresh schema of its own, so tests never see each other's rows.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Throwaway from '../../scripts/throwaway-postgres.mjs';
import { openPostgresStore, postgresPool } from '../../src/storage/postgres/database.ts';
import type { Store } from '../../src/storage/store.ts';
import { ROOT } from './process.ts';

/** scripts/throwaway-postgres.mjs, plain JS that npm test runs before anything is compiled: loaded from its source. */
export const throwaway = (await import(pathToFileURL(join(ROOT, 'scripts', 'throwaway-postgres.mjs')).href)) as typeof Throwaway;
const { startThrowawayPostgres } = throwaway;

let own: Promise<string> | undefined;

/** Superuser URL of the server tests use. */
export function postgresServerUrl(): Promise<string> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) return Promise.resolve(given);
  own ??= startThrowawayPostgres().then((pg) => pg.url);
  return own;
}

export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** One superuser connection per test process and server, for making and recycling schemas; it closes when idle. */
const admins = new Map<string, postgres.Sql>();
function admin(server: string): postgres.Sql {
  let sql = admins.get(server);
  if (!sql) {
    sql = postgres(server, { max: 1, idle_timeout: 1, fetch_types: false, onnotice: () => {} });
    admins.set(server, sql);
  }
  return sql;
}

function schemaUrl(server: string, name: string): string {
  const url = new URL(server);
  url.searchParams.set('search_path', name);
  return url.toString();
}

/**
 * A new, empty place for Kassa's tables on `serverUrl` (default: the test server): a schema of its
 * own, named in the URL as `search_path` (which Kassa passes on to PostgreSQL as a connection
 * parameter). A schema takes a millisecond to make; a database takes a hundred.
 */
export async function freshDatabase(serverUrl?: string): Promise<TestDatabase> {
  const server = serverUrl ?? (await postgresServerUrl());
  const name = `kassa_test_${randomBytes(8).toString('hex')}`;
  await admin(server).unsafe(`CREATE SCHEMA ${name}`);
  return {
    url: schemaUrl(server, name),
    name,
    async drop() {
      await admin(server).unsafe(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    },
  };
}

/** Migrated schemas whose tests are over, emptied, for the next test of this process to take. */
const recycled: string[] = [];
/** The tables of a migrated schema, but the migrations' own (read from the first schema given back). */
let kassaTables: string[] | undefined;

/**
 * The name of an empty schema with Kassa's tables already made, on the test server: one a finished
 * test gave back (every table emptied), else a fresh one, migrated. Migrating takes some 65 ms and
 * connections of its own, dropping the schema afterwards more; emptying its small tables takes a few
 * milliseconds. Kassa's own migrate then finds nothing to do, as on any restart.
 */
async function migratedSchema(server: string): Promise<string> {
  const name = recycled.pop();
  if (name) return name;
  const fresh = await freshDatabase(server);
  const store = await openPostgresStore({ url: fresh.url, poolSize: 1 });
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
  return fresh.name;
}

/**
 * Empties a migrated schema's tables for the next test; false, with the schema dropped instead, when
 * they cannot be emptied at once (a transaction a test left open holds a lock: never wait on it).
 */
async function emptied(server: string, name: string): Promise<boolean> {
  const sql = admin(server);
  // Every migrated schema has the same tables: listed once per process.
  kassaTables ??= (
    await sql<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables
      WHERE table_schema = ${name} AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'`
  ).map((t) => t.table_name);
  const tables = kassaTables;
  try {
    // Rows are deleted rather than truncated: TRUNCATE gives each table new storage, which makes
    // every connection to the schema read its tables and plan its statements again (see migratedStore).
    // Foreign keys are not checked meanwhile (superuser only), so the order does not matter.
    await sql.begin(async (tx) => {
      await tx.unsafe(`SET LOCAL lock_timeout = '1s'`);
      await tx.unsafe(`SET LOCAL session_replication_role = replica`);
      await tx.unsafe(tables.map((t) => `DELETE FROM ${name}."${t}"`).join('; '));
    });
    return true;
  } catch {
    await sql.unsafe(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => {});
    return false;
  }
}

/** Connections in the pool of a test store on PostgreSQL. */
const POOL_SIZE = 4;
/** Pools of finished test stores, by schema, and when they are ended if no test takes them. */
const idlePools = new Map<string, { pools: postgres.Sql[]; timer: NodeJS.Timeout }>();

export interface TestStore {
  store: Store;
  /** The schema's URL, as Kassa is given it. */
  url: string;
  /** Another store on the same schema, as a second process would have (given back with this one). */
  another(): Promise<Store>;
  /** A connection pool on the schema, for a test's own SQL (given back with the store). */
  pool(): postgres.Sql;
  /** Ends the test's use of its stores and gives the schema back (a store's own close() may come first). */
  release(): Promise<void>;
}

/**
 * Kassa's store on a migrated, empty schema of its own (migratedSchema), with the pool Kassa opens
 * (postgresPool). When the test is over, its pools stay open with the schema, for a second: the next
 * test on that schema takes them. A new connection is most of what an in-process app costs the
 * PostgreSQL server (a process forked and set up, then every table read and every statement planned on
 * first use, some 50 ms of its CPU); a kept one has done all that already.
 */
export async function migratedStore(): Promise<TestStore> {
  const server = await postgresServerUrl();
  const name = await migratedSchema(server);
  const options = { url: schemaUrl(server, name), poolSize: POOL_SIZE };
  const idle = idlePools.get(name);
  idlePools.delete(name);
  if (idle) clearTimeout(idle.timer);
  const spare = idle?.pools ?? [];
  /** This test's pools, and whether the test closed the store on each (which ends that pool). */
  const leased: { sql: postgres.Sql; closed: boolean }[] = [];
  const lease = () => {
    const taken = { sql: spare.pop() ?? postgresPool(options), closed: false };
    leased.push(taken);
    return taken;
  };
  const open = async (): Promise<Store> => {
    const taken = lease();
    const store = await openPostgresStore(options, taken.sql);
    const close = store.close.bind(store);
    store.close = () => {
      taken.closed = true;
      return close();
    };
    return store;
  };
  const store = await open();
  return {
    store,
    url: options.url,
    another: open,
    pool: () => lease().sql,
    async release() {
      const end = (pools: postgres.Sql[]) => Promise.all(pools.map((sql) => sql.end({ timeout: 1 })));
      const kept = leased.filter((taken) => !taken.closed).map((taken) => taken.sql);
      void end(spare);
      if (!(await emptied(server, name))) {
        await end(kept);
        return;
      }
      // The pools are in place before the schema can be taken again.
      const timer = setTimeout(() => {
        if (idlePools.get(name)?.timer === timer) idlePools.delete(name);
        void end(kept);
      }, 1000);
      idlePools.set(name, { pools: kept, timer });
      recycled.push(name);
    },
  };
}
