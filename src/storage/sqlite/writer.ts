// Every SQLite write goes through one writer thread (writer-thread.cjs), which owns the only
// connection that writes. The event loop keeps serving while a transaction commits and waits for the
// disk; the units sent in one event-loop turn travel in one message and share one transaction.
// Reads stay on the event loop's own connection (WAL: a reader sees every committed transaction and
// never one in progress). See docs/architecture.md, "Storage".
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { WRITE_CONFLICT } from '../unit-of-work.ts';

/** One SQL statement of a unit of work. */
export interface SqlOp {
  sql: string;
  params: readonly unknown[];
  /** `one`: the statement must touch exactly one row, or the whole unit fails with a WriteConflict. */
  expect?: 'one';
  /** What the statement yields: the rows it changed (default), its first row, or all rows. */
  returns?: 'changes' | 'row' | 'rows';
}

export interface WriterOptions {
  path: string;
  busyTimeoutMs: number;
  /** Most units in one transaction (default 1000). */
  maxBatch?: number;
}

/** The code every unit in flight fails with when the writer thread stops unexpectedly (a 503). */
export const WRITER_STOPPED = 'KASSA_WRITER_STOPPED';

interface Waiting {
  resolve(values: unknown[]): void;
  reject(error: Error): void;
}

type Result = [id: number, ok: boolean, value: unknown];

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

export class Writer {
  private worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private outbox: Array<{ id: number; ops: readonly SqlOp[]; after?: number }> = [];
  private scheduled = false;
  private nextId = 1;
  private closing: Promise<void> | undefined;
  /** When the thread was last (re)started; one that keeps dying is not restarted in a loop. */
  private starts: number[] = [];
  private broken: Error | undefined;
  /** Transactions and units answered: for tests and diagnostics. */
  readonly stats = { batches: 0, units: 0 };

  constructor(private readonly options: WriterOptions) {
    this.worker = this.start();
  }

  /** Runs `ops` as one unit in the next transaction; resolves with each op's result once committed. */
  run(ops: readonly SqlOp[]): Promise<unknown[]> {
    return this.submit(ops).done;
  }

  /**
   * The same, with the unit's id: a later unit computed from this one's uncommitted result names it
   * as `after`, and fails with a WriteConflict if this one did not commit.
   */
  submit(ops: readonly SqlOp[], after?: number): { id: number; done: Promise<unknown[]> } {
    const id = this.nextId++;
    if (this.closing || this.broken) {
      const error = this.broken ?? Object.assign(new Error('the storage is closing'), { code: WRITER_STOPPED });
      return { id, done: Promise.reject(error) };
    }
    const done = new Promise<unknown[]>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.outbox.push(after === undefined ? { id, ops } : { id, ops, after });
      if (!this.scheduled) {
        this.scheduled = true;
        // The units of this whole turn go in one message.
        setImmediate(() => this.send());
      }
      if (this.waiting.size === 1) this.worker.ref();
    });
    return { id, done };
  }

  /** False once the thread kept stopping and was given up on (every write then fails with a 503). */
  get healthy(): boolean {
    return this.broken === undefined;
  }

  /** Sets the writing connection's automatic checkpoint (0 while the checkpointer thread does it). */
  automaticCheckpoints(pages: number): void {
    this.worker.postMessage({ type: 'autocheckpoint', pages });
  }

  /** Commits everything already sent, then stops the thread. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.send();
      const worker = this.worker;
      worker.ref();
      worker.once('exit', () => resolve());
      worker.on('message', (message: { type: string }) => {
        if (message.type === 'closed') void worker.terminate();
      });
      worker.postMessage({ type: 'close' });
    });
    return this.closing;
  }

  private send(): void {
    this.scheduled = false;
    if (this.outbox.length === 0) return;
    const units = this.outbox;
    this.outbox = [];
    this.worker.postMessage({ type: 'units', units });
  }

  private start(): Worker {
    this.starts = [...this.starts.filter((t) => t > Date.now() - 10_000), Date.now()];
    const worker = new Worker(new URL('./writer-thread.cjs', import.meta.url), {
      workerData: {
        driver,
        path: this.options.path,
        busyTimeoutMs: this.options.busyTimeoutMs,
        maxBatch: this.options.maxBatch ?? 1000,
        conflictCode: WRITE_CONFLICT,
      },
    });
    // An idle writer never keeps the process alive; one with work in flight does (see run()).
    worker.unref();
    worker.on('message', (message: { type: string; results?: Result[] }) => {
      if (message.type === 'results') this.settle(message.results!);
    });
    worker.on('error', (error) => this.stopped(worker, error));
    worker.on('exit', () => this.stopped(worker, new Error('the writer thread exited')));
    return worker;
  }

  private settle(results: Result[]): void {
    this.stats.batches++;
    this.stats.units += results.length;
    for (const [id, ok, value] of results) {
      const waiting = this.waiting.get(id);
      if (!waiting) continue;
      this.waiting.delete(id);
      if (ok) waiting.resolve(value as unknown[]);
      else {
        const { code, message } = value as { code?: string; message: string };
        waiting.reject(Object.assign(new Error(message), code ? { code } : {}));
      }
    }
    if (this.waiting.size === 0 && !this.closing) this.worker.unref();
  }

  // Whatever was in flight may or may not have committed: its callers get a retryable error (an
  // idempotent retry replays what did commit). Later writes go to a fresh thread.
  private stopped(worker: Worker, cause: unknown): void {
    if (worker !== this.worker || this.closing) return;
    const error = Object.assign(new Error('the SQLite writer thread stopped'), { code: WRITER_STOPPED, cause });
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
    void worker.terminate();
    if (this.starts.length >= 5) {
      this.broken = error;
      return;
    }
    this.worker = this.start();
  }
}
