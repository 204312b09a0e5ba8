// Group commit for SQLite. With synchronous=FULL every COMMIT waits for the disk, and that wait, not
// the SQL, is what a write costs. So the units of work requested during one event-loop turn run in one
// transaction: one fsync for all of them. A unit is a synchronous function (better-sqlite3 calls):
// it reads and writes inside the transaction, so it sees every unit before it, and no other code runs
// while the transaction is open. Each caller's promise settles only after COMMIT returned: an answer
// means the write is on disk.
//
// Each unit runs inside its own SAVEPOINT: a unit that throws (a constraint, a failed precondition, a
// rejected request) is rolled back alone and only its caller gets the error. If BEGIN or COMMIT fails,
// or SQLite itself abandons the transaction (a full disk, an I/O error), the whole transaction is
// rolled back and every caller of the batch gets that error.
//
// Reads get the same treatment: starting a read transaction takes the WAL's shared-memory locks, which
// are system calls, and they cost more than the read itself. So the reads of one event-loop turn share
// one read transaction, which ends before the writer's next transaction or when the turn ends. A read
// therefore sees everything committed before its turn began. Reads go through `query()`, whose
// statements open it themselves: no read can forget to.
//
// The event loop never waits for another connection's lock (busy_timeout is 0, database.ts): a BEGIN
// that finds the write lock taken (another process, or a checkpoint) keeps the queue as it is and tries
// again on a timer, with the event loop free meanwhile and later units queued behind; so order and
// all-or-nothing are those of any batch. A unit still waiting `lockWaitMs` after it was requested is
// answered with SQLite's SQLITE_BUSY, a 503 (storage/unavailable.ts), and never runs.
//
// Why on the event loop and not on a writer thread: measured (docs/performance.md, "Writes"), a thread
// with its own connection made creates faster but patches and reads slower, because every commit by
// another connection empties this connection's page cache.
import type Database from 'better-sqlite3';

/** A read statement: each call runs in this turn's read transaction (or in the write under way). */
export interface ReadStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface WriterOptions {
  /** Most units in one transaction; the rest go in the next one. */
  maxBatch?: number;
  /** How a flush is scheduled; setImmediate lets every request of the current turn join first. */
  schedule?: (flush: () => void) => void;
  /** Longest a unit waits for another connection's write lock before its caller gets SQLITE_BUSY (ms). */
  lockWaitMs?: number;
}

/** Pauses between attempts at a taken write lock (ms), the last repeated; SQLite's busy handler's own steps. */
const LOCK_RETRY_MS = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

/** BEGIN found the write lock taken (SQLITE_BUSY, or an extended code such as SQLITE_BUSY_RECOVERY). */
const isBusy = (error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
};

