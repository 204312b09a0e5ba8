// The SQLite writer thread (writer.ts starts it; plain CommonJS so it runs the same from src/ and
// dist/). It owns the only connection that writes. Units of work arrive as lists of SQL statements;
// the units that arrive while one transaction commits share the next one (group commit: one fsync for
// all of them, synchronous=FULL). Each unit runs in its own savepoint, so a unit that fails (a
// constraint, a precondition that no longer holds) is rolled back alone. A unit is answered only once
// its transaction is committed: an answer means the write is on disk.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);

const CONFLICT = workerData.conflictCode;
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = FULL');
db.pragma(`busy_timeout = ${workerData.busyTimeoutMs}`);
db.pragma('foreign_keys = ON');

const statements = new Map();
const prepare = (sql) => {
  let statement = statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
};
const [begin, commit, rollback, savepoint, release, rollbackTo] = [
  'BEGIN IMMEDIATE',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT kassa_unit',
  'RELEASE kassa_unit',
  'ROLLBACK TO kassa_unit',
].map((sql) => db.prepare(sql));

const conflict = (what) => Object.assign(new Error(`precondition failed: ${what.slice(0, 80)}`), { code: CONFLICT });

/** One statement; `expect: 'one'` means it must touch exactly one row (else the unit conflicts). */
function runOp(op) {
  const statement = prepare(op.sql);
  if (op.returns === 'row') {
    const row = statement.get(...op.params);
    if (op.expect === 'one' && row === undefined) throw conflict(op.sql);
    return row ?? null;
  }
  if (op.returns === 'rows') return statement.all(...op.params);
  const { changes } = statement.run(...op.params);
  if (op.expect === 'one' && changes !== 1) throw conflict(op.sql);
  return changes;
}

const failure = (error) => ({ code: error && error.code, message: String((error && error.message) || error) });

let queue = [];
let scheduled = false;
// Units that did not commit, so a unit computed from one of them (`after`) fails too. Ids only grow;
// old ones are forgotten (a dependent unit is always sent right behind what it depends on).
const failed = new Set();
const fail = (id) => {
  failed.add(id);
  if (failed.size > 10000) for (const old of failed) if (old < id - 100000) failed.delete(old);
};

function runBatch(batch) {
  const results = [];
  const failAll = (error) =>
    batch.map((unit) => {
      fail(unit.id);
      return [unit.id, false, failure(error)];
    });
  try {
    begin.run();
  } catch (error) {
    return failAll(error);
  }
  try {
    for (const unit of batch) {
      if (unit.after !== undefined && failed.has(unit.after)) {
        fail(unit.id);
        results.push([unit.id, false, failure(conflict('the change it was computed from did not commit'))]);
        continue;
      }
      savepoint.run();
      try {
        const values = unit.ops.map(runOp);
        release.run();
        results.push([unit.id, true, values]);
      } catch (error) {
        rollbackTo.run();
        release.run();
        fail(unit.id);
        results.push([unit.id, false, failure(error)]);
      }
    }
    commit.run();
  } catch (error) {
    // COMMIT failed (or the savepoint machinery did): nothing of this batch is kept.
    try {
      if (db.inTransaction) rollback.run();
    } catch {
      // already out of the transaction
    }
    return failAll(error);
  }
  return results;
}

function flush() {
  scheduled = false;
  while (queue.length > 0) {
    const batch = queue.splice(0, workerData.maxBatch);
    parentPort.postMessage({ type: 'results', results: runBatch(batch) });
  }
}

parentPort.on('message', (message) => {
  if (message.type === 'units') {
    for (const unit of message.units) queue.push(unit);
    // Every unit that arrives before this turn ends joins the transaction.
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  } else if (message.type === 'autocheckpoint') {
    db.pragma(`wal_autocheckpoint = ${message.pages}`);
  } else if (message.type === 'close') {
    // Answered last, after every result; the main thread then ends this thread.
    flush();
    db.close();
    parentPort.postMessage({ type: 'closed' });
  }
});
