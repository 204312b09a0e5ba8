// engines: sqlite
// Ids and access tokens come from a pooled CSPRNG buffer (docs/performance.md): they keep their formats and
// never repeat, across many pool refills.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newAccessToken, newApiKeySecret, newSessionId } from '../src/lib/ids.ts';

test('session ids and access tokens keep their format and are all different across pool refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const id = newSessionId();
    const token = newAccessToken();
    assert.match(id, /^cs_[0-9A-Za-z]{8}[A-Za-z0-9_-]{16}$/);
    assert.match(token, /^[0-9a-f]{40}$/);
    seen.add(id).add(token);
  }
  assert.equal(seen.size, 4000);
  assert.match(newApiKeySecret(), /^kassa_sk_[A-Za-z0-9_-]{43}$/);
});

test('session ids sort as their creation times do (a new row goes at the end of the index)', () => {
  const times = [0, 1, 61, 62, 3843, 1_795_510_800_123, 1_795_510_800_124, 1_795_510_861_000, 2 ** 47];
  const ids = times.map((t) => newSessionId(t));
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids.map((id) => id.slice(0, 11))).size, times.length, 'each time its own prefix');
});
