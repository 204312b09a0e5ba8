// PostgreSQL, for several stateless Kassa processes behind a load balancer. Each change to one
// aggregate runs in one transaction that first locks its row (SELECT … FOR UPDATE), so two processes
// never lose each other's writes; a lock not granted within the lock timeout is a retryable 503.
// Everything that must happen once across processes (migrations, the shared signing key) runs under
// an advisory lock. Every call is bounded: a stuck database turns into 503s, never into hung requests.
import { randomUUID } from 'node:crypto';
import postgres, { type TransactionSql } from 'postgres';
import { checkDatabaseIsKassas, DIALECTS, MIGRATIONS } from '../migrations.ts';
import { type StorageEngine, type Store, storesOf } from '../store.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import { SerialQueue } from './serial.ts';
import { postgresStores } from './stores.ts';
import { postgresUnitOfWork } from './unit-of-work.ts';

export interface PostgresOptions {
  url: string;
  /** Most connections this process opens. */
  poolSize: number;
  /**
   * Longest one storage call may take, waiting for a connection included (default 10 s). The server
   * cancels a statement past it (statement_timeout), and the call itself gives up a little later even
   * if the server never answers (a frozen host, a network partition).
   */
  timeoutMs?: number;
}

declare const PART: unique symbol;
/** A piece of a statement (a condition, a row's columns and values): it runs only inside query(). */
export type Part = { readonly [PART]: true };

type Rows<T extends readonly object[]> = Promise<postgres.RowList<T>>;

/**
 * What the per-feature PostgreSQL modules share. Every way to run SQL here is bounded by the deadline
 * (PostgresOptions.timeoutMs), so no adapter can run a statement that forgets it.
 */
export interface PostgresEngine {
  /** One statement (a tagged template, as postgres.js's sql``). */
  query<T extends readonly object[] = postgres.Row[]>(strings: TemplateStringsArray, ...values: unknown[]): Rows<T>;
  /** One statement built as text, with `?` placeholders (lists and their filters). */
  text<T extends readonly object[] = postgres.Row[]>(sql: string, params: readonly unknown[]): Rows<T>;
  /** `work` in one transaction, bounded as a whole. */
  transaction<T>(work: (tx: TransactionSql) => Promise<T>): Promise<T>;
  /** A piece of a query() (a tagged template), not run by itself. */
  part(strings: TemplateStringsArray, ...values: unknown[]): Part;
  /** A row's columns and values, for `INSERT INTO t ${row}` in a query(). */
  row(row: Record<string, unknown>): Part;
  /**
   * A serialised change: `lock` reads the aggregate's row FOR UPDATE inside the transaction,
   * `decide` records writes, and they commit together.
   */
  change<S, R>(
    key: string,
    lock: (tx: TransactionSql) => Promise<S | undefined>,
    decide: (current: S | undefined, uow: UnitOfWork) => R,
  ): Promise<R>;
}

// Advisory lock keys: any two fixed 64-bit numbers, the same in every Kassa process.
const MIGRATION_LOCK = 7_240_001;
export const SIGNING_KEY_LOCK = 7_240_002;

/** PostgresOptions.timeoutMs when not given. */
const DEFAULT_TIMEOUT_MS = 10_000;

/** The error a store call fails with when the server does not answer in time (a 503). */
export const STORAGE_TIMEOUT = 'STORAGE_TIMEOUT';

/** host:port/database of a postgres:// URL, for messages: never the user or password. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    return 'the configured PostgreSQL server';
  }
}

function withDeadline<T>(work: PromiseLike<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`PostgreSQL did not answer within ${ms} ms`), { code: STORAGE_TIMEOUT })), ms);
  });
  // A late answer or failure of `work` is still handled by race(): no unhandled rejection.
  return Promise.race([Promise.resolve(work), expired]).finally(() => clearTimeout(timer));
}

/**
 * Seconds before the next attempt to connect, after `retries` failed ones in a row (postgres.js asks;
 * a success resets the count). Its own default grows to 20 s, so a database that was down for a few
 * seconds left Kassa unready for up to 20 s more; this grows to 1 s and stays there, with jitter so
 * that processes do not reconnect in step (docs/operations.md, "Storage faults and readiness").
 */
export function reconnectDelaySeconds(retries: number): number {
  return Math.min(0.05 * 2 ** retries, 1) * (0.5 + Math.random() / 2);
}

