// The SQLite writer thread: units sent in one turn share a transaction, each answered after COMMIT;
// one failing unit fails alone; a failed COMMIT answers every unit with an error and keeps nothing;
// a unit computed from one that failed fails too.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Writer, type SqlOp } from '../../src/storage/sqlite/writer.ts';
import { isWriteConflict } from '../../src/storage/unit-of-work.ts';

let dir: string;
let path: string;
let other: Database.Database;
const writers: Writer[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kassa-writer-'));
  path = join(dir, 'test.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE parents (id TEXT PRIMARY KEY);
    CREATE TABLE items (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      name TEXT NOT NULL UNIQUE,
      parent TEXT REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED
    );
    INSERT INTO parents (id) VALUES ('p1');
  `);
  db.close();
  // Another connection sees only what is committed.
  other = new Database(path);
});

afterEach(async () => {
  for (const w of writers.splice(0)) await w.close();
  other.close();
  rmSync(dir, { recursive: true, force: true });
});

const writer = (options: { busyTimeoutMs?: number; maxBatch?: number } = {}) => {
  const w = new Writer({ path, busyTimeoutMs: options.busyTimeoutMs ?? 5000, ...(options.maxBatch ? { maxBatch: options.maxBatch } : {}) });
  writers.push(w);
  return w;
};
const names = () => (other.prepare('SELECT name FROM items ORDER BY seq').all() as { name: string }[]).map((r) => r.name);
const insert = (name: string, parent: string | null = null): SqlOp => ({ sql: 'INSERT INTO items (name, parent) VALUES (?, ?)', params: [name, parent] });
const codeOf = (o: PromiseSettledResult<unknown>) => ((o as PromiseRejectedResult).reason as { code?: string }).code;

describe('Writer', () => {
  test('units sent in the same turn are committed in one transaction, in order, with their results', async () => {
    const w = writer();
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((name) => w.run([{ sql: 'INSERT INTO items (name) VALUES (?) RETURNING seq', params: [name], returns: 'row' }])),
    );
    assert.deepEqual(results.map(([row]) => (row as { seq: number }).seq), [1, 2, 3, 4]);
    assert.deepEqual(names(), ['a', 'b', 'c', 'd']);
    assert.deepEqual(w.stats, { batches: 1, units: 4 });
  });

  test('a unit is answered only after COMMIT: by then every unit of its transaction is visible', async () => {
    const w = writer();
    const seen: string[][] = [];
    await Promise.all([w.run([insert('a')]).then(() => seen.push(names())), w.run([insert('b')])]);
    assert.deepEqual(seen, [['a', 'b']]);
  });

  test('a failing unit (unique violation) fails alone, all of it; its neighbours are committed', async () => {
    const w = writer();
    const outcomes = await Promise.allSettled([w.run([insert('a')]), w.run([insert('half-done'), insert('a')]), w.run([insert('c')])]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal(codeOf(outcomes[1]!), 'SQLITE_CONSTRAINT_UNIQUE');
    assert.deepEqual(names(), ['a', 'c']);
    assert.equal(w.stats.batches, 1);
  });

  test('a statement expected to touch one row that touches none fails its unit with a WriteConflict', async () => {
    const w = writer();
    await w.run([insert('a')]);
    const [outcome] = await Promise.allSettled([
      w.run([insert('b'), { sql: 'UPDATE items SET name = ? WHERE name = ?', params: ['z', 'missing'], expect: 'one' }]),
    ]);
    assert.ok(isWriteConflict((outcome as PromiseRejectedResult).reason));
    assert.deepEqual(names(), ['a']);
  });

  test('a unit computed from another that did not commit fails too (after)', async () => {
    const w = writer();
    await w.run([insert('taken')]);
    const first = w.submit([insert('taken')]);
    const second = w.submit([insert('built-on-first')], first.id);
    const third = w.submit([insert('independent')]);
    const outcomes = await Promise.allSettled([first.done, second.done, third.done]);
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'fulfilled']);
    assert.ok(isWriteConflict((outcomes[1] as PromiseRejectedResult).reason));
    assert.deepEqual(names(), ['taken', 'independent']);
  });

  test('a failed COMMIT answers every unit of the transaction with the error and stores nothing', async () => {
    const w = writer();
    const outcomes = await Promise.allSettled([
      w.run([insert('a', 'p1')]),
      // The deferred foreign key is checked at COMMIT, so COMMIT itself fails.
      w.run([insert('orphan', 'missing')]),
      w.run([insert('c')]),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected']);
    for (const o of outcomes) assert.equal(codeOf(o), 'SQLITE_CONSTRAINT_FOREIGNKEY');
    assert.deepEqual(names(), []);
    // The connection is usable again, and the next transaction commits normally.
    await w.run([insert('after', 'p1')]);
    assert.deepEqual(names(), ['after']);
  });

  test('when BEGIN fails (another writer holds the lock), every unit gets the error and none runs', async () => {
    const w = writer({ busyTimeoutMs: 0 });
    other.exec('BEGIN IMMEDIATE');
    const outcomes = await Promise.allSettled([w.run([insert('a')]), w.run([insert('b')])]);
    other.exec('ROLLBACK');
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
    assert.equal(codeOf(outcomes[0]!), 'SQLITE_BUSY');
    assert.deepEqual(names(), []);
  });

  test('units of different turns go in different transactions; a transaction holds at most maxBatch units', async () => {
    const w = writer({ maxBatch: 2 });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name) => w.run([insert(name)])));
    assert.deepEqual(w.stats, { batches: 3, units: 5 });
    await w.run([insert('f')]);
    assert.deepEqual(w.stats, { batches: 4, units: 6 });
    assert.deepEqual(names(), ['a', 'b', 'c', 'd', 'e', 'f']);
  });

  test('close() commits what was already sent (a closing store drops no write), then refuses more', async () => {
    const w = writer();
    const pending = w.run([insert('a')]);
    await w.close();
    await pending;
    assert.deepEqual(names(), ['a']);
    await assert.rejects(w.run([insert('b')]));
  });
});
