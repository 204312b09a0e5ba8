// PostgreSQL for tests. The server is TEST_DATABASE_URL when set (scripts/run-tests.mjs sets it to a
// throwaway server it starts once per `npm test`); otherwise this process starts its own throwaway
// server. Every caller gets a fresh database of its own, so tests never see each other's rows.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { startThrowawayPostgres } from '../../scripts/throwaway-postgres.mjs';

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

/** A new, empty database on `serverUrl` (default: the test server). */
export async function freshDatabase(serverUrl?: string): Promise<TestDatabase> {
  const server = serverUrl ?? (await postgresServerUrl());
  const name = `kassa_test_${randomBytes(8).toString('hex')}`;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(server, name),
    name,
    async drop() {
      const sql = postgres(server, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await sql.end();
      }
    },
  };
}
