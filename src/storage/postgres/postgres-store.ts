// PostgreSQL, for several stateless Kassa processes behind a load balancer. Same semantics as the
// SQLite adapter: `sessions.update` is a compare-and-set on `version` (READ COMMITTED re-checks the
// WHERE clause after waiting for a concurrent writer's row lock, so exactly one of two racing
// writers wins and the service re-merges on the winner's version), and everything that must happen
// once across processes (migrations, the shared signing key) runs under an advisory lock.
import postgres from 'postgres';
import type {
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
import { toApiKey, toSession, type ApiKeyRow, type SessionRow } from '../rows.ts';
import { POSTGRES_MIGRATIONS } from './migrations.ts';

export interface PostgresOptions {
  url: string;
  /** Most connections this process opens. */
  poolSize: number;
  /**
   * Longest one storage call may take, waiting for a connection included (default 10 s). The server
   * cancels a statement past it (statement_timeout), and the call itself gives up a little later even
   * if the server never answers (a frozen host, a network partition): a stuck database turns into
   * 503s, never into hung requests.
   */
  timeoutMs?: number;
}

// Advisory lock keys: any two fixed 64-bit numbers, the same in every Kassa process.
const MIGRATION_LOCK = 7_240_001;
const SIGNING_KEY_LOCK = 7_240_002;

type Sql = postgres.Sql;

const toMerchant = (row: { id: string; name: string; created_at: string }): Merchant => ({
  id: row.id,
  name: row.name,
  createdAt: Number(row.created_at),
});

const toSigningKey = (row: { kid: string; secret: string; created_at: string }): SigningKey => ({
  kid: row.kid,
  secret: row.secret,
  createdAt: Number(row.created_at),
});

/** host:port/database of a postgres:// URL, for messages: never the user or password. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    return 'the configured PostgreSQL server';
  }
}

/**
 * Opens a pool and checks the server answers, so a database that is down at start-up is one clear
 * error naming the server (the caller exits non-zero).
 */
export async function openPostgresStore(options: PostgresOptions): Promise<Store> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const sql = postgres(options.url, {
    max: options.poolSize,
    connect_timeout: timeoutMs / 1000,
    idle_timeout: 60,
    onnotice: () => {},
    connection: {
      application_name: 'kassa',
      statement_timeout: timeoutMs,
      idle_in_transaction_session_timeout: 60_000,
    },
  });
  try {
    await withDeadline(sql`SELECT 1`, timeoutMs + 1000);
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    const code = (error as { code?: unknown }).code;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `cannot connect to PostgreSQL at ${describePostgresUrl(options.url)}: ${reason}${typeof code === 'string' && !reason.includes(code) ? ` (${code})` : ''}`,
      { cause: error },
    );
  }
  return new PostgresStore(sql, timeoutMs + 1000);
}

class PostgresStore implements Store {
  readonly engine = 'postgres' as const;
  readonly sessions: SessionStore;
  readonly merchants: MerchantStore;
  readonly apiKeys: ApiKeyStore;
  readonly signingKeys: SigningKeyStore;
  readonly idempotency: IdempotencyStore;

  constructor(
    private readonly sql: Sql,
    private readonly deadlineMs: number,
  ) {
    this.sessions = bounded(sessionStore(sql), deadlineMs);
    this.merchants = bounded(merchantStore(sql), deadlineMs);
    this.apiKeys = bounded(apiKeyStore(sql), deadlineMs);
    this.signingKeys = bounded(signingKeyStore(sql), deadlineMs);
    this.idempotency = bounded(idempotencyStore(sql), deadlineMs);
  }

  // The transaction-scoped advisory lock makes a second process wait until the first has committed
  // its migrations, then find nothing left to do. DDL is transactional here: a failed step leaves
  // the schema as it was.
  async migrate(): Promise<void> {
    await this.sql.begin(async (tx) => {
      // A migration may wait for another process's, and may be slow on a big table: no statement limit.
      await tx`SET LOCAL statement_timeout = 0`;
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      await tx`CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`;
      const done = new Set((await tx<{ id: number }[]>`SELECT id FROM schema_migrations`).map((r) => r.id));
      for (const migration of POSTGRES_MIGRATIONS) {
        if (done.has(migration.id)) continue;
        await tx.unsafe(migration.sql);
        await tx`INSERT INTO schema_migrations (id, name, applied_at) VALUES (${migration.id}, ${migration.name}, ${Date.now()})`;
      }
    });
  }

