// engines: sqlite
// The retry schedule (docs/webhooks.md, "Retries"): after about 10 s, 60 s, 5, 10 and 15 min, each
// with ±10 % jitter, scaled by KASSA_WEBHOOK_RETRY_SCALE; after the last retry nothing is left.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_ATTEMPTS, RETRY_DELAYS_MS, retryDelay } from '../../src/webhooks/schedule.ts';

const MINUTE = 60_000;

test('the schedule is 10 s, 60 s, 5, 10 and 15 min: six attempts in all', () => {
  assert.deepEqual([...RETRY_DELAYS_MS], [10_000, 60_000, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE]);
  assert.equal(MAX_ATTEMPTS, 6);
  const middle = () => 0.5;
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((attempts) => retryDelay(attempts, 1, middle)),
    [10_000, 60_000, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE],
    'no jitter at the middle of the range',
  );
});

test('jitter stays within ±10 %: the lowest and highest draws give 0.9 and 1.1 times the base', () => {
  assert.equal(
    retryDelay(1, 1, () => 0),
    9_000,
  );
  assert.equal(
    retryDelay(1, 1, () => 0.999_999_999),
    11_000,
  );
  assert.equal(
    retryDelay(5, 1, () => 0),
    13.5 * MINUTE,
  );
  assert.equal(
    retryDelay(5, 1, () => 0.999_999_999),
    16.5 * MINUTE,
  );
});

test('after the last retry (attempt 6) there is no delay: the delivery is FAILED; attempt 0 is not an attempt', () => {
  assert.equal(retryDelay(MAX_ATTEMPTS, 1), undefined);
  assert.equal(retryDelay(MAX_ATTEMPTS + 1, 1), undefined);
  assert.equal(retryDelay(0, 1), undefined);
});

test('KASSA_WEBHOOK_RETRY_SCALE multiplies the whole schedule (0.001 turns 10 s into 10 ms)', () => {
  assert.equal(
    retryDelay(1, 0.001, () => 0.5),
    10,
  );
  assert.equal(
    retryDelay(5, 0.001, () => 0.5),
    900,
  );
  assert.equal(
    retryDelay(2, 2, () => 0.5),
    120_000,
  );
});

test('property: every delay lies within ±10 % of base × scale (to the millisecond it is rounded to)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: MAX_ATTEMPTS - 1 }),
      // The scales KASSA_WEBHOOK_RETRY_SCALE accepts: above 0, at most 100.
      fc.double({ min: 0.000_01, max: 100, noNaN: true }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (attempts, scale, draw) => {
        const base = RETRY_DELAYS_MS[attempts - 1]! * scale;
        const delay = retryDelay(attempts, scale, () => draw);
        assert.ok(delay !== undefined);
        assert.ok(Number.isInteger(delay) && delay >= 0, `${delay} is a whole number of ms`);
        assert.ok(Math.abs(delay - base) <= base * 0.1 + 0.5, `${delay} is more than 10 % from ${base}`);
      },
    ),
  );
});

test('with Math.random, retries of receivers that failed together are spread out', () => {
  const delays = new Set(Array.from({ length: 50 }, () => retryDelay(3, 1)));
  assert.ok(delays.size > 10, `only ${delays.size} distinct delays`);
  for (const d of delays) assert.ok(d! >= 4.5 * MINUTE && d! <= 5.5 * MINUTE);
});
