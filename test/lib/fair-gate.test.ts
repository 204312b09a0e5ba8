// engines: sqlite
// The gate in front of the API keys' scrypt hashes (src/lib/fair-gate.ts): its caps as properties,
// and the turn by owner that keeps one address's backlog from delaying another's first hash.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { FairGate } from '../../src/lib/fair-gate.ts';

/** Lets the gate react to a settled task (it starts the next one once the task's promise is done). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A gate whose tasks finish when the test says; `started` lists tasks by label in the order they started. */
function harness(perOwner: number, total: number) {
  const gate = new FairGate(perOwner, total);
  const started: string[] = [];
  const running = new Map<string, { owner: string; finish: () => void }>();
  const submit = (owner: string, label: string) =>
    gate.run(
      owner,
      () =>
        new Promise<string>((resolve) => {
          started.push(label);
          running.set(label, { owner, finish: () => resolve(label) });
        }),
    );
  const finish = async (label: string) => {
    running.get(label)!.finish();
    running.delete(label);
    await settle();
  };
  return { gate, started, running, submit, finish };
}

describe('FairGate', () => {
  test('a flood from one owner holds its one slot; another owner starts at once, and then in turn', async () => {
    const h = harness(1, 2);
    for (let i = 0; i < 30; i++) void h.submit('flood', `f${i}`);
    void h.submit('legit', 'legit');
    assert.deepEqual(h.started, ['f0', 'legit']);
    assert.deepEqual(h.gate.load, { running: 2, waiting: 29 });

    // With one slot in all, the newcomer goes right after the task running now, not after the backlog.
    const one = harness(1, 1);
    for (let i = 0; i < 30; i++) void one.submit('flood', `f${i}`);
    void one.submit('legit', 'legit');
    await one.finish('f0');
    assert.deepEqual(one.started, ['f0', 'legit']);
  });

  test('owners with backlogs take turns', async () => {
    const h = harness(1, 1);
    for (let i = 0; i < 3; i++) void h.submit('a', `a${i}`);
    for (let i = 0; i < 3; i++) void h.submit('b', `b${i}`);
    void h.submit('c', 'c0');
    while (h.running.size > 0) await h.finish([...h.running.keys()][0]!);
    assert.deepEqual(h.started, ['a0', 'b0', 'c0', 'a1', 'b1', 'a2', 'b2']);
  });

  test("a task's result and failure are its caller's, and a failed task frees its slot", async () => {
    const gate = new FairGate(1, 1);
    await assert.rejects(
      gate.run('x', () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(await gate.run('x', async () => 7), 7);
    assert.deepEqual(gate.load, { running: 0, waiting: 0 });
  });

  test('property: the caps hold, no slot stays free while a task that may use it waits, and each owner starts in order', async () => {
    const step = fc.oneof(fc.record({ submit: fc.integer({ min: 0, max: 3 }) }), fc.record({ finish: fc.nat() }));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(step, { maxLength: 60 }),
        async (perOwner, total, steps) => {
          const h = harness(perOwner, total);
          const submitted = new Map<string, string[]>();
          let n = 0;
          for (const s of steps) {
            if ('submit' in s) {
              const owner = `o${s.submit}`;
              const label = `${owner}:${n++}`;
              submitted.set(owner, [...(submitted.get(owner) ?? []), label]);
              void h.submit(owner, label);
            } else if (h.running.size > 0) {
              await h.finish([...h.running.keys()][s.finish % h.running.size]!);
            }
            const byOwner = new Map<string, number>();
            for (const { owner } of h.running.values()) byOwner.set(owner, (byOwner.get(owner) ?? 0) + 1);
            assert.ok(h.running.size <= total);
            for (const count of byOwner.values()) assert.ok(count <= perOwner);
            for (const [owner, labels] of submitted) {
              const begun = h.started.filter((l) => l.startsWith(`${owner}:`));
              assert.deepEqual(begun, labels.slice(0, begun.length), 'in order');
              const waiting = labels.length > begun.length;
              if (waiting) assert.ok(h.running.size === total || (byOwner.get(owner) ?? 0) === perOwner, `${owner} waits by a free slot`);
            }
            assert.equal(h.gate.load.running, h.running.size);
          }
        },
      ),
    );
  });
});
