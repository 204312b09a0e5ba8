// engines: in-file
// The time-ordered UUID is built in one place (lib/ids.ts), in JavaScript and as each engine's SQL: all
// three give a version-7 UUID whose first 48 bits are the time, so ids made either way sort together.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import postgres from 'postgres';
import { newTimeOrderedUuid, TIME_ORDERED_UUID_SQL } from '../../src/lib/ids.ts';
import { postgresServerUrl } from '../support/postgres.ts';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// Any millisecond a 48-bit time holds, and the years Kassa will meet.
const millis = fc.oneof(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 1.7e12, max: 2.2e12 }));

const sqlite = new Database(':memory:');
const pg = postgres(await postgresServerUrl(), { max: 1, onnotice: () => {} });
after(async () => {
  sqlite.close();
  await pg.end();
});

/** One id per time, made by each engine's SQL from a column of times. */
const fromSql = async (times: number[]): Promise<Record<'sqlite' | 'postgres', string[]>> => {
  const values = times.map((ms) => `(${ms})`).join(', ');
  const query = (expr: string) => `WITH t(ms) AS (VALUES ${values}) SELECT ${expr} AS id FROM t`;
  return {
    sqlite: (sqlite.prepare(query(TIME_ORDERED_UUID_SQL.sqlite('ms'))).all() as { id: string }[]).map((r) => r.id),
    postgres: (await pg.unsafe<{ id: string }[]>(query(TIME_ORDERED_UUID_SQL.postgres('ms')))).map((r) => r.id),
  };
};

test('JavaScript, SQLite and PostgreSQL make the same version-7 layout: the time in the first 48 bits, then random digits', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(millis, { minLength: 1, maxLength: 20 }), async (times) => {
      const made = await fromSql(times);
      times.forEach((ms, i) => {
        const js = newTimeOrderedUuid(ms);
        for (const id of [js, made.sqlite[i]!, made.postgres[i]!]) {
          assert.match(id, V7);
          assert.equal(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16), ms, `${id} holds ${ms}`);
        }
      });
    }),
    { numRuns: 30 },
  );
});

test('ids made at later times sort after, whoever made them', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(millis, { minLength: 2, maxLength: 20 }), async (times) => {
      const sorted = [...times].sort((a, b) => a - b);
      const made = await fromSql(sorted);
      // Each time's id from a different maker in turn: JavaScript, SQLite, PostgreSQL.
      const ids = sorted.map((ms, i) => [newTimeOrderedUuid(ms), made.sqlite[i]!, made.postgres[i]!][i % 3]!);
      assert.deepEqual([...ids].sort(), ids);
    }),
    { numRuns: 30 },
  );
});
