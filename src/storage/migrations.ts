// Kassa's schema history, one list for both engines; each migration is written once, with the column
// types that differ between them taken from the dialect. Append only: a released migration is never
// edited. Timestamps are milliseconds since the epoch. Session data is TEXT holding JSON (not JSONB,
// which would reorder keys: the API echoes `metadata` in the order it was sent).
import type { Engine } from './store.ts';

export interface Dialect {
  /** Milliseconds since the epoch, and other integers past 2^31. */
  bigint: string;
}

export const DIALECTS: Readonly<Record<Engine, Dialect>> = {
  sqlite: { bigint: 'INTEGER' },
  postgres: { bigint: 'BIGINT' },
};

export interface Migration {
  id: number;
  name: string;
  sql: (d: Dialect) => string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'init',
    sql: (d) => `
      CREATE TABLE merchants (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at ${d.bigint} NOT NULL
      );
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        secret_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at ${d.bigint} NOT NULL,
        revoked_at ${d.bigint}
      );
      CREATE INDEX api_keys_merchant ON api_keys(merchant_id);
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        secret TEXT NOT NULL,
        created_at ${d.bigint} NOT NULL
      );
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        access_token_hash TEXT NOT NULL UNIQUE,
        data TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at ${d.bigint} NOT NULL,
        updated_at ${d.bigint} NOT NULL,
        expires_at ${d.bigint} NOT NULL
      );
      CREATE INDEX sessions_merchant_created ON sessions(merchant_id, created_at DESC);
      CREATE INDEX sessions_expires ON sessions(expires_at);
    `,
  },
  {
    id: 2,
    name: 'idempotency',
    sql: (d) => `
      CREATE TABLE idempotency_keys (
        merchant_id TEXT NOT NULL,
        key_hash TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response TEXT,
        created_at ${d.bigint} NOT NULL,
        locked_until ${d.bigint} NOT NULL,
        expires_at ${d.bigint} NOT NULL,
        PRIMARY KEY (merchant_id, key_hash)
      );
      CREATE INDEX idempotency_keys_expires ON idempotency_keys(expires_at);
    `,
  },
  {
    // The hold a request has on an in-flight record, so a response is stored only by the request
    // that still holds it (one that lapsed and was taken over stores nothing).
    id: 3,
    name: 'idempotency-claim',
    sql: () => 'ALTER TABLE idempotency_keys ADD COLUMN claim TEXT;',
  },
];