  async ping(): Promise<boolean> {
    try {
      await withDeadline(this.sql`SELECT 1`, this.deadlineMs);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}

/** The error a store call fails with when the server does not answer in time (a 503). */
export const STORAGE_TIMEOUT = 'STORAGE_TIMEOUT';

function withDeadline<T>(work: PromiseLike<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`PostgreSQL did not answer within ${ms} ms`), { code: STORAGE_TIMEOUT })),
      ms,
    );
  });
  // A late answer or failure of `work` is still handled by race(): no unhandled rejection.
  return Promise.race([Promise.resolve(work), expired]).finally(() => clearTimeout(timer));
}

/** Every method of a store, each call bounded by `ms`. */
function bounded<T extends object>(store: T, ms: number): T {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(store)) {
    out[name] =
      typeof member === 'function'
        ? (...args: unknown[]) => withDeadline((member as (...a: unknown[]) => Promise<unknown>).apply(store, args), ms)
        : member;
  }
  return out as T;
}

function sessionStore(sql: Sql): SessionStore {
  return {
    async insert(s) {
      await sql`
        INSERT INTO sessions (id, merchant_id, access_token_hash, data, version, created_at, updated_at, expires_at)
        VALUES (${s.id}, ${s.merchantId}, ${s.accessTokenHash}, ${JSON.stringify(s.data)}, ${s.version},
                ${s.createdAt}, ${s.updatedAt}, ${s.expiresAt})`;
    },
    async findByAccessTokenHash(hash) {
      const [row] = await sql<SessionRow[]>`SELECT * FROM sessions WHERE access_token_hash = ${hash}`;
      return row ? toSession(row) : undefined;
    },
    async findById(merchantId, id) {
      const [row] = await sql<SessionRow[]>`SELECT * FROM sessions WHERE id = ${id} AND merchant_id = ${merchantId}`;
      return row ? toSession(row) : undefined;
    },
    async update(id, data, expectedVersion, updatedAt) {
      const [row] = await sql<SessionRow[]>`
        UPDATE sessions SET data = ${JSON.stringify(data)}, version = version + 1, updated_at = ${updatedAt}
        WHERE id = ${id} AND version = ${expectedVersion} RETURNING *`;
      return row ? toSession(row) : undefined;
    },
    async listByMerchant(merchantId, { limit, before }) {
      const rows = await sql<SessionRow[]>`
        SELECT * FROM sessions WHERE merchant_id = ${merchantId} AND created_at < ${before ?? Number.MAX_SAFE_INTEGER}
        ORDER BY created_at DESC, id DESC LIMIT ${limit}`;
      return rows.map(toSession);
    },
    async purgeExpired(before, limit) {
      const result = await sql`
        DELETE FROM sessions WHERE id IN (
          SELECT id FROM sessions WHERE expires_at < ${before} ORDER BY expires_at LIMIT ${limit})`;
      return result.count;
    },
  };
}

function merchantStore(sql: Sql): MerchantStore {
  return {
    async insert(m) {
      await sql`INSERT INTO merchants (id, name, created_at) VALUES (${m.id}, ${m.name}, ${m.createdAt})`;
    },
    async findById(id) {
      const [row] = await sql<{ id: string; name: string; created_at: string }[]>`SELECT * FROM merchants WHERE id = ${id}`;
      return row ? toMerchant(row) : undefined;
    },
    async list() {
      const rows = await sql<{ id: string; name: string; created_at: string }[]>`SELECT * FROM merchants ORDER BY created_at, id`;
      return rows.map(toMerchant);
    },
  };
}

