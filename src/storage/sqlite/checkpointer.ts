// WAL checkpoints off the event loop (issue 6). SQLite's automatic checkpoint runs inside whichever
// COMMIT crosses 1000 WAL pages, and with synchronous=FULL it fsyncs the database file: on
// better-sqlite3 that stalls every request in flight. Here the connection serving requests turns the
// automatic checkpoint off, and a worker thread with its own connection checkpoints every
// `intervalMs`. Should the worker fail, the automatic checkpoint comes back, so the WAL never grows
// without bound. Durability is unchanged: a commit is durable once it is in the WAL.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

export interface Checkpointer {
  /** Resolves once the worker has stopped. */
  stop(): Promise<void>;
}

const AUTOMATIC_PAGES = 1000;

// The worker's code, plain CommonJS run with `eval`, so it works the same from source (tsx does not
// reach worker threads) and from dist/. It copies what no reader still needs (PASSIVE never waits for,
// or blocks, anyone) and ends at the first failure, which brings the automatic checkpoint back.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
let timer;
const stop = () => {
  clearInterval(timer);
  if (db && db.open) db.close();
  parentPort.close();
};
try {
  db = new Database(workerData.path, { fileMustExist: true });
  db.pragma('synchronous = FULL');
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  timer = setInterval(() => {
    try { checkpoint.get(); } catch { stop(); }
  }, workerData.intervalMs);
  parentPort.on('message', (message) => { if (message === 'stop') stop(); });
} catch {
  stop();
}
`;
const driver = createRequire(import.meta.url).resolve('better-sqlite3');

export function startCheckpointer(db: Database.Database, path: string, intervalMs = 100): Checkpointer {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, intervalMs, driver } });
  // A checkpointer never keeps a process alive on its own.
  worker.unref();
  let stopped = false;
  const fallBack = () => {
    if (!stopped && db.open) db.pragma(`wal_autocheckpoint = ${AUTOMATIC_PAGES}`);
  };
  db.pragma('wal_autocheckpoint = 0');
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
      if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOMATIC_PAGES}`);
    },
  };
}
