// Group commit for SQLite (issue 6). With synchronous=FULL every COMMIT waits for the disk, and that
// wait, not the SQL, is what a write costs. So the writes requested during one event-loop turn run in
// one transaction: one fsync for all of them. Durability is unchanged: each caller's promise settles
// only after COMMIT returned, so a 200 still means committed.
//
// Each write runs inside its own SAVEPOINT: a write that throws (a unique violation, say) is rolled
// back alone and only its caller gets the error. If BEGIN or COMMIT fails, the whole transaction is
// rolled back and every caller of the batch gets that error: nothing of the batch is stored.
import type Database from 'better-sqlite3';

export interface WriteBatcherOptions {
  /** Most writes in one transaction; the rest go in the next one. */
  maxBatch?: number;
  /** How a flush is scheduled; setImmediate lets every request of the current turn join first. */
  schedule?: (flush: () => void) => void;
}

interface Pending {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class WriteBatcher {
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
  /** Transactions committed or attempted, and writes run: for tests and diagnostics. */
  readonly stats = { batches: 0, writes: 0 };

  constructor(
    private readonly db: Database.Database,
    options: WriteBatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.schedule = options.schedule ?? ((flush) => setImmediate(flush));
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT kassa_write');
    this.release = db.prepare('RELEASE kassa_write');
    this.rollbackTo = db.prepare('ROLLBACK TO kassa_write');
  }

  /**
   * Runs `write` (synchronous better-sqlite3 calls) in the next group transaction; resolves with its
   * result once that transaction is committed.
   */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        this.schedule(() => this.flush());
      }
    });
  }

  /** Runs everything queued now (the scheduled flush, or a store that is closing). */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.runBatch(batch);
    }
  }

  private runBatch(batch: Pending[]): void {
    this.stats.batches++;
    this.stats.writes += batch.length;
    const outcomes: Outcome[] = [];
    try {
      this.begin.run();
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    try {
      for (const p of batch) {
        this.savepoint.run();
        try {
          outcomes.push({ ok: true, value: p.write() });
          this.release.run();
        } catch (error) {
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
