// The embedded default: one SQLite file, WAL mode, synchronous=FULL so that a 200 means the write
// reached the disk (conventions: "durable before acknowledged"). Statements are prepared once.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  ApiKey,
  ApiKeyStore,
  IdempotencyBegin,
  IdempotencyStore,
  Merchant,
  MerchantStore,
  SessionStore,
  SigningKey,
  SigningKeyStore,
  Store,
} from '../store.ts';
import { toApiKey, toSession, toSessionWithData, type ApiKeyRow, type SessionRow } from '../rows.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { WriteBatcher } from './write-batcher.ts';
import { startCheckpointer, type Checkpointer } from './checkpointer.ts';

export interface SqliteOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** Checkpoint the WAL from a worker thread instead of inside commits (checkpointer.ts); the server's choice. */
  backgroundCheckpoints?: boolean;
}

export function openSqliteStore(options: SqliteOptions): Store {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const store = new SqliteStore(db);
  if (options.backgroundCheckpoints && options.path !== ':memory:') store.checkpointer = startCheckpointer(db, options.path);
  return store;
}

class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  readonly sessions: SessionStore;
  readonly merchants: MerchantStore;
  readonly apiKeys: ApiKeyStore;
  readonly signingKeys: SigningKeyStore;
  readonly idempotency: IdempotencyStore;
  /** Session writes of one event-loop turn share one transaction (write-batcher.ts). */
  private readonly batcher: WriteBatcher;
  checkpointer?: Checkpointer;

  constructor(private readonly db: Database.Database) {
    this.migrateNow();
    this.batcher = new WriteBatcher(db);
    this.sessions = sessionStore(db, this.batcher);
    this.merchants = merchantStore(db);
    this.apiKeys = apiKeyStore(db);
    this.signingKeys = signingKeyStore(db);
    this.idempotency = idempotencyStore(db);
  }

  // Statements are prepared against the schema, so migrations run when the store opens; migrate()
  // stays for the `migrate` command and is a no-op once applied.
  private migrateNow(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    // IMMEDIATE takes the write lock first, so two processes starting at once apply each step once.
    const apply = this.db.transaction(() => {
      const done = new Set(
        (this.db.prepare('SELECT id FROM schema_migrations').all() as { id: number }[]).map((r) => r.id),
      );
      for (const migration of SQLITE_MIGRATIONS) {
        if (done.has(migration.id)) continue;
        this.db.exec(migration.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.id, migration.name, Date.now());
      }
    });
    apply.immediate();
  }

  async migrate(): Promise<void> {
    this.migrateNow();
  }

  async ping(): Promise<boolean> {
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    if (this.db.open) {
      this.batcher.flush();
      this.db.close();
    }
  }
}

function sessionStore(db: Database.Database, batcher: WriteBatcher): SessionStore {
  const insert = db.prepare(
    `INSERT INTO sessions (id, merchant_id, access_token_hash, data, version, created_at, updated_at, expires_at)
     VALUES (@id, @merchantId, @accessTokenHash, @data, @version, @createdAt, @updatedAt, @expiresAt)`,
  );
  const byHash = db.prepare('SELECT * FROM sessions WHERE access_token_hash = ?');
  const byId = db.prepare('SELECT * FROM sessions WHERE id = ? AND merchant_id = ?');
  const update = db.prepare(
    `UPDATE sessions SET data = ?, version = version + 1, updated_at = ?
     WHERE id = ? AND version = ?
     RETURNING id, merchant_id, access_token_hash, version, created_at, updated_at, expires_at`,
  );
  const list = db.prepare(
    'SELECT * FROM sessions WHERE merchant_id = ? AND created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?',
  );
  const purge = db.prepare(
    'DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < ? ORDER BY expires_at LIMIT ?)',
  );
  return {
    async insert(s) {
      const row = { ...s, data: JSON.stringify(s.data) };
      await batcher.run(() => insert.run(row));
    },
    async findByAccessTokenHash(hash) {
      const row = byHash.get(hash) as SessionRow | undefined;
      return row ? toSession(row) : undefined;
    },
    async findById(merchantId, id) {
      const row = byId.get(id, merchantId) as SessionRow | undefined;
      return row ? toSession(row) : undefined;
    },
    async update(id, data, expectedVersion, updatedAt) {
      const json = JSON.stringify(data);
      const row = (await batcher.run(() => update.get(json, updatedAt, id, expectedVersion))) as
        | Omit<SessionRow, 'data'>
        | undefined;
      // The data just written is `data` itself: no need to read it back and parse it again.
      return row ? toSessionWithData(row, data) : undefined;
    },
    async listByMerchant(merchantId, { limit, before }) {
      return (list.all(merchantId, before ?? Number.MAX_SAFE_INTEGER, limit) as SessionRow[]).map(toSession);
    },
    async purgeExpired(before, limit) {
      return purge.run(before, limit).changes;
    },
  };
}

function merchantStore(db: Database.Database): MerchantStore {
  const insert = db.prepare('INSERT INTO merchants (id, name, created_at) VALUES (?, ?, ?)');
  const byId = db.prepare('SELECT id, name, created_at AS createdAt FROM merchants WHERE id = ?');
  const all = db.prepare('SELECT id, name, created_at AS createdAt FROM merchants ORDER BY created_at, id');
  return {
    async insert(m) {
      insert.run(m.id, m.name, m.createdAt);
    },
    async findById(id) {
      return byId.get(id) as Merchant | undefined;
    },
    async list() {
      return all.all() as Merchant[];
    },
  };
}

