// PostgreSQL for tests. The server is TEST_DATABASE_URL when set (scripts/run-tests.mjs sets it to a
// throwaway server it starts once per `npm test`); otherwise this process starts its own throwaway
// server. Every caller gets a fresh schema of its own, so tests never see each other's rows.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Throwaway from '../../scripts/throwaway-postgres.mjs';
import { openPostgresStore } from '../../src/storage/postgres/database.ts';
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
 * An empty schema with Kassa's tables already made, on the test server: one a finished test gave back
 * (every table emptied), else a fresh one, migrated. Migrating takes some 65 ms and connections of
 * its own, dropping the schema afterwards more; emptying its small tables takes a few milliseconds
 * (an app on PostgreSQL is ready in about 120 ms instead of 350). Kassa's own
 * migrate then finds nothing to do, as on any restart. Give it back with `drop()` once every
 * connection to it is closed; a schema whose tables cannot be emptied at once is dropped instead.
 */
export async function migratedDatabase(): Promise<TestDatabase> {
  const server = await postgresServerUrl();
  const name = recycled.pop();
  if (!name) {
    const fresh = await freshDatabase(server);
    const store = await openPostgresStore({ url: fresh.url, poolSize: 1 });
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    return recyclable(server, fresh.name);
  }
  return recyclable(server, name);
}

function recyclable(server: string, name: string): TestDatabase {
  return {
    url: schemaUrl(server, name),
    name,
    async drop() {
      const sql = admin(server);
      // Every migrated schema has the same tables: listed once per process.
      kassaTables ??= (
        await sql<{ table_name: string }[]>`
          SELECT table_name FROM information_schema.tables
          WHERE table_schema = ${name} AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'`
      ).map((t) => t.table_name);
      const tables = kassaTables;
      try {
        // Never wait on a connection a test left open: such a schema is not reused.
        await sql.begin(async (tx) => {
          await tx.unsafe(`SET LOCAL lock_timeout = '1s'`);
          await tx.unsafe(`TRUNCATE ${tables.map((t) => `${name}."${t}"`).join(', ')} RESTART IDENTITY`);
        });
        recycled.push(name);
      } catch {
        await sql.unsafe(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => {});
      }
    },
  };
}
