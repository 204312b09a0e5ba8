// PostgreSQL for tests. The server is TEST_DATABASE_URL when set (scripts/run-tests.mjs sets it to a
// throwaway server it starts once per `npm test`); otherwise this process starts its own throwaway
// server. Every caller gets a fresh schema of its own, so tests never see each other's rows.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Throwaway from '../../scripts/throwaway-postgres.mjs';
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

/**
 * A new, empty place for Kassa's tables on `serverUrl` (default: the test server): a schema of its
 * own, named in the URL as `search_path` (which Kassa passes on to PostgreSQL as a connection
 * parameter). A schema takes a millisecond to make; a database takes a hundred.
 */
export async function freshDatabase(serverUrl?: string): Promise<TestDatabase> {
  const server = serverUrl ?? (await postgresServerUrl());
  const name = `kassa_test_${randomBytes(8).toString('hex')}`;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server);
  url.searchParams.set('search_path', name);
  return {
    url: url.toString(),
    name,
    async drop() {
      const sql = postgres(server, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await sql.end();
      }
    },
  };
}