function apiKeyStore(db: Database.Database): ApiKeyStore {
  const insert = db.prepare(
    `INSERT INTO api_keys (id, merchant_id, secret_hash, prefix, scopes, created_at)
     VALUES (@id, @merchantId, @secretHash, @prefix, @scopes, @createdAt)`,
  );
  const byHash = db.prepare('SELECT * FROM api_keys WHERE secret_hash = ?');
  const byMerchant = db.prepare('SELECT * FROM api_keys WHERE merchant_id = ? ORDER BY created_at, id');
  const count = db.prepare('SELECT COUNT(*) AS n FROM api_keys');
  const revoke = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  // Every request looks its key up, so found keys are remembered, but only while nothing can have
  // changed them: this connection has not written api_keys, and no other connection (another Kassa
  // process, the CLI) has committed anything (PRAGMA data_version moves on any foreign commit). A
  // revoked key is therefore refused on the very next request, as without the cache. Any statement
  // added here that writes api_keys must clear `known` too, as insert and revoke do.
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const known = new Map<string, ApiKey>();
  let knownAt: unknown;
  const current = () => {
    const version = dataVersion.get();
    if (version !== knownAt) {
      known.clear();
      knownAt = version;
    }
  };
  return {
    async insert(k) {
      known.clear();
      insert.run({ ...k, scopes: JSON.stringify(k.scopes) });
    },
    async findBySecretHash(hash) {
      current();
      const hit = known.get(hash);
      if (hit) return hit;
      const row = byHash.get(hash) as ApiKeyRow | undefined;
      if (!row) return undefined; // unknown keys are not remembered: guessing cannot fill memory
      const key = toApiKey(row);
      Object.freeze(key.scopes);
      Object.freeze(key);
      if (known.size >= 1000) known.clear();
      known.set(hash, key);
      return key;
    },
    async listByMerchant(merchantId) {
      return (byMerchant.all(merchantId) as ApiKeyRow[]).map(toApiKey);
    },
    async count() {
      return (count.get() as { n: number }).n;
    },
    async revoke(id, at) {
      known.clear();
      return revoke.run(at, id).changes === 1;
    },
  };
}

function signingKeyStore(db: Database.Database): SigningKeyStore {
  const insert = db.prepare('INSERT OR IGNORE INTO signing_keys (kid, secret, created_at) VALUES (?, ?, ?)');
  const first = db.prepare('SELECT kid, secret, created_at AS createdAt FROM signing_keys ORDER BY created_at, kid LIMIT 1');
  const all = db.prepare('SELECT kid, secret, created_at AS createdAt FROM signing_keys ORDER BY created_at, kid');
  const ensure = db.transaction((candidate: SigningKey) => {
    const existing = first.get() as SigningKey | undefined;
    if (existing) return existing;
    insert.run(candidate.kid, candidate.secret, candidate.createdAt);
    return candidate;
  });
  return {
    async ensure(candidate) {
      return ensure.immediate(candidate);
    },
    async list() {
      return all.all() as SigningKey[];
    },
  };
}

interface IdempotencyRow {
  request_hash: string;
  response: string | null;
  locked_until: number;
  expires_at: number;
}

function idempotencyStore(db: Database.Database): IdempotencyStore {
  const find = db.prepare(
    'SELECT request_hash, response, locked_until, expires_at FROM idempotency_keys WHERE merchant_id = ? AND key_hash = ?',
  );
  const upsert = db.prepare(
    `INSERT INTO idempotency_keys (merchant_id, key_hash, request_hash, response, created_at, locked_until, expires_at)
     VALUES (@merchantId, @keyHash, @requestHash, NULL, @now, @lockedUntil, @expiresAt)
     ON CONFLICT (merchant_id, key_hash) DO UPDATE SET
       request_hash = excluded.request_hash, response = NULL, created_at = excluded.created_at,
       locked_until = excluded.locked_until, expires_at = excluded.expires_at`,
  );
  const complete = db.prepare(
    'UPDATE idempotency_keys SET response = ? WHERE merchant_id = ? AND key_hash = ? AND response IS NULL',
  );
  const release = db.prepare('DELETE FROM idempotency_keys WHERE merchant_id = ? AND key_hash = ? AND response IS NULL');
  const purge = db.prepare(
    'DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE expires_at <= ? LIMIT ?)',
  );
  // IMMEDIATE: the read and the claim are one step for every process sharing the file.
  const begin = db.transaction((input: Parameters<IdempotencyStore['begin']>[0]): IdempotencyBegin => {
    const row = find.get(input.merchantId, input.keyHash) as IdempotencyRow | undefined;
    const live = row !== undefined && row.expires_at > input.now;
    if (live && row.request_hash !== input.requestHash) return { state: 'mismatch' };
    if (live && row.response !== null) return { state: 'completed', response: row.response };
    if (live && row.locked_until > input.now) return { state: 'in-flight' };
    upsert.run(input);
    return { state: 'new' };
  });
  return {
    async begin(input) {
      return begin.immediate(input);
    },
    async complete(merchantId, keyHash, response) {
      complete.run(response, merchantId, keyHash);
    },
    async release(merchantId, keyHash) {
      release.run(merchantId, keyHash);
    },
    async purgeExpired(before, limit) {
      return purge.run(before, limit).changes;
    },
  };
}
