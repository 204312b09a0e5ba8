// The SQLite checkpointer thread (checkpointer.ts starts it; plain CommonJS so it runs the same from
// src/ and dist/). It copies into the database file what no reader still needs: PASSIVE never waits
// for, or blocks, anyone. It ends at the first failure, which brings the automatic checkpoint back.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);

let db;
let timer;
const stop = () => {
  clearInterval(timer);
  if (db?.open) db.close();
  parentPort.close();
};
try {
  db = new Database(workerData.path, { fileMustExist: true });
  db.pragma('synchronous = FULL');
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  timer = setInterval(() => {
    try {
      checkpoint.get();
    } catch {
      stop();
    }
  }, workerData.intervalMs);
  parentPort.on('message', (message) => {
    if (message === 'stop') stop();
  });
} catch {
  stop();
}
