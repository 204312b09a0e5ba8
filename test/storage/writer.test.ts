// Group commit: units of work of one event-loop turn share a transaction, each answered after COMMIT,
// one failing unit fails alone, and a failed COMMIT answers every unit with an error and keeps nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Writer } from '../../src/storage/sqlite/writer.ts';

describe('the SQLite writer', () => {
  let dir: string;
  let db: Database.Database;
  let other: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kassa-writer-'));
    db = new Database(join(dir, 'test.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.exec(`
      CREATE TABLE parents (id TEXT PRIMARY KEY);
      CREATE TABLE items (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        parent TEXT REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED
      );
      INSERT INTO parents (id) VALUES ('p1');
    `);
    // A second connection sees only what is committed.
    other = new Database(join(dir, 'test.db'));
  });

  afterEach(() => {
    db.close();
    other.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const names = (conn: Database.Database) =>
    (conn.prepare('SELECT name FROM items ORDER BY seq').all() as { name: string }[]).map((r) => r.name);

  describe('Writer', () => {
    test('a full disk that makes SQLite abandon the transaction fails every unit of the batch with that error, and keeps nothing', async () => {
      const writer = new Writer(db);
      const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
      const big = (name: string) => () => insert.run(name + 'x'.repeat(20_000));
      const outcomes = await Promise.allSettled([writer.run(() => insert.run('small')), writer.run(big('a')), writer.run(big('b'))]);
      for (const outcome of outcomes) {
        assert.equal(outcome.status, 'rejected');
        assert.equal((outcome.reason as { code?: string }).code, 'SQLITE_FULL');
      }
      assert.deepEqual(names(other), []);
      // With room again, the same writer works.
      db.pragma('max_page_count = 1073741823');
      await writer.run(() => insert.run('after'));
      assert.deepEqual(names(other), ['after']);
    });

    test('writes requested in the same turn are committed in one transaction, in request order', async () => {
      const writer = new Writer(db);
      const insert = db.prepare('INSERT INTO items (name) VALUES (?) RETURNING seq');
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((name) => writer.run(() => (insert.get(name) as { seq: number }).seq)));
      assert.deepEqual(results, [1, 2, 3, 4]);
      assert.deepEqual(names(other), ['a', 'b', 'c', 'd']);
      assert.deepEqual(writer.stats, { batches: 1, units: 4 });
    });

    test('each promise settles only after COMMIT: inside the batch, other connections see nothing yet', async () => {
      const writer = new Writer(db);
      const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
      const seenInside: string[][] = [];
      const first = writer.run(() => insert.run('a'));
      const second = writer.run(() => {
        seenInside.push(names(other));
        return insert.run('b');
      });
      const seenOnResolve: string[][] = [];
      await Promise.all([first.then(() => seenOnResolve.push(names(other))), second]);
      assert.deepEqual(seenInside, [[]]);
      assert.deepEqual(seenOnResolve, [['a', 'b']]);
    });

    test('a failing write (unique violation) fails only its own request; its neighbours are committed', async () => {
      const writer = new Writer(db);
      const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
      const outcomes = await Promise.allSettled([
        writer.run(() => insert.run('a')),
        writer.run(() => {
          insert.run('half-done'); // rolled back with its savepoint
          return insert.run('a');
        }),
        writer.run(() => insert.run('c')),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      const error = (outcomes[1] as PromiseRejectedResult).reason as { code?: string };
      assert.equal(error.code, 'SQLITE_CONSTRAINT_UNIQUE');
      assert.deepEqual(names(other), ['a', 'c']);
      assert.equal(writer.stats.batches, 1);
    });

    test('a failed COMMIT answers every request of the batch with the error and stores nothing', async () => {
      const writer = new Writer(db);
      const insert = db.prepare('INSERT INTO items (name, parent) VALUES (?, ?)');
      const outcomes = await Promise.allSettled([
        writer.run(() => insert.run('a', 'p1')),
        // The deferred foreign key is checked at COMMIT, so COMMIT itself fails.
        writer.run(() => insert.run('orphan', 'missing')),
        writer.run(() => insert.run('c', null)),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['rejected', 'rejected', 'rejected'],
      );
      for (const o of outcomes) {
        assert.equal(((o as PromiseRejectedResult).reason as { code?: string }).code, 'SQLITE_CONSTRAINT_FOREIGNKEY');
      }
      assert.deepEqual(names(other), []);
      assert.equal(db.inTransaction, false);

      // The connection is usable again, and the next batch commits normally.
      await writer.run(() => insert.run('after', 'p1'));
      assert.deepEqual(names(other), ['after']);
    });

    test('when BEGIN fails (another writer holds the lock), every request gets the error and none runs', async () => {
      db.pragma('busy_timeout = 0');
      const writer = new Writer(db);
      const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
      other.exec('BEGIN IMMEDIATE');
      let ran = 0;
      const outcomes = await Promise.allSettled([writer.run(() => ++ran && insert.run('a')), writer.run(() => ++ran && insert.run('b'))]);
      other.exec('ROLLBACK');
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['rejected', 'rejected'],
      );
      assert.equal(((outcomes[0] as PromiseRejectedResult).reason as { code?: string }).code, 'SQLITE_BUSY');
      assert.equal(ran, 0);
      assert.deepEqual(names(other), []);
    });

    test('writes of different turns go in different transactions; a batch holds at most maxBatch writes', async () => {
      const writer = new Writer(db, { maxBatch: 2 });
      const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
      await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name) => writer.run(() => insert.run(name))));
      assert.deepEqual(writer.stats, { batches: 3, units: 5 });
      await writer.run(() => insert.run('f'));
      assert.deepEqual(writer.stats, { batches: 4, units: 6 });
      assert.deepEqual(names(other), ['a', 'b', 'c', 'd', 'e', 'f']);
    });

    test('flush() runs what is queued at once (a closing store does not drop writes)', () => {
      const scheduled: Array<() => void> = [];
      const writer = new Writer(db, { schedule: (flush) => scheduled.push(flush) });
      const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
      void writer.run(() => insert.run('a'));
      assert.deepEqual(names(other), []);
      writer.flush();
      assert.deepEqual(names(other), ['a']);
      // The scheduled flush then finds nothing to do.
      scheduled[0]!();
      assert.deepEqual(writer.stats, { batches: 1, units: 1 });
    });
  });
});
