// SQLite schema history. Append only: a released migration is never edited.
export const SQLITE_MIGRATIONS: ReadonlyArray<{ id: number; name: string; sql: string }> = [
  {
    id: 1,
    name: 'init',
    sql: `
      CREATE TABLE merchants (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        secret_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE INDEX api_keys_merchant ON api_keys(merchant_id);
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        secret TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        access_token_hash TEXT NOT NULL UNIQUE,
        data TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX sessions_merchant_created ON sessions(merchant_id, created_at DESC);
      CREATE INDEX sessions_expires ON sessions(expires_at);
    `,
  },
  {
    id: 2,
    name: 'idempotency',
    sql: `
      CREATE TABLE idempotency_keys (
        merchant_id TEXT NOT NULL,
        key_hash TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response TEXT,
        created_at INTEGER NOT NULL,
        locked_until INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (merchant_id, key_hash)
      );
      CREATE INDEX idempotency_keys_expires ON idempotency_keys(expires_at);
    `,
  },
];
