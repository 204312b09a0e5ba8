// engines: sqlite
// Storage faults on SQLite: a full disk and a damaged file are 503 ServiceUnavailable (never a 500),
// readiness fails while they last, and a full disk that gets space again needs no restart. (The same
// rules on PostgreSQL are by error code: test/storage/unavailable.test.ts.)
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/storage/sqlite/database.ts';
import { headers, testApp, type TestApp } from '../support/app.ts';

/** Kassa's own connection: limits like max_page_count hold per connection. */
const connectionOf = (t: TestApp) => (t.store as unknown as { sqlite: { db: Database.Database } }).sqlite.db;
/** Kassa's writer, to end its read transaction before a VACUUM. */
const writerOf = (t: TestApp) => (t.store as unknown as { sqlite: { writer: { endRead(): void } } }).sqlite.writer;

const create = (t: TestApp, orderId: string) =>
  t.app.inject({
    method: 'POST',
    url: '/client-session',
    headers: headers(t.apiKey),
    payload: { orderId, currencyCode: 'EUR', amount: 100, metadata: { pad: 'x'.repeat(2000) } },
  });

describe('storage faults (SQLite)', () => {
  test('a full disk: 503 ServiceUnavailable with Retry-After, readiness fails; with space again both recover, no restart', async () => {
    const t = await testApp();
    try {
      assert.equal((await create(t, 'before')).statusCode, 200);
      const db = connectionOf(t);
      // Full means no page to grow into and none free inside the file (a migration that drops an index leaves some).
      writerOf(t).endRead();
      db.exec('VACUUM');
      assert.equal(db.pragma('freelist_count', { simple: true }), 0);
      const pages = db.pragma('page_count', { simple: true }) as number;
      // SQLite's "database or disk is full" (SQLITE_FULL), as a full disk gives it.
      db.pragma(`max_page_count = ${pages}`);
      const statuses: number[] = [];
      let refused: Awaited<ReturnType<typeof create>> | undefined;
      for (let i = 0; i < 50 && !refused; i++) {
        const res = await create(t, `full-${i}`);
        statuses.push(res.statusCode);
        if (res.statusCode !== 200) refused = res;
      }
      assert.ok(refused, 'the disk never filled');
      assert.equal(refused.statusCode, 503, refused.body);
      assert.equal(refused.json().error.errorId, 'ServiceUnavailable');
      assert.ok(Number(refused.headers['retry-after']) >= 1);
      assert.ok(!statuses.some((s) => s >= 500 && s !== 503), `no 500s: ${statuses}`);
      const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
      assert.equal(ready.statusCode, 503, 'readiness must not say ready while writes fail');
      // The refused create left nothing behind.
      const [kept] = await t.query(`SELECT COUNT(*) AS n FROM sessions WHERE data LIKE '%"orderId":"full-%'`);
      assert.equal(Number(kept!.n), statuses.length - 1);

      db.pragma('max_page_count = 1073741823');
      assert.equal((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);
      assert.equal((await create(t, 'after')).statusCode, 200);
    } finally {
      await t.close();
    }
  });

  test('a damaged file: reads are 503 ServiceUnavailable, not 500 "malformed", and readiness fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-damaged-'));
    const path = join(dir, 'kassa.db');
    const t = await testApp({ store: openSqliteStore({ path }), env: { DATABASE_URL: `sqlite:${path}` } });
    const res = await create(t, 'damaged');
    const clientToken = res.json().clientToken as string;
    const [root] = await t.query("SELECT rootpage FROM sqlite_master WHERE name = 'sessions'");
    await t.query('PRAGMA wal_checkpoint(TRUNCATE)');
    await t.close();
    // Scribble over the sessions table's root page, as a failing disk might.
    const pageSize = readFileSync(path).readUInt16BE(16);
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (Number(root!.rootpage) - 1) * pageSize);
    closeSync(fd);

    const again = await testApp({ store: openSqliteStore({ path }) });
    try {
      const read = await again.app.inject({
        method: 'GET',
        url: `/client-session?clientToken=${encodeURIComponent(clientToken)}`,
        headers: headers(again.apiKey),
      });
      assert.equal(read.statusCode, 503, read.body);
      assert.equal(read.json().error.errorId, 'ServiceUnavailable');
      assert.doesNotMatch(read.body, /malformed/);
      assert.equal((await again.app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 503);
    } finally {
      await again.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
