// WAL checkpoints off every commit. SQLite's automatic checkpoint runs inside whichever COMMIT crosses
// 1000 WAL pages and, with synchronous=FULL, fsyncs the database file there: every unit waiting for
// that commit would wait for it too. So the writing connection turns the automatic checkpoint off,
// and a thread with its own connection checkpoints every `intervalMs`. Should that thread fail, the
// automatic checkpoint comes back, so the WAL never grows without bound. Durability is unchanged: a
// commit is durable once it is in the WAL.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface Checkpointer {
  /** Resolves once the thread has stopped (the automatic checkpoint is back on by then). */
  stop(): Promise<void>;
}

/** SQLite's default automatic checkpoint, in WAL pages. */
export const AUTOMATIC_PAGES = 1000;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/** `automatic(pages)` sets the writing connection's wal_autocheckpoint (0: off). */
export function startCheckpointer(path: string, automatic: (pages: number) => void, intervalMs = 100): Checkpointer {
  const worker = new Worker(new URL('./checkpointer-thread.cjs', import.meta.url), { workerData: { path, intervalMs, driver } });
  // A checkpointer never keeps a process alive on its own.
  worker.unref();
  let stopped = false;
  const fallBack = () => {
    if (!stopped) automatic(AUTOMATIC_PAGES);
  };
  automatic(0);
  worker.on('error', fallBack);
  worker.on('exit', fallBack);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      if (stopped) return exited;
      stopped = true;
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(timer);
      automatic(AUTOMATIC_PAGES);
    },
  };
}
