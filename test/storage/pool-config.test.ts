// engines: sqlite
// KASSA_DB_POOL_SIZE and DATABASE_URL=postgres://… at start-up, and how the pool reconnects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { reconnectDelaySeconds } from '../../src/storage/postgres/database.ts';

test('postgres:// selects PostgreSQL; the pool holds 10 connections unless KASSA_DB_POOL_SIZE says otherwise', () => {
  const config = loadConfig({ DATABASE_URL: 'postgres://kassa:pw@db.internal:5432/kassa' });
  assert.deepEqual(config.database, { engine: 'postgres', url: 'postgres://kassa:pw@db.internal:5432/kassa' });
  assert.equal(config.dbPoolSize, 10);
  assert.equal(loadConfig({ KASSA_DB_POOL_SIZE: '25' }).dbPoolSize, 25);
});

test('a pool size that is not a whole number from 1 to 1000 stops start-up, naming the variable', () => {
  for (const bad of ['0', '-1', '2.5', 'ten', '1001']) {
    assert.throws(
      () => loadConfig({ KASSA_DB_POOL_SIZE: bad }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.length === 1 &&
        error.problems[0] === `KASSA_DB_POOL_SIZE: must be a whole number from 1 to 1000 (got "${bad}")`,
      bad,
    );
  }
});

test('KASSA_DB_TIMEOUT_MS defaults to 10 s and must be 100 ms to 10 min', () => {
  assert.equal(loadConfig({}).dbTimeoutMs, 10_000);
  assert.equal(loadConfig({ KASSA_DB_TIMEOUT_MS: '1500' }).dbTimeoutMs, 1500);
  assert.throws(() => loadConfig({ KASSA_DB_TIMEOUT_MS: '99' }), /KASSA_DB_TIMEOUT_MS: must be a whole number from 100 to 600000/);
});

test('after failed connections, the next attempt waits from 25-50 ms at first to 0.5-1 s at most, never more (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1000 }), (retries) => {
      const delay = reconnectDelaySeconds(retries);
      assert.ok(delay >= 0.025 && delay <= 1, `${retries} retries: ${delay} s, outside 25 ms to 1 s`);
      if (retries === 0) assert.ok(delay <= 0.05, `the first retry comes quickly: ${delay} s`);
      if (retries >= 5) assert.ok(delay >= 0.5, `${retries} retries: ${delay} s, not yet at the one-second pace`);
    }),
  );
});
