// engines: sqlite
// WAL checkpoints from a thread of their own: the writing connection stops checkpointing inside
// its commits, the worker copies the WAL into the database file, and if the worker fails or stops the
// automatic checkpoint comes back, so the WAL cannot grow without bound.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { startCheckpointer } from '../../src/storage/sqlite/checkpointer.ts';
import { openSqliteStore } from '../../src/storage/sqlite/database.ts';

describe('WAL checkpoints', () => {
  let dir: string;
  let path: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kassa-ckpt-'));
    path = join(dir, 'test.db');
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (x TEXT)');
  });

  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const autocheckpoint = () => db.pragma('wal_autocheckpoint', { simple: true });

  /** Waits for `condition`, polling every 20 ms, for at most 10 s (a bound, not a speed claim). */
  async function eventually(condition: () => boolean): Promise<boolean> {
    for (let i = 0; i < 500; i++) {
      if (condition()) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return condition();
  }

  test('the worker copies committed pages into the database file while the connection does not checkpoint', async () => {
    const checkpointer = startCheckpointer(path, (pages) => db.pragma(`wal_autocheckpoint = ${pages}`), 20);
    assert.equal(autocheckpoint(), 0);
    const fileBefore = statSync(path).size;
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 500; i++) insert.run('x'.repeat(2000));
    })();
    assert.ok(await eventually(() => statSync(path).size > fileBefore + 500 * 2000), 'the database file received the pages');
    await checkpointer.stop();
    assert.equal(autocheckpoint(), 1000);
  });

  test('when the worker cannot work, the automatic checkpoint comes back', async () => {
    const checkpointer = startCheckpointer(
      join(dir, 'missing', 'nested', 'x.db'),
      (pages) => db.pragma(`wal_autocheckpoint = ${pages}`),
      20,
    );
    assert.ok(await eventually(() => autocheckpoint() === 1000));
    await checkpointer.stop();
  });

  test('a store opened with background checkpoints serves, stops its worker on close, and leaves a clean file', async () => {
    db.close();
    // A file of its own: Kassa refuses a database that already holds another application's tables.
    const storePath = join(dir, 'kassa.db');
    const store = openSqliteStore({ path: storePath, backgroundCheckpoints: true });
    await store.merchants.insert({ id: 'mer_1', name: 'Shop', createdAt: 1 });
    assert.equal((await store.merchants.findById('mer_1'))?.name, 'Shop');
    await store.close();
    const reopened = new Database(storePath, { readonly: true });
    assert.equal((reopened.prepare('SELECT name FROM merchants').get() as { name: string }).name, 'Shop');
    reopened.close();
  });

  test('a store flushes every commit to the disk (synchronous=FULL) unless opened with durable: false, as the in-process tests do', async () => {
    db.close();
    // The setting is the store's own connection's (a private field: read here, nowhere else).
    const synchronous = (store: object) =>
      (store as unknown as { sqlite: { db: Database.Database } }).sqlite.db.pragma('synchronous', { simple: true });
    const durable = openSqliteStore({ path: join(dir, 'durable.db') });
    const fast = openSqliteStore({ path: join(dir, 'fast.db'), durable: false });
    assert.equal(synchronous(durable), 2, 'FULL');
    assert.equal(synchronous(fast), 0, 'OFF');
    await durable.close();
    await fast.close();
  });
});