function apiKeyStore(sql: Sql): ApiKeyStore {
  return {
    async insert(k) {
      await sql`
        INSERT INTO api_keys (id, merchant_id, secret_hash, prefix, scopes, created_at)
        VALUES (${k.id}, ${k.merchantId}, ${k.secretHash}, ${k.prefix}, ${JSON.stringify(k.scopes)}, ${k.createdAt})`;
    },
    async findBySecretHash(hash) {
      const [row] = await sql<ApiKeyRow[]>`SELECT * FROM api_keys WHERE secret_hash = ${hash}`;
      return row ? toApiKey(row) : undefined;
    },
    async listByMerchant(merchantId) {
      const rows = await sql<ApiKeyRow[]>`SELECT * FROM api_keys WHERE merchant_id = ${merchantId} ORDER BY created_at, id`;
      return rows.map(toApiKey);
    },
    async count() {
      const [row] = await sql<{ n: number }[]>`SELECT COUNT(*)::int AS n FROM api_keys`;
      return row!.n;
    },
    async revoke(id, at) {
      const result = await sql`UPDATE api_keys SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL`;
      return result.count === 1;
    },
  };
}

function signingKeyStore(sql: Sql): SigningKeyStore {
  type Row = { kid: string; secret: string; created_at: string };
  return {
    // Two processes starting at once each bring a candidate; the lock lets the first store its own
    // and every later one read it back, so all processes sign with one key.
    async ensure(candidate) {
      return sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${SIGNING_KEY_LOCK})`;
        const [existing] = await tx<Row[]>`SELECT * FROM signing_keys ORDER BY created_at, kid LIMIT 1`;
        if (existing) return toSigningKey(existing);
        await tx`INSERT INTO signing_keys (kid, secret, created_at) VALUES (${candidate.kid}, ${candidate.secret}, ${candidate.createdAt})`;
        return candidate;
      });
    },
    async list() {
      const rows = await sql<Row[]>`SELECT * FROM signing_keys ORDER BY created_at, kid`;
      return rows.map(toSigningKey);
    },
  };
}

function idempotencyStore(sql: Sql): IdempotencyStore {
  type Row = { request_hash: string; response: string | null; locked_until: string; expires_at: string };
  return {
    // One transaction: the first writer's INSERT claims the key; everyone else reads the row under a
    // row lock and decides exactly as the SQLite adapter does (store.ts, IdempotencyStore).
    async begin(input) {
      return sql.begin(async (tx): Promise<IdempotencyBegin> => {
        const claim = () => tx`
          INSERT INTO idempotency_keys (merchant_id, key_hash, request_hash, response, created_at, locked_until, expires_at)
          VALUES (${input.merchantId}, ${input.keyHash}, ${input.requestHash}, NULL, ${input.now}, ${input.lockedUntil}, ${input.expiresAt})
          ON CONFLICT (merchant_id, key_hash) DO NOTHING RETURNING 1`;
        if ((await claim()).length === 1) return { state: 'new' };
        const [row] = await tx<Row[]>`
          SELECT request_hash, response, locked_until, expires_at FROM idempotency_keys
          WHERE merchant_id = ${input.merchantId} AND key_hash = ${input.keyHash} FOR UPDATE`;
        // Released by its owner between our INSERT and SELECT: claim it now, or someone else did.
        if (!row) return (await claim()).length === 1 ? { state: 'new' } : { state: 'in-flight' };
        const live = Number(row.expires_at) > input.now;
        if (live && row.request_hash !== input.requestHash) return { state: 'mismatch' };
        if (live && row.response !== null) return { state: 'completed', response: row.response };
        if (live && Number(row.locked_until) > input.now) return { state: 'in-flight' };
        await tx`
          UPDATE idempotency_keys SET request_hash = ${input.requestHash}, response = NULL, created_at = ${input.now},
            locked_until = ${input.lockedUntil}, expires_at = ${input.expiresAt}
          WHERE merchant_id = ${input.merchantId} AND key_hash = ${input.keyHash}`;
        return { state: 'new' };
      });
    },
    async complete(merchantId, keyHash, response) {
      await sql`UPDATE idempotency_keys SET response = ${response}
        WHERE merchant_id = ${merchantId} AND key_hash = ${keyHash} AND response IS NULL`;
    },
    async release(merchantId, keyHash) {
      await sql`DELETE FROM idempotency_keys WHERE merchant_id = ${merchantId} AND key_hash = ${keyHash} AND response IS NULL`;
    },
    async purgeExpired(before, limit) {
      const result = await sql`
        DELETE FROM idempotency_keys WHERE (merchant_id, key_hash) IN (
          SELECT merchant_id, key_hash FROM idempotency_keys WHERE expires_at <= ${before} LIMIT ${limit})`;
      return result.count;
    },
  };
}
