// engines: sqlite
// The dispute lifecycle (src/payments/disputes/machine.ts): which step may follow which, as a state
// machine checked with fast-check: any sequence of requests either takes an allowed step or is refused
// and changes nothing, every dispute starts OPEN and ends within MAX_DISPUTE_STEPS, and a type only
// moves forward (RETRIEVAL, DISPUTE, PREARBITRATION).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  advanceDispute,
  DISPUTE_STATUSES,
  DISPUTE_TYPES,
  type DisputeStep,
  isDisputeRefusal,
  isFinalStep,
  MAX_DISPUTE_STEPS,
  nextSteps,
} from '../../src/payments/disputes/machine.ts';

const request = fc.record(
  { status: fc.constantFrom(...DISPUTE_STATUSES), type: fc.constantFrom(...DISPUTE_TYPES) },
  { requiredKeys: ['status'] },
);
const rank = (s: DisputeStep) => DISPUTE_TYPES.indexOf(s.type);

test('a dispute opens OPEN, directly as a DISPUTE unless a RETRIEVAL is asked for', () => {
  assert.deepEqual(advanceDispute(undefined, { status: 'OPEN' }), { type: 'DISPUTE', status: 'OPEN' });
  assert.deepEqual(advanceDispute(undefined, { status: 'OPEN', type: 'RETRIEVAL' }), { type: 'RETRIEVAL', status: 'OPEN' });
  assert.deepEqual(advanceDispute(undefined, { status: 'OPEN', type: 'PREARBITRATION' }), {
    refused: true,
    allowed: [
      { type: 'RETRIEVAL', status: 'OPEN' },
      { type: 'DISPUTE', status: 'OPEN' },
    ],
  });
  for (const status of DISPUTE_STATUSES.filter((s) => s !== 'OPEN')) assert.ok(isDisputeRefusal(advanceDispute(undefined, { status })));
});

test('OPEN without a type opens the next type: a retrieval escalates to a dispute, a won dispute to pre-arbitration', () => {
  assert.deepEqual(advanceDispute({ type: 'RETRIEVAL', status: 'OPEN' }, { status: 'OPEN' }), { type: 'DISPUTE', status: 'OPEN' });
  assert.deepEqual(advanceDispute({ type: 'DISPUTE', status: 'WON' }, { status: 'OPEN' }), { type: 'PREARBITRATION', status: 'OPEN' });
  assert.ok(isDisputeRefusal(advanceDispute({ type: 'DISPUTE', status: 'LOST' }, { status: 'OPEN' })));
});

test('the longest dispute: retrieval challenged, dispute challenged and won, pre-arbitration challenged and won (8 steps)', () => {
  const path = [
    { status: 'OPEN', type: 'RETRIEVAL' },
    { status: 'CHALLENGED' },
    { status: 'OPEN' },
    { status: 'CHALLENGED' },
    { status: 'WON' },
    { status: 'OPEN' },
    { status: 'CHALLENGED' },
    { status: 'WON' },
  ] as const;
  let current: DisputeStep | undefined;
  for (const r of path) {
    const next = advanceDispute(current, r);
    assert.ok(!isDisputeRefusal(next), JSON.stringify({ current, r }));
    current = next;
  }
  assert.deepEqual(current, { type: 'PREARBITRATION', status: 'WON' });
  assert.ok(isFinalStep(current!));
  assert.equal(path.length, MAX_DISPUTE_STEPS);
});

test('any sequence of requests: allowed steps move forward, refusals change nothing, and no dispute outlives MAX_DISPUTE_STEPS', () => {
  fc.assert(
    fc.property(fc.array(request, { maxLength: 40 }), (requests) => {
      let current: DisputeStep | undefined;
      let steps = 0;
      for (const r of requests) {
        const allowed = nextSteps(current);
        const next = advanceDispute(current, r);
        if (isDisputeRefusal(next)) {
          assert.deepEqual(next.allowed, allowed);
          if (r.type) assert.ok(!allowed.some((s) => s.status === r.status && s.type === r.type));
          continue;
        }
        assert.ok(allowed.some((s) => s.type === next.type && s.status === next.status));
        assert.equal(next.status, r.status);
        if (r.type) assert.equal(next.type, r.type);
        if (current) {
          assert.ok(rank(next) >= rank(current), 'types only move forward');
          if (rank(next) > rank(current)) assert.equal(next.status, 'OPEN', 'a new type opens OPEN');
        } else {
          assert.equal(next.status, 'OPEN');
        }
        current = next;
        steps++;
        assert.ok(steps <= MAX_DISPUTE_STEPS);
      }
      if (current && isFinalStep(current)) assert.deepEqual(nextSteps(current), []);
    }),
    { numRuns: 2000 },
  );
});

test('every step the table names is reachable from no dispute', () => {
  const seen = new Set<string>();
  const walk = (s: DisputeStep | undefined) => {
    for (const n of nextSteps(s)) {
      const k = `${n.type}:${n.status}`;
      if (seen.has(k)) continue;
      seen.add(k);
      walk(n);
    }
  };
  walk(undefined);
  assert.equal(seen.size, 4 + 7 + 7, 'RETRIEVAL 4 statuses, DISPUTE and PREARBITRATION 7 each');
});
