// engines: in-file
// The signing-key store's contract, on every engine: every process ends up signing with one key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { T0, forEachEngine } from '../support/engines.ts';

forEachEngine('signing-key store', (_engine, fresh) => {
  test('the first candidate is kept; later candidates get it back', async () => {
    const { store } = await fresh();
    assert.deepEqual(await store.signingKeys.list(), []);
    const first = { kid: 'kid-1', secret: 's'.repeat(43), createdAt: T0 };
    assert.deepEqual(await store.signingKeys.ensure(first), first);
    assert.deepEqual(await store.signingKeys.ensure({ kid: 'kid-0', secret: 't'.repeat(43), createdAt: T0 - 1 }), first);
    assert.deepEqual(await store.signingKeys.list(), [first]);
  });

  test('processes racing to ensure a key all end up with one and the same key', async () => {
    const { store, another } = await fresh();
    const handles = [store, await another(), await another()];
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        handles[i % 3]!.signingKeys.ensure({ kid: `kid-${i}`, secret: `${i}`.repeat(40), createdAt: T0 + i }),
      ),
    );
    assert.equal(new Set(results.map((k) => k.kid)).size, 1);
    assert.deepEqual(await store.signingKeys.list(), [results[0]]);
  });
});
