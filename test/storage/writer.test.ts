// engines: sqlite
// Group commit: units of work of one event-loop turn share a transaction, each answered after COMMIT,
// one failing unit fails alone, and a failed COMMIT answers every unit with an error and keeps nothing.
// A write lock held by another connection is waited for on timers, in order, up to lockWaitMs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
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
    // As Kassa's serving connection: a taken lock is the writer's to wait for, not SQLite's.
    db.pragma('busy_timeout = 0');
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
      assert.deepEqual(writer.stats, { batches: 1, units: 4, busy: 0 });
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

    test('a BEGIN that finds the lock taken keeps the units queued with the event loop free, and commits them in order once the lock is released', async () => {
      const writer = new Writer(db, { lockWaitMs: 60_000 });
      const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
      other.exec('BEGIN IMMEDIATE');
      const first = [writer.run(() => insert.run('a')), writer.run(() => insert.run('b'))];
      let turns = 0;
      while (writer.stats.busy < 3) {
        await new Promise((resolve) => setImmediate(resolve));
        turns++;
      }
      const later = writer.run(() => insert.run('c'));
      assert.ok(turns > 0, 'the event loop turned while the writer waited');
      assert.equal(writer.waiting, 3);
      assert.deepEqual(writer.stats, { batches: 0, units: 0, busy: writer.stats.busy });
      other.exec('ROLLBACK');
      await Promise.all([...first, later]);
      assert.deepEqual(names(other), ['a', 'b', 'c']);
      assert.equal(writer.waiting, 0);
    });

    test('a unit that waited lockWaitMs for the lock gets SQLITE_BUSY and never runs', async () => {
      const writer = new Writer(db, { lockWaitMs: 0 });
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
      assert.equal(writer.waiting, 0);
      await writer.run(() => insert.run('after'));
      assert.deepEqual(names(other), ['after']);
    });

    test('drain() resolves once what waited for the lock is committed', async () => {
      const writer = new Writer(db, { lockWaitMs: 60_000 });
      const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
      other.exec('BEGIN IMMEDIATE');
      const written = writer.run(() => insert.run('a'));
      let drained = false;
      const draining = writer.drain().then(() => {
        drained = true;
      });
      while (writer.stats.busy < 2) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(drained, false);
      other.exec('ROLLBACK');
      await Promise.all([written, draining]);
      assert.deepEqual(names(other), ['a']);
    });

    test('property: however the lock comes and goes between requests, every unit is answered in request order, and only the ones that succeed are kept', async () => {
      const step = fc.oneof(
        fc.record({ kind: fc.constant('write' as const), fails: fc.boolean() }),
        fc.constant({ kind: 'lock' as const }),
        fc.constant({ kind: 'unlock' as const }),
        fc.constant({ kind: 'turn' as const }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
          db.exec('DELETE FROM items');
          const writer = new Writer(db, { lockWaitMs: 60_000 });
          const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
          const expected: string[] = [];
          const requested: string[] = [];
          const answers: Promise<void>[] = [];
          const answered: string[] = [];
          let held = false;
          for (const [i, s] of steps.entries()) {
            if (s.kind === 'write') {
              const name = `w${i}`;
              if (!s.fails) expected.push(name);
              const answer = writer.run(() => {
                insert.run(name);
                if (s.fails) throw new Error('refused');
                return name;
              });
              requested.push(s.fails ? `!${name}` : name);
              answers.push(
                answer.then(
                  (n) => {
                    answered.push(n);
                  },
                  () => {
                    answered.push(`!${name}`);
                  },
                ),
              );
            } else if (s.kind === 'lock' && !held) {
              other.exec('BEGIN IMMEDIATE');
              held = true;
            } else if (s.kind === 'unlock' && held) {
              other.exec('ROLLBACK');
              held = false;
            } else if (s.kind === 'turn') {
              await new Promise((resolve) => setImmediate(resolve));
            }
          }
          if (held) other.exec('ROLLBACK');
          await writer.drain();
          await Promise.all(answers);
          assert.deepEqual(answered, requested, 'answered in request order');
          assert.deepEqual(names(other), expected);
        }),
        { numRuns: 60 },
      );
    });

    test('writes of different turns go in different transactions; a batch holds at most maxBatch writes', async () => {
      const writer = new Writer(db, { maxBatch: 2 });
      const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
      await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name) => writer.run(() => insert.run(name))));
      assert.deepEqual(writer.stats, { batches: 3, units: 5, busy: 0 });
      await writer.run(() => insert.run('f'));
      assert.deepEqual(writer.stats, { batches: 4, units: 6, busy: 0 });
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
      assert.deepEqual(writer.stats, { batches: 1, units: 1, busy: 0 });
    });
  });
});
