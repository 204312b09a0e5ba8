// engines: in-file
// The session store's contract, on every engine: what Kassa needs from any storage that keeps sessions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { expiredEvent } from '../../src/sessions/history.ts';
import type { SessionData } from '../../src/sessions/schemas.ts';
import type { StoredSession } from '../../src/sessions/session.store.ts';
import type { Store } from '../../src/storage/store.ts';
import { isWriteConflict } from '../../src/storage/unit-of-work.ts';
import { T0, forEachEngine, withMerchants } from '../support/engines.ts';

const session = (over: Partial<StoredSession> = {}): StoredSession => ({
  id: 'cs_1',
  merchantId: 'mer_a',
  accessTokenHash: 'hash-1',
  data: { orderId: 'order-1', currencyCode: 'GBP', metadata: { zeta: 1, alpha: 'a', mid: 2 } } as SessionData,
  version: 1,
  createdAt: T0,
  updatedAt: T0,
  expiresAt: T0 + 86_400_000,
  ...over,
});

const insert = (store: Store, s: StoredSession) => store.commit((uow) => uow.sessions.insert(s));
const update = (store: Store, s: StoredSession) => store.commit((uow) => uow.sessions.update(s));
const conflict = (error: unknown) => isWriteConflict(error);

forEachEngine('session store', (_engine, fresh) => {
  test('a session reads back exactly as stored, by access-token hash and by merchant + id', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a', 'mer_b');
    const s = session();
    await insert(store, s);
    assert.deepEqual(await store.sessions.findByAccessTokenHash('hash-1'), s);
    assert.deepEqual(await store.sessions.findById('mer_a', 'cs_1'), s);
    // metadata key order survives (the API echoes it)
    const found = await store.sessions.findById('mer_a', 'cs_1');
    assert.deepEqual(Object.keys(found!.data.metadata as object), ['zeta', 'alpha', 'mid']);
    assert.equal(typeof found!.createdAt, 'number');
    assert.equal(await store.sessions.findById('mer_b', 'cs_1'), undefined, "another merchant's id finds nothing");
    assert.equal(await store.sessions.findByAccessTokenHash('nope'), undefined);
    assert.deepEqual(await store.sessions.versionOf('hash-1'), { merchantId: 'mer_a', version: 1, expiresAt: s.expiresAt });
    assert.equal(await store.sessions.versionOf('nope'), undefined);
  });

  test('a second session with the same id or access-token hash is refused and changes nothing', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    await insert(store, session());
    await assert.rejects(insert(store, session({ accessTokenHash: 'hash-2', data: { orderId: 'x' } as SessionData })));
    await assert.rejects(insert(store, session({ id: 'cs_2', data: { orderId: 'y' } as SessionData })));
    assert.deepEqual(await store.sessions.findById('mer_a', 'cs_1'), session());
    assert.equal(await store.sessions.findById('mer_a', 'cs_2'), undefined);
  });

  test('update is a compare-and-set on version: a stale writer gets a WriteConflict and changes nothing', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    await insert(store, session());
    const saved = session({ data: { orderId: 'order-2' } as SessionData, version: 2, updatedAt: T0 + 5 });
    await update(store, saved);
    await assert.rejects(update(store, session({ data: { orderId: 'stale' } as SessionData, version: 2, updatedAt: T0 + 6 })), conflict);
    await assert.rejects(update(store, session({ id: 'cs_missing', version: 2 })), conflict);
    assert.deepEqual(await store.sessions.findByAccessTokenHash('hash-1'), saved);
  });

  test('a second write of one session in one unit from a stale copy is refused as it is recorded, and nothing is written', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    await insert(store, session());
    let refusedAtRecord = false;
    await assert.rejects(
      store.sessions.change('hash-1', (current, uow) => {
        uow.sessions.update({ ...current!, version: 2, data: { orderId: 'first' } as SessionData });
        try {
          uow.sessions.update({ ...current!, version: 2, data: { orderId: 'second' } as SessionData });
        } catch (error) {
          refusedAtRecord = conflict(error);
          throw error;
        }
      }),
      conflict,
    );
    assert.equal(refusedAtRecord, true);
    assert.deepEqual(await store.sessions.findByAccessTokenHash('hash-1'), session());
  });

  test('of many writers racing on one version, through two handles, exactly one wins', async () => {
    const { store, another } = await fresh();
    const other = await another();
    await withMerchants(store, 'mer_a');
    await insert(store, session());
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        update(i % 2 === 0 ? store : other, session({ data: { orderId: `w${i}` } as SessionData, version: 2, updatedAt: T0 + i })),
      ),
    );
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    assert.equal(winners.length, 1);
    assert.ok(results.every((r) => r.status === 'fulfilled' || conflict(r.reason)));
    const stored = await store.sessions.findById('mer_a', 'cs_1');
    assert.equal(stored!.version, 2);
    assert.deepEqual(stored!.data, { orderId: `w${winners[0]}` });
  });

  test('a unit of work commits all its writes or none, and runs its effects only once committed', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    await insert(store, session());
    const effects: string[] = [];
    await assert.rejects(
      store.commit((uow) => {
        uow.sessions.insert(session({ id: 'cs_2', accessTokenHash: 'hash-2' }));
        uow.sessions.update(session({ version: 5 })); // not the stored version: the unit fails
        uow.afterCommit(() => effects.push('failed unit'));
      }),
      conflict,
    );
    assert.equal(await store.sessions.findById('mer_a', 'cs_2'), undefined, 'the insert of the failed unit is gone');
    const result = await store.commit((uow) => {
      uow.sessions.insert(session({ id: 'cs_3', accessTokenHash: 'hash-3' }));
      uow.afterCommit(() => effects.push('committed unit'));
      return 'result';
    });
    assert.equal(result, 'result');
    assert.deepEqual(effects, ['committed unit']);
    assert.ok(await store.sessions.findById('mer_a', 'cs_3'));
  });

  test('changes to one session are serialised: 50 at once all apply, each on the one before', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    await insert(store, session({ data: { metadata: { n: 0 } } as SessionData }));
    const seen = await Promise.all(
      Array.from({ length: 50 }, () =>
        store.sessions.change('hash-1', (current, uow) => {
          const n = (current!.data.metadata as { n: number }).n + 1;
          uow.sessions.update({ ...current!, data: { metadata: { n } } as SessionData, version: current!.version + 1 });
          return n;
        }),
      ),
    );
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i + 1),
      'none saw the same state twice',
    );
    const stored = await store.sessions.findByAccessTokenHash('hash-1');
    assert.equal(stored!.version, 51);
    assert.deepEqual(stored!.data, { metadata: { n: 50 } });
  });

  test('a change that throws writes nothing, and the next change sees the stored session', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    await insert(store, session());
    await assert.rejects(
      store.sessions.change('hash-1', (current, uow) => {
        uow.sessions.update({ ...current!, version: 2, data: { orderId: 'never' } as SessionData });
        throw new Error('rejected');
      }),
      /rejected/,
    );
    const read = await store.sessions.change('hash-1', (current) => current);
    assert.deepEqual(read, session());
    assert.equal(await store.sessions.change('hash-unknown', (current) => current), undefined);
  });

  test('changes from two processes at once are serialised too: none is lost, none conflicts', async () => {
    const { store, another } = await fresh();
    const other = await another();
    await withMerchants(store, 'mer_a');
    await insert(store, session({ data: { metadata: { n: 0 } } as SessionData }));
    const bump = (handle: Store) =>
      handle.sessions.change('hash-1', (current, uow) => {
        const n = (current!.data.metadata as { n: number }).n + 1;
        uow.sessions.update({ ...current!, data: { metadata: { n } } as SessionData, version: current!.version + 1 });
      });
    await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i % 2 === 0 ? store : other)));
    const stored = await store.sessions.findByAccessTokenHash('hash-1');
    assert.deepEqual(stored!.data, { metadata: { n: 20 } });
    assert.equal(stored!.version, 21);
  });

  test('listByMerchant: newest first, ties by id descending, limit and createdAt cursor, own sessions only', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a', 'mer_b');
    const rows = [
      session({ id: 'cs_a', accessTokenHash: 'h-a', createdAt: T0 + 1 }),
      session({ id: 'cs_b', accessTokenHash: 'h-b', createdAt: T0 + 3 }),
      session({ id: 'cs_c', accessTokenHash: 'h-c', createdAt: T0 + 3 }),
      session({ id: 'cs_d', accessTokenHash: 'h-d', createdAt: T0 + 2 }),
      session({ id: 'cs_x', accessTokenHash: 'h-x', createdAt: T0 + 9, merchantId: 'mer_b' }),
    ];
    for (const r of rows) await insert(store, r);
    const ids = (list: StoredSession[]) => list.map((s) => s.id);
    assert.deepEqual(ids(await store.sessions.listByMerchant('mer_a', { limit: 10 })), ['cs_c', 'cs_b', 'cs_d', 'cs_a']);
    assert.deepEqual(ids(await store.sessions.listByMerchant('mer_a', { limit: 2 })), ['cs_c', 'cs_b']);
    assert.deepEqual(ids(await store.sessions.listByMerchant('mer_a', { limit: 10, before: T0 + 3 })), ['cs_d', 'cs_a']);
    assert.deepEqual(ids(await store.sessions.listByMerchant('mer_c', { limit: 10 })), []);
  });

  test('session data of any JSON shape round-trips unchanged, key order included', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }), async (data) => {
        n++;
        const s = session({ id: `cs_p${n}`, accessTokenHash: `h-p${n}`, data: data as SessionData });
        await insert(store, s);
        const back = await store.sessions.findByAccessTokenHash(`h-p${n}`);
        // JSON text equality checks key order too; -0 has no JSON form and reads back as 0
        assert.equal(JSON.stringify(back!.data), JSON.stringify(data));
      }),
      { numRuns: 40 },
    );
  });

  test('millisecond timestamps up to 2^53 - 1 read back as the same numbers', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    const s = session({ createdAt: 0, updatedAt: 1, expiresAt: Number.MAX_SAFE_INTEGER });
    await insert(store, s);
    assert.deepEqual(await store.sessions.findById('mer_a', 'cs_1'), s);
  });

  test('purgeExpired deletes at most `limit` sessions with expiresAt < before, oldest first', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    for (let i = 0; i < 6; i++) await insert(store, session({ id: `cs_${i}`, accessTokenHash: `h${i}`, expiresAt: T0 + i * 10 }));
    assert.equal(await store.sessions.purgeExpired(T0 + 40, 3), 3);
    assert.equal(await store.sessions.findById('mer_a', 'cs_0'), undefined);
    assert.ok(await store.sessions.findById('mer_a', 'cs_3'));
    assert.equal(await store.sessions.purgeExpired(T0 + 40, 3), 1);
    assert.equal(await store.sessions.purgeExpired(T0 + 40, 3), 0);
    assert.equal((await store.sessions.listByMerchant('mer_a', { limit: 10 })).length, 2);
  });

  test('purgeExpired and purgeExpiredOf take expired sessions whether their CLIENT_SESSION.EXPIRED was recorded or not', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a', 'mer_b');
    for (let i = 0; i < 4; i++) await insert(store, session({ id: `cs_${i}`, accessTokenHash: `h${i}`, expiresAt: T0 + i * 10 }));
    await insert(store, session({ id: 'cs_b', merchantId: 'mer_b', accessTokenHash: 'hb', expiresAt: T0 }));
    assert.equal(await store.sessions.recordExpired(T0 + 10, 10, expiredEvent), 3, 'cs_0, cs_1 and cs_b recorded');
    assert.equal(await store.sessions.purgeExpiredOf('mer_a', T0 + 25, 10), 3, 'cs_0 and cs_1 (recorded), cs_2 (not)');
    assert.ok(await store.sessions.findById('mer_b', 'cs_b'), "another merchant's is kept");
    assert.ok(await store.sessions.findById('mer_a', 'cs_3'));
    assert.equal(await store.sessions.purgeExpired(T0 + 31, 10), 2, 'cs_b (recorded) and cs_3 (not)');
    assert.equal(await store.sessions.purgeExpired(T0 + 31, 10), 0);
  });

  test("a merchant's sandbox clock: a token's lookups read its offset; purgeExpired judges its sessions on its time", async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a', 'mer_b');
    await insert(store, session());
    await insert(store, session({ id: 'cs_b', merchantId: 'mer_b', accessTokenHash: 'hash-b' }));
    await store.sandboxClocks.advance('mer_a', 60_000, 10 ** 12, T0);
    assert.equal((await store.sessions.findByAccessTokenHash('hash-1'))?.clockOffsetMs, 60_000);
    assert.equal((await store.sessions.versionOf('hash-1'))?.clockOffsetMs, 60_000);
    assert.equal((await store.sessions.findByAccessTokenHash('hash-b'))?.clockOffsetMs, undefined);
    const expiresAt = session().expiresAt;
    assert.equal(await store.sessions.purgeExpired(expiresAt - 60_000, 10), 0, 'expiresAt is not before its own time');
    assert.equal(await store.sessions.purgeExpired(expiresAt - 59_999, 10), 1);
    assert.equal(await store.sessions.findByAccessTokenHash('hash-1'), undefined);
    assert.ok(await store.sessions.findByAccessTokenHash('hash-b'));
  });
});
