// engines: sqlite, postgres
// One sealer (lib/seal.ts) for everything Kassa keeps sealed: an idempotent answer is sealed bound to
// the client's key and its record, and what the two sealers wrote before (the idempotency service's
// own `v1`, the sealer's unbound `s1`) still opens after the upgrade.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REPLAY } from '../../src/idempotency/policy.ts';
import { IdempotencyService } from '../../src/idempotency/service.ts';
import { sha256 } from '../../src/lib/ids.ts';
import { IDEMPOTENCY_PURPOSE, Sealer } from '../../src/lib/seal.ts';
import { testApp, type TestApp } from '../support/app.ts';

const LEGACY_SECRET = 'legacy-secret-0123456789abcdef0123456789abcdef';
const FINGERPRINT = 'f'.repeat(64);
// Written by the idempotency service's own AES-GCM sealer before it was replaced (secret LEGACY_SECRET,
// merchant mer_default, key legacy-key, request FINGERPRINT).
const V1_RECORD =
  'v1.hcocJKd5OjKM9Ki4.4vHDC08vUDXb8kxmKSnyZRTKnav8SPlIVdWJUpE9XgfGsUqOc1TRkX3jBYS5psHeZqtSRUR34yEAxvgZWc38o4rWfDCOp5QaeSvM2q059q0lXuaRkjmYbD_yYG7PGeeiEZwVBA.yCtVpEmmMh6MCxdh0yjb6Q';
// A webhook secret sealed by lib/seal.ts before it took bindings.
const S1_VALUE = 's1.S4--St6dzcJAGOh-.KO-86EWkSKlyQijUXAqBKfzAHQHavjVeuEiC.2W09M-6ZdH5W1yufNABZTg';

describe('the one sealer', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  const service = (sealer: Sealer) =>
    new IdempotencyService({ store: t.store.idempotency, clock: () => t.clock.now, ttlMs: 60_000, sealer });
  const begin = (s: IdempotencyService, key: string) =>
    s.begin({ merchantId: 'mer_default', key, policy: REPLAY, apiVersion: '2.4', fingerprint: FINGERPRINT });

  test('an idempotency record sealed by the former idempotency sealer (v1) is still replayed, under a rotated secret too', async () => {
    const claimed = await t.store.idempotency.begin({
      merchantId: 'mer_default',
      keyHash: sha256('legacy-key'),
      requestHash: FINGERPRINT,
      claim: 'legacy-claim',
      now: t.clock.now,
      expiresAt: t.clock.now + 60_000,
      lockedUntil: t.clock.now + 60_000,
    });
    assert.equal(claimed.state, 'new');
    await t.store.commit((uow) => uow.idempotency.complete('mer_default', sha256('legacy-key'), 'legacy-claim', V1_RECORD));
    const outcome = await begin(service(new Sealer(['a-newer-secret-0123456789abcdef0123456789', LEGACY_SECRET])), 'legacy-key');
    assert.deepEqual(outcome, {
      state: 'replay',
      reply: { statusCode: 200, headers: { etag: 'W/"1"', 'x-api-version': '2.4' }, body: '{"hello":"world"}' },
    });
  });

  test('a value the sealer sealed before (s1, unbound) still opens', () => {
    assert.equal(new Sealer([LEGACY_SECRET]).open(S1_VALUE, 'webhook-secret'), 'whsec_legacy_webhook_secret');
  });

  test('a new answer is sealed by lib/seal.ts (s1), bound to its key and record, and replayed', async () => {
    const sealer = new Sealer([LEGACY_SECRET]);
    const s = service(sealer);
    const first = await begin(s, 'new-key');
    assert.equal(first.state, 'new');
    if (first.state !== 'new') return;
    const reply = { statusCode: 200, headers: { etag: 'W/"2"' }, body: '{"n":2}' };
    await t.store.commit((uow) => s.complete(uow, first.ticket, reply));
    const [row] = await t.query('SELECT response FROM idempotency_keys WHERE key_hash = ?', [sha256('new-key')]);
    const sealed = String(row!.response);
    assert.match(sealed, /^s1\./);
    assert.ok(!sealed.includes('"n":2'));
    // Bound: the server secret alone, another key or another record does not open it.
    const { binding } = first.ticket;
    assert.equal(sealer.open(sealed, IDEMPOTENCY_PURPOSE), undefined);
    assert.equal(sealer.open(sealed, IDEMPOTENCY_PURPOSE, { ...binding, secret: 'other-key' }), undefined);
    assert.equal(sealer.open(sealed, IDEMPOTENCY_PURPOSE, { ...binding, record: `${binding.record}x` }), undefined);
    assert.deepEqual(await begin(s, 'new-key'), { state: 'replay', reply });
  });
});
