// The embedded default: one SQLite file in WAL mode, one connection. Writes run as units of work in
// the writer's group transactions (writer.ts) with synchronous=FULL, so an answer means the write is on
// disk; reads use the same connection between transactions. WAL checkpoints run on a thread of their
// own (checkpointer.ts). See docs/architecture.md, "Storage".
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { checkDatabaseIsKassas, DIALECTS, MIGRATIONS } from '../migrations.ts';
import { type StorageEngine, type Store, storesOf, writesOf } from '../store.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import { startCheckpointer, type Checkpointer } from './checkpointer.ts';
import { sqliteStores } from './stores.ts';
import { type SqliteUnitOfWork, sqliteUnitOfWork } from './unit-of-work.ts';
import { type ReadStatement, Writer } from './writer.ts';

export interface SqliteOptions {
  /** File path, or ':memory:' (a temporary file, deleted on close: nothing survives a restart). */
  path: string;
  /** Checkpoint the WAL from a thread of its own instead of inside commits; the server's choice. */
  backgroundCheckpoints?: boolean;
  /**
   * false: commits are not flushed to the disk (synchronous=OFF), so a crash of the machine (not of
   * the process) may lose the last ones. Only the in-process tests ask for it, as their throwaway
   * PostgreSQL runs with fsync off: they test behaviour, not the disk. The server is always durable,
   * and the durability tests run it.
   */
  durable?: boolean;
  /** Longest a write waits for another process's write lock before it fails with SQLITE_BUSY (ms; default 5000). */
  lockWaitMs?: number;
}

/** What the per-feature SQLite modules share. */
export interface SqliteEngine {
  readonly db: Database.Database;
  readonly writer: Writer;
  /**
   * A read statement on `sql` (raw: rows as arrays; pluck: the first column): its reads join this turn's
   * read transaction. Adapters read only through it; `db.prepare` is for what runs inside a write.
   */
  query(sql: string, shape?: 'raw' | 'pluck'): ReadStatement;
  /** Runs `work` as one unit of work in the writer's next transaction; its effects run once committed. */
  unit<R>(work: (uow: SqliteUnitOfWork) => R): Promise<R>;
}

export function openSqliteStore(options: SqliteOptions): Store {
  let path = options.path;
  let temporary: string | undefined;
  if (path === ':memory:') {
    // A file the checkpointer thread can open too.
    temporary = mkdtempSync(join(tmpdir(), 'kassa-memory-'));
    path = join(temporary, 'kassa.db');
  } else {
    mkdirSync(dirname(path), { recursive: true });
  }
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (error) {
    // SQLite's own message ("unable to open database file") does not say which file.
    throw Object.assign(new Error(`cannot open the SQLite database ${resolve(path)}: ${(error as Error).message}`, { cause: error }), {
      code: (error as { code?: string }).code,
    });
  }
  const lockWaitMs = options.lockWaitMs ?? 5000;
  // Opening and migrating may wait for another process's lock: nothing is served yet.
  db.pragma(`busy_timeout = ${lockWaitMs}`);
  db.pragma('journal_mode = WAL');
  db.pragma(options.durable === false ? 'synchronous = OFF' : 'synchronous = FULL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  // From here on the event loop never waits for a lock: the writer retries on a timer (writer.ts).
  db.pragma('busy_timeout = 0');
  const writer = new Writer(db, { lockWaitMs });
  const writes = writesOf(sqliteStores, db);
  const engine: SqliteEngine = {
    db,
    writer,
    query(sql, shape) {
      const statement = db.prepare(sql);
      if (shape === 'raw') statement.raw();
      else if (shape === 'pluck') statement.pluck();
      return writer.query(statement);
    },
    async unit(work) {
      const uow = sqliteUnitOfWork(writes);
      const result = await writer.run(() => work(uow));
      uow.committed();
      return result;
    },
  };
  const checkpointer = options.backgroundCheckpoints
    ? startCheckpointer(path, (pages) => {
        if (db.open) db.pragma(`wal_autocheckpoint = ${pages}`);
      })
    : undefined;
  return Object.assign(new SqliteStore(engine, checkpointer, temporary, lockWaitMs), storesOf(sqliteStores, engine));
}

/** Applies pending migrations under the write lock (BEGIN IMMEDIATE), so two processes apply each once. */
function migrate(db: Database.Database): void {
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[]
  ).sort();
  let first: string | undefined;
  try {
    first = db.prepare('SELECT name FROM schema_migrations WHERE id = 1').pluck().get() as string | undefined;
  } catch {
    // No schema_migrations, or not Kassa's shape.
  }
  checkDatabaseIsKassas(`The SQLite file ${db.name}`, tables, first);
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const apply = db.transaction(() => {
    const done = new Set((db.prepare('SELECT id FROM schema_migrations').all() as { id: number }[]).map((r) => r.id));
    for (const migration of MIGRATIONS) {
      if (done.has(migration.id)) continue;
      db.exec(migration.sql(DIALECTS.sqlite));
      db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(migration.id, migration.name, Date.now());
    }
  });
  apply.immediate();
}

/** The engine's own operations; its stores are added from the table (openSqliteStore). */
class SqliteStore implements StorageEngine {
  readonly engine = 'sqlite' as const;

  constructor(
    private readonly sqlite: SqliteEngine,
    private readonly checkpointer: Checkpointer | undefined,
    private readonly temporary: string | undefined,
    private readonly lockWaitMs: number,
  ) {}

  commit<R>(record: (uow: UnitOfWork) => R): Promise<R> {
    return this.sqlite.unit(record);
  }

  // The schema is migrated when the store opens (statements are prepared against it); this stays for
  // `kassa migrate` and start-up, before anything is served, so it may wait for another process's lock.
  async migrate(): Promise<void> {
    const { db, writer } = this.sqlite;
    writer.endRead();
    db.pragma(`busy_timeout = ${this.lockWaitMs}`);
    try {
      migrate(db);
    } finally {
      db.pragma('busy_timeout = 0');
    }
  }

  async ping(): Promise<boolean> {
    try {
      this.sqlite.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  async probe(): Promise<void> {
    const { db, writer } = this.sqlite;
    writer.endRead();
    const result = db.pragma('quick_check', { simple: true });
    if (result !== 'ok') throw Object.assign(new Error(`the database file is damaged: ${String(result)}`), { code: 'SQLITE_CORRUPT' });
    // A page's worth, committed and fsynced like any write, then gone.
    const id = randomUUID();
    await writer.run(() => {
      db.prepare('INSERT INTO storage_probe (id, pad) VALUES (?, zeroblob(4096))').run(id);
      db.prepare('DELETE FROM storage_probe WHERE id = ?').run(id);
    });
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    if (this.sqlite.db.open) {
      // Ends a read transaction too, then commits what is queued (waiting, as any write, for another process's lock).
      await this.sqlite.writer.drain();
      this.sqlite.db.close();
    }
    if (this.temporary) rmSync(this.temporary, { recursive: true, force: true });
  }
}