/** The connection pool Kassa keeps for `options`: postgres.js with Kassa's settings and bounds. */
export function postgresPool(options: PostgresOptions): postgres.Sql {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return postgres(options.url, {
    max: options.poolSize,
    connect_timeout: timeoutMs / 1000,
    idle_timeout: 60,
    backoff: reconnectDelaySeconds,
    onnotice: () => {},
    // Kassa reads and sends no PostgreSQL arrays, so a new connection skips the driver's catalogue query
    // for array types: one round trip less, and most of what a connection costs the server.
    fetch_types: false,
    connection: {
      application_name: 'kassa',
      statement_timeout: timeoutMs,
      // A change waits this long for another process's change to the same row, then answers 503.
      lock_timeout: Math.min(timeoutMs, 5000),
      idle_in_transaction_session_timeout: 60_000,
    },
  });
}

/**
 * Opens a store on `sql` (by default a new pool for `options`) and checks the server answers, so a
 * database that is down at start-up is one clear error naming the server (the caller exits
 * non-zero). The store owns the pool: close() ends it.
 */
export async function openPostgresStore(options: PostgresOptions, sql: postgres.Sql = postgresPool(options)): Promise<Store> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
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
  const deadlineMs = timeoutMs + 1000;
  const queue = new SerialQueue();
  const bounded = <T>(work: PromiseLike<T>) => withDeadline(work, deadlineMs);
  const engine: PostgresEngine = {
    query: (strings, ...values) => bounded(sql(strings, ...(values as never[]))),
    text(text, params) {
      let n = 0;
      return bounded(
        sql.unsafe(
          text.replace(/\?/g, () => `$${++n}`),
          params as never[],
        ),
      ) as never;
    },
    transaction: (work) => bounded(sql.begin(work)) as Promise<Awaited<ReturnType<typeof work>>>,
    part: (strings, ...values) => sql(strings, ...(values as never[])) as unknown as Part,
    row: (row) => sql(row as never) as unknown as Part,
    change(key, lock, decide) {
      return queue.run(key, async () => {
        const uow = postgresUnitOfWork();
        const result = await bounded(
          sql.begin(async (tx) => {
            const current = await lock(tx);
            const decided = decide(current, uow);
            await uow.execute(tx);
            return decided;
          }),
        );
        uow.committed();
        return result as Awaited<ReturnType<typeof decide>>;
      });
    },
  };
  return Object.assign(new PostgresStore(engine, sql), storesOf(postgresStores, engine));
}

/** The engine's own operations; its stores are added from the table (openPostgresStore). */
class PostgresStore implements StorageEngine {
  readonly engine = 'postgres' as const;

  constructor(
    private readonly pg: PostgresEngine,
    private readonly sql: postgres.Sql,
  ) {}

  async commit<R>(record: (uow: UnitOfWork) => R): Promise<R> {
    const uow = postgresUnitOfWork();
    const result = record(uow);
    if (uow.ops.length > 0) await this.pg.transaction((tx) => uow.execute(tx));
    uow.committed();
    return result;
  }

  // The transaction-scoped advisory lock makes a second process wait until the first has committed
  // its migrations, then find nothing left to do. DDL is transactional here: a failed step leaves
  // the schema as it was.
  async migrate(): Promise<void> {
    await this.sql.begin(async (tx) => {
      // A migration may wait for another process's, and may be slow on a big table: no statement limit.
      await tx`SET LOCAL statement_timeout = 0`;
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      const tables = (
        await tx<
          { name: string }[]
        >`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`
      ).map((r) => r.name);
      let first: string | undefined;
      if (tables.includes('schema_migrations')) {
        await tx`SAVEPOINT kassa_check`;
        try {
          first = (await tx<{ name: string }[]>`SELECT name FROM schema_migrations WHERE id = 1`)[0]?.name;
          await tx`RELEASE kassa_check`;
        } catch {
          // Another application's schema_migrations, of another shape.
          await tx`ROLLBACK TO kassa_check`;
        }
      }
      const schema = (await tx<{ s: string }[]>`SELECT current_schema() AS s`)[0]?.s;
      checkDatabaseIsKassas(`The PostgreSQL schema "${schema}"`, tables, first);
      await tx`CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`;
      const done = new Set((await tx<{ id: number }[]>`SELECT id FROM schema_migrations`).map((r) => r.id));
      for (const migration of MIGRATIONS) {
        if (done.has(migration.id)) continue;
        await tx.unsafe(migration.sql(DIALECTS.postgres));
        await tx`INSERT INTO schema_migrations (id, name, applied_at) VALUES (${migration.id}, ${migration.name}, ${Date.now()})`;
      }
    });
  }

  async ping(): Promise<boolean> {
    try {
      await this.pg.query`SELECT 1`;
      return true;
    } catch {
      return false;
    }
  }

  async probe(): Promise<void> {
    const id = randomUUID();
    await this.pg.transaction(async (tx) => {
      await tx`INSERT INTO storage_probe (id, pad) VALUES (${id}, ${Buffer.alloc(4096)})`;
      await tx`DELETE FROM storage_probe WHERE id = ${id}`;
    });
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}
