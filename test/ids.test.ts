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
    assert.match(id, /^cs_[A-Za-z0-9_-]{20}$/);
    assert.match(token, /^[0-9a-f]{40}$/);
    seen.add(id).add(token);
  }
  assert.equal(seen.size, 4000);
  assert.match(newApiKeySecret(), /^kassa_sk_[A-Za-z0-9_-]{43}$/);
});