interface Pending {
  unit: () => unknown;
  /** performance.now() past which the unit stops waiting for the lock. */
  deadline: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class Writer {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly schedule: (flush: () => void) => void;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackTo: Database.Statement;
  private readonly beginRead: Database.Statement;
  private readonly endReading: Database.Statement;
  private readOpen = false;
  private writing = false;
  private readonly lockWaitMs: number;
  /** The timer of the next attempt at a taken lock, and how many attempts in a row found it taken. */
  private retry: NodeJS.Timeout | undefined;
  private busyAttempts = 0;
  private readonly drained: Array<() => void> = [];
  /** Transactions committed or attempted, units run, and BEGINs that found the lock taken: for tests and diagnostics. */
  readonly stats = { batches: 0, units: 0, busy: 0 };

  constructor(
    private readonly db: Database.Database,
    options: WriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.schedule = options.schedule ?? ((flush) => setImmediate(flush));
    this.lockWaitMs = options.lockWaitMs ?? 5000;
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT kassa_unit');
    this.release = db.prepare('RELEASE kassa_unit');
    this.rollbackTo = db.prepare('ROLLBACK TO kassa_unit');
    this.beginRead = db.prepare('BEGIN DEFERRED');
    this.endReading = db.prepare('COMMIT');
  }

  /** Units requested and not yet answered (more than a turn's worth only while the lock is taken). */
  get waiting(): number {
    return this.queue.length;
  }

  /** `statement` as a read: each get and all first joins this turn's read transaction (see above). */
  query(statement: Database.Statement): ReadStatement {
    return {
      get: (...params) => {
        this.reading();
        return statement.get(...params);
      },
      all: (...params) => {
        this.reading();
        return statement.all(...params);
      },
    };
  }

  /** The reads of this turn share one read transaction (see above). */
  private reading(): void {
    if (this.readOpen || this.writing) return;
    this.beginRead.run();
    this.readOpen = true;
    setImmediate(this.endRead);
  }

  /** Ends this turn's read transaction, if one is open (before a write, a migration, closing). */
  readonly endRead = (): void => {
    if (!this.readOpen) return;
    this.readOpen = false;
    if (this.db.open && this.db.inTransaction) this.endReading.run();
  };

  /** Runs `unit` in the next group transaction; resolves with its result once that transaction is committed. */
  run<T>(unit: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ unit, deadline: performance.now() + this.lockWaitMs, resolve: resolve as (value: unknown) => void, reject });
      // While the lock is taken, the retry timer is the one flush to come.
      if (!this.scheduled) {
        this.scheduled = true;
        this.schedule(() => this.flush());
      }
    });
  }

  /**
   * Runs everything queued now (the scheduled flush, or a store that is closing); what finds the write
   * lock taken stays queued for a later attempt.
   */
  flush(): void {
    this.scheduled = false;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.endRead();
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        try {
          this.begin.run();
        } catch (error) {
          if (isBusy(error)) {
            this.waitForLock(error);
            break;
          }
          const batch = this.queue.splice(0, this.maxBatch);
          this.stats.batches++;
          this.stats.units += batch.length;
          for (const p of batch) p.reject(error);
          continue;
        }
        this.busyAttempts = 0;
        this.runBatch(this.queue.splice(0, this.maxBatch));
      }
    } finally {
      this.writing = false;
      if (this.queue.length === 0) for (const resolve of this.drained.splice(0)) resolve();
    }
  }

  /** Resolves once nothing is queued: everything committed, or answered with an error (a closing store). */
  drain(): Promise<void> {
    this.flush();
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** The write lock is taken: answer the units that waited long enough, try again later for the rest. */
  private waitForLock(error: unknown): void {
    this.stats.busy++;
    const now = performance.now();
    const expired = this.queue.filter((p) => p.deadline <= now);
    if (expired.length > 0) {
      this.queue = this.queue.filter((p) => p.deadline > now);
      for (const p of expired) p.reject(error);
    }
    if (this.queue.length === 0) {
      this.busyAttempts = 0;
      return;
    }
    const pause = LOCK_RETRY_MS[Math.min(this.busyAttempts++, LOCK_RETRY_MS.length - 1)]!;
    // No unit waits past its deadline for the next attempt.
    const until = Math.max(0, Math.min(pause, this.queue[0]!.deadline - now));
    this.scheduled = true;
    this.retry = setTimeout(() => this.flush(), until);
  }

  /** Runs `batch` in the transaction just begun, and commits it. */
  private runBatch(batch: Pending[]): void {
    this.stats.batches++;
    this.stats.units += batch.length;
    const outcomes: Outcome[] = [];
    try {
      for (const p of batch) {
        this.savepoint.run();
        try {
          outcomes.push({ ok: true, value: p.unit() });
          this.release.run();
        } catch (error) {
          // Some failures (a full disk, an I/O error) make SQLite roll back the whole transaction:
          // then no unit of the batch is kept, and every caller gets this error.
          if (!this.db.inTransaction) throw error;
          this.rollbackTo.run();
          this.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      this.commit.run();
    } catch (error) {
      // COMMIT failed (or the savepoint machinery did): nothing of this batch is kept.
      try {
        if (this.db.inTransaction) this.rollback.run();
      } catch {
        // The connection is already out of the transaction; the callers get the first error below.
      }
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) p.resolve(outcome.value);
      else p.reject(outcome.error);
    });
  }
}
