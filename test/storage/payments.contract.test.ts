// engines: in-file
// The payment store's contract, on every engine: tokens, payments, their events and jobs read back as
// written; a change is serialised per payment across handles (a second process), commits its writes
// together or not at all; a due job is claimed by exactly one handle; the list filters and pages; the
// bounds on tokens (a session's limit, one saved card per customer and card, the purge, vault pages).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CardData } from '../../src/payments/model.ts';
import type { PaymentData } from '../../src/payments/payment.ts';
import fc from 'fast-check';
import type { StoredPayment, StoredToken, VaultCursor } from '../../src/payments/payment.store.ts';
import type { Store } from '../../src/storage/store.ts';
import { isWriteConflict } from '../../src/storage/unit-of-work.ts';
import { attemptLog } from '../../src/webhooks/attempt-log.ts';
import { VISA_CARD_DATA } from '../payments/support.ts';
import { T0, forEachEngine, withMerchants } from '../support/engines.ts';

const CARD: CardData = VISA_CARD_DATA;

const token = (over: Partial<StoredToken> = {}): StoredToken => ({
  token: 'tok_1',
  merchantId: 'mer_a',
  tokenType: 'SINGLE_USE',
  analyticsId: 'an_1',
  card: CARD,
  scenario: 'success',
  cvvGiven: true,
  isDefault: false,
  createdAt: T0,
  expiresAt: T0 + 86_400_000,
  ...over,
});

const data = (amount = 1000, over: Partial<PaymentData> = {}): PaymentData => ({
  orderId: 'order-1',
  currencyCode: 'EUR',
  customerId: 'cust-1',
  customer: { emailAddress: 'jane@example.com' },
  options: { authorizationType: 'FINAL' },
  paymentMethodToken: 'tok_1',
  tokenType: 'SINGLE_USE',
  isVaulted: false,
  analyticsId: 'an_1',
  card: CARD,
  scenario: 'success',
  cvvCheck: 'MATCHED',
  threeDS: { responseCode: 'NOT_PERFORMED' },
  processor: { name: 'KASSA_SANDBOX', processorMerchantId: 'kassa-sandbox' },
  machine: {
    status: 'AUTHORIZED',
    capturingOpen: true,
    authorizationType: 'FINAL',
    amount,
    amountCaptured: 0,
    amountRefunded: 0,
    captures: [],
  },
  transactions: [],
  ...over,
});

const payment = (over: Partial<StoredPayment> = {}): StoredPayment => ({
  id: 'pay_1',
  merchantId: 'mer_a',
  token: 'tok_1',
  status: 'AUTHORIZED',
  version: 1,
  createdAt: T0,
  updatedAt: T0,
  failedRequests: 0,
  data: data(),
  ...over,
});

async function seed(store: Store) {
  await withMerchants(store, 'mer_a', 'mer_b');
  await store.commit((uow) => {
    uow.payments.insertToken(token());
    uow.payments.insert(payment());
  });
}

forEachEngine('payment store', (_engine, fresh) => {
  test('tokens and payments read back as written; another merchant finds nothing', async () => {
    const { store } = await fresh();
    await seed(store);
    assert.deepEqual(await store.payments.findToken('tok_1'), token());
    assert.deepEqual(await store.payments.findById('mer_a', 'pay_1'), payment());
    assert.equal(await store.payments.findById('mer_b', 'pay_1'), undefined);
    assert.equal(await store.payments.findToken('tok_nope'), undefined);
  });

  test('a change sees the rows it names and commits the payment, its events and its jobs together', async () => {
    const { store } = await fresh();
    await seed(store);
    await store.payments.change({ kind: 'payment', merchantId: 'mer_a', paymentId: 'pay_1' }, (locked, uow) => {
      assert.equal(locked.payment?.id, 'pay_1');
      assert.equal(locked.token?.token, 'tok_1', "the payment's token is read with it");
      uow.payments.update({ ...locked.payment!, status: 'SETTLED', version: 2 });
      uow.payments.insertEvent({
        id: 'ev_1',
        merchantId: 'mer_a',
        paymentId: 'pay_1',
        type: 'PAYMENT.STATUS',
        status: 'SETTLED',
        version: 2,
        ordinal: 0,
        createdAt: T0,
        detail: { amount: 1000 },
      });
      uow.payments.scheduleJob({ id: 'job_1', merchantId: 'mer_a', paymentId: 'pay_1', kind: 'settle', runAt: T0 + 1000 });
    });
    assert.equal((await store.payments.findById('mer_a', 'pay_1'))?.status, 'SETTLED');
    assert.deepEqual(
      (await store.payments.events('mer_a', 'pay_1')).map((e) => [e.type, e.status, e.version, e.detail]),
      [['PAYMENT.STATUS', 'SETTLED', 2, { amount: 1000 }]],
    );
    assert.deepEqual(
      (await store.payments.dueJobs(T0 + 1000, 10)).map((j) => j.id),
      ['job_1'],
    );
    assert.deepEqual(await store.payments.dueJobs(T0 + 999, 10), [], 'not due before its time');
  });

  test('lapsedAuthorizations: capturable payments authorized by the bound on their merchant clock, oldest first; none with nothing to capture', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a', 'mer_b');
    const authorizedAt = (at: number): PaymentData['transactions'] => [
      {
        id: 'tx_1',
        type: 'SALE',
        date: at,
        amount: 1000,
        currencyCode: 'EUR',
        orderId: 'order-1',
        status: 'AUTHORIZED',
        events: [{ id: 'te_1', date: at, type: 'AUTHORIZATION_SUCCEEDED', amount: 1000 }],
      },
    ];
    const captured = data(1000, { transactions: authorizedAt(T0) });
    captured.machine = { ...captured.machine, status: 'SETTLED', capturingOpen: false, amountCaptured: 1000 };
    await store.commit((uow) => {
      uow.payments.insert(payment({ id: 'pay_late', data: data(1000, { transactions: authorizedAt(T0 + 20) }) }));
      uow.payments.insert(payment({ id: 'pay_early', data: data(1000, { transactions: authorizedAt(T0 + 10) }) }));
      uow.payments.insert(payment({ id: 'pay_other', merchantId: 'mer_b', data: data(1000, { transactions: authorizedAt(T0) }) }));
      uow.payments.insert(payment({ id: 'pay_captured', status: 'SETTLED', data: captured }));
      uow.payments.insert(payment({ id: 'pay_never', data: data() }));
    });
    const ids = async (by: number) => (await store.payments.lapsedAuthorizations(by, 10)).map((j) => `${j.kind} ${j.paymentId}`);
    assert.deepEqual(await ids(T0 - 1), []);
    assert.deepEqual(await ids(T0 + 10), ['expire-authorization pay_other', 'expire-authorization pay_early']);
    assert.deepEqual(await ids(T0 + 20), [
      'expire-authorization pay_other',
      'expire-authorization pay_early',
      'expire-authorization pay_late',
    ]);
    // mer_a's clock is 15 ms ahead: its authorizations lapse that much sooner.
    await store.sandboxClocks.advance('mer_a', 15, 10 ** 12, T0);
    assert.deepEqual(await ids(T0 + 5), [
      'expire-authorization pay_other',
      'expire-authorization pay_early',
      'expire-authorization pay_late',
    ]);
    // Captured in full: nothing left to expire, so it is found no more.
    await store.payments.change({ kind: 'payment', merchantId: 'mer_a', paymentId: 'pay_early' }, (locked, uow) => {
      const next = data(1000, { transactions: authorizedAt(T0 + 10) });
      next.machine = { ...next.machine, status: 'SETTLED', capturingOpen: false, amountCaptured: 1000 };
      uow.payments.update({ ...locked.payment!, status: 'SETTLED', version: 2, data: next });
    });
    assert.deepEqual(await ids(T0 + 5), ['expire-authorization pay_other', 'expire-authorization pay_late']);
  });

  test('a change that throws writes nothing; a stale version fails the whole unit', async () => {
    const { store } = await fresh();
    await seed(store);
    await assert.rejects(
      store.payments.change({ kind: 'payment', merchantId: 'mer_a', paymentId: 'pay_1' }, (locked, uow) => {
        uow.payments.update({ ...locked.payment!, status: 'CANCELLED', version: 2 });
        throw new Error('refused');
      }),
      /refused/,
    );
    await assert.rejects(
      store.commit((uow) => {
        uow.payments.insertEvent({
          id: 'ev_x',
          merchantId: 'mer_a',
          paymentId: 'pay_1',
          type: 'PAYMENT.STATUS',
          status: 'CANCELLED',
          version: 5,
          ordinal: 0,
          createdAt: T0,
          detail: {},
        });
        uow.payments.update(payment({ status: 'CANCELLED', version: 5 }));
      }),
    );
    assert.equal((await store.payments.findById('mer_a', 'pay_1'))?.status, 'AUTHORIZED');
    assert.deepEqual(await store.payments.events('mer_a', 'pay_1'), []);
  });

  test('one unit changing one token twice keeps both changes, and the fields neither names', async () => {
    const { store } = await fresh();
    await seed(store);
    await store.commit((uow) => uow.payments.updateToken('tok_1', { customerId: 'cust-1', isDefault: true }));
    await store.payments.change({ kind: 'token', token: 'tok_1' }, (_locked, uow) => {
      uow.payments.updateToken('tok_1', { usedAt: T0 + 1 });
      uow.payments.updateToken('tok_1', { sourceToken: 'tok_saved' });
    });
    assert.deepEqual(
      await store.payments.findToken('tok_1'),
      token({ customerId: 'cust-1', isDefault: true, usedAt: T0 + 1, sourceToken: 'tok_saved' }),
    );
  });

  test('a second write of one payment in one unit from a stale copy is refused as it is recorded, and nothing is written', async () => {
    const { store } = await fresh();
    await seed(store);
    let refusedAtRecord = false;
    await assert.rejects(
      store.payments.change({ kind: 'payment', merchantId: 'mer_a', paymentId: 'pay_1' }, (locked, uow) => {
        const stale = locked.payment!;
        uow.payments.update({ ...stale, status: 'SETTLED', version: 2 });
        try {
          uow.payments.update({ ...stale, status: 'CANCELLED', version: 2 });
        } catch (error) {
          refusedAtRecord = isWriteConflict(error);
          throw error;
        }
      }),
      isWriteConflict,
    );
    assert.equal(refusedAtRecord, true);
    assert.deepEqual(await store.payments.findById('mer_a', 'pay_1'), payment());
    // Writes that build on each other are one unit's right.
    await store.payments.change({ kind: 'payment', merchantId: 'mer_a', paymentId: 'pay_1' }, (locked, uow) => {
      const settling = { ...locked.payment!, status: 'SETTLING' as const, version: 2 };
      uow.payments.update(settling);
      uow.payments.update({ ...settling, status: 'SETTLED', version: 3 });
    });
    assert.deepEqual(
      [(await store.payments.findById('mer_a', 'pay_1'))?.status, (await store.payments.findById('mer_a', 'pay_1'))?.version],
      ['SETTLED', 3],
    );
  });

  test('changes to one payment from two handles (two processes) apply one after the other: none is lost', async () => {
    const { store, another } = await fresh();
    await seed(store);
    const other = await another();
    // Each change adds 10 to the captured amount on what it read: a lost update would show less.
    const capture = (s: Store) =>
      s.payments.change({ kind: 'payment', merchantId: 'mer_a', paymentId: 'pay_1' }, (locked, uow) => {
        const p = locked.payment!;
        const machine = { ...p.data.machine, amountCaptured: p.data.machine.amountCaptured + 10 };
        uow.payments.update({ ...p, version: p.version + 1, data: { ...p.data, machine } });
      });
    await Promise.all(Array.from({ length: 20 }, (_, i) => capture(i % 2 === 0 ? store : other)));
    const final = await store.payments.findById('mer_a', 'pay_1');
    assert.equal(final?.data.machine.amountCaptured, 200);
    assert.equal(final?.version, 21);
  });

  test('a due job is claimed by exactly one handle, and by nobody until its claim lapses', async () => {
    const { store, another } = await fresh();
    await seed(store);
    await store.commit((uow) =>
      uow.payments.scheduleJob({ id: 'job_1', merchantId: 'mer_a', paymentId: 'pay_1', kind: 'authorize', runAt: T0 }),
    );
    const other = await another();
    const claims = await Promise.all([store, other, store, other].map((s) => s.payments.claimJob('job_1', T0, T0 + 30_000)));
    assert.equal(claims.filter(Boolean).length, 1);
    assert.deepEqual(await store.payments.dueJobs(T0 + 29_999, 10), [], 'held while claimed');
    assert.equal((await store.payments.dueJobs(T0 + 30_000, 10)).length, 1, 'due again once the claim lapses');
    await store.commit((uow) => uow.payments.dropJobs('pay_1', 'authorize'));
    assert.deepEqual(await store.payments.dueJobs(T0 + 60_000, 10), []);
  });

  test('the vault: the first saved card of a customer is the default; setDefault moves it; deleted cards are not listed', async () => {
    const { store } = await fresh();
    await seed(store);
    const saved = (id: string, createdAt: number) =>
      token({ token: id, tokenType: 'MULTI_USE', customerId: 'cust-1', vaultedId: `vpm_${id}`, createdAt, expiresAt: undefined });
    await store.commit((uow) => uow.payments.insertToken(saved('tok_a', T0)));
    await store.commit((uow) => uow.payments.insertToken(saved('tok_b', T0 + 1)));
    let listed = await store.payments.vaulted('mer_a', 'cust-1', 100);
    assert.deepEqual(
      listed.map((t) => [t.token, t.isDefault]),
      [
        ['tok_b', false],
        ['tok_a', true],
      ],
    );
    await store.commit((uow) => uow.payments.setDefault('mer_a', 'cust-1', 'tok_b'));
    listed = await store.payments.vaulted('mer_a', 'cust-1', 100);
    assert.deepEqual(
      listed.map((t) => [t.token, t.isDefault]),
      [
        ['tok_b', true],
        ['tok_a', false],
      ],
    );
    await store.commit((uow) => uow.payments.updateToken(listed[0]!.token, { deletedAt: T0 + 2, isDefault: false }));
    assert.deepEqual(
      (await store.payments.vaulted('mer_a', 'cust-1', 100)).map((t) => t.token),
      ['tok_a'],
    );
    assert.equal((await store.payments.findVaultedById('mer_a', 'vpm_tok_a'))?.token, 'tok_a');
    assert.equal(await store.payments.findVaultedById('mer_b', 'vpm_tok_a'), undefined);
    assert.deepEqual(await store.payments.vaulted('mer_b', 'cust-1', 100), []);
  });

  test('the list: newest first, filters, pages by cursor both ways, one merchant only', async () => {
    const { store } = await fresh();
    await seed(store);
    await store.commit((uow) => {
      for (let i = 2; i <= 6; i++) {
        uow.payments.insert(
          payment({
            id: `pay_${i}`,
            createdAt: T0 + i,
            status: i % 2 === 0 ? 'SETTLED' : 'DECLINED',
            data: data(i * 100, { currencyCode: i === 6 ? 'GBP' : 'EUR' }),
          }),
        );
      }
      uow.payments.insert(payment({ id: 'pay_x', merchantId: 'mer_b', createdAt: T0 + 10 }));
    });
    const ids = (rows: StoredPayment[]) => rows.map((p) => p.id);
    assert.deepEqual(ids(await store.payments.list('mer_a', {}, 10)), ['pay_6', 'pay_5', 'pay_4', 'pay_3', 'pay_2', 'pay_1']);
    assert.deepEqual(ids(await store.payments.list('mer_a', { status: ['DECLINED'] }, 10)), ['pay_5', 'pay_3']);
    assert.deepEqual(ids(await store.payments.list('mer_a', { currencyCode: ['GBP'] }, 10)), ['pay_6']);
    assert.deepEqual(ids(await store.payments.list('mer_a', { minAmount: 300, maxAmount: 500 }, 10)), ['pay_5', 'pay_4', 'pay_3']);
    assert.deepEqual(ids(await store.payments.list('mer_a', { fromDate: T0 + 2, toDate: T0 + 3 }, 10)), ['pay_3', 'pay_2']);
    assert.deepEqual(ids(await store.payments.list('mer_a', { customerEmail: ['jane@example.com'], last4: ['1111'] }, 2)), [
      'pay_6',
      'pay_5',
    ]);
    const after = await store.payments.list('mer_a', {}, 2, { createdAt: T0 + 5, id: 'pay_5', backwards: false });
    assert.deepEqual(ids(after), ['pay_4', 'pay_3']);
    const before = await store.payments.list('mer_a', {}, 2, { createdAt: T0 + 4, id: 'pay_4', backwards: true });
    assert.deepEqual(ids(before), ['pay_6', 'pay_5']);
  });

  test('a refused action is counted beside the payment without changing it', async () => {
    const { store } = await fresh();
    await seed(store);
    assert.equal(await store.payments.countRefused('mer_a', 'pay_1'), 1);
    assert.equal(await store.payments.countRefused('mer_a', 'pay_1'), 2);
    const p = await store.payments.findById('mer_a', 'pay_1');
    assert.equal(p?.failedRequests, 2);
    assert.equal(p?.version, 1);
  });

  test('vault pages: every live saved card once, newest first (ties by vaulted id), whatever the page size', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    // Ten cards on four instants: ties on createdAt must neither repeat nor skip a card across pages.
    await store.commit((uow) => {
      for (let i = 0; i < 10; i++) {
        const id = `tok_v${i}`;
        uow.payments.insertToken(
          token({
            token: id,
            tokenType: 'MULTI_USE',
            customerId: 'cust-1',
            vaultedId: `vpm_v${i}`,
            createdAt: T0 + (i % 4),
            expiresAt: undefined,
          }),
        );
      }
      uow.payments.insertToken(
        token({ token: 'tok_other', tokenType: 'MULTI_USE', customerId: 'cust-2', vaultedId: 'vpm_other', expiresAt: undefined }),
      );
    });
    const all = (await store.payments.vaulted('mer_a', 'cust-1', 100)).map((t) => t.vaultedId);
    assert.equal(all.length, 10);
    const order = [...all].sort((a, b) => {
      const ca = Number(a!.slice(5)) % 4;
      const cb = Number(b!.slice(5)) % 4;
      return cb - ca || (a! < b! ? 1 : -1);
    });
    assert.deepEqual(all, order, 'newest first, then by vaulted id, descending');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 11 }), async (size) => {
        const seen: (string | undefined)[] = [];
        let after: VaultCursor | undefined;
        for (let pages = 0; pages < 20; pages++) {
          const page = await store.payments.vaulted('mer_a', 'cust-1', size, after);
          assert.ok(page.length <= size);
          seen.push(...page.map((t) => t.vaultedId));
          const last = page.at(-1);
          if (page.length < size || !last) break;
          after = { createdAt: last.createdAt, vaultedId: last.vaultedId! };
        }
        assert.deepEqual(seen, all);
      }),
      { numRuns: 11 },
    );
  });

  test("a 'session' change counts the session's tokens, one change at a time from two handles", async () => {
    const { store, another } = await fresh();
    await withMerchants(store, 'mer_a');
    const other = await another();
    // Each change adds a token only below 5, on the count it read: a stale count would let more in.
    const add = (s: Store, i: number) =>
      s.payments.change({ kind: 'session', sessionId: 'cs_1' }, (locked, uow) => {
        if ((locked.sessionTokens ?? 0) >= 5) throw new Error('limit');
        uow.payments.insertToken(token({ token: `tok_s${i}`, sessionId: 'cs_1' }));
      });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => add(i % 2 === 0 ? store : other, i)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
    const count = (sessionId: string) => store.payments.change({ kind: 'session', sessionId }, (locked) => locked.sessionTokens);
    assert.equal(await count('cs_1'), 5);
    assert.equal(await count('cs_2'), 0, 'another session has its own count');
  });

  test('one saved card per customer and fingerprint: a change that asks finds it, and a second live one is refused', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a', 'mer_b');
    const saved = (id: string, over: Partial<StoredToken> = {}) =>
      token({
        token: id,
        tokenType: 'MULTI_USE',
        customerId: 'cust-1',
        vaultedId: `vpm_${id}`,
        expiresAt: undefined,
        fingerprint: 'fp-1',
        ...over,
      });
    await store.commit((uow) => uow.payments.insertToken(saved('tok_a')));
    assert.equal((await store.payments.findToken('tok_a'))?.fingerprint, 'fp-1', 'the fingerprint reads back');
    const found = (customerId: string, fingerprint: string, merchantId = 'mer_a') =>
      store.payments.change(
        { kind: 'session', sessionId: 'cs_1', card: { merchantId, customerId, fingerprint } },
        (locked) => locked.sameCard?.token,
      );
    assert.equal(await found('cust-1', 'fp-1'), 'tok_a');
    assert.equal(await found('cust-2', 'fp-1'), undefined, 'another customer');
    assert.equal(await found('cust-1', 'fp-2'), undefined, 'another card');
    assert.equal(await found('cust-1', 'fp-1', 'mer_b'), undefined, 'another merchant');
    await assert.rejects(
      store.commit((uow) => uow.payments.insertToken(saved('tok_b'))),
      'a second live saved card of that card',
    );
    // Deleted, it no longer counts: the card can be saved again.
    await store.commit((uow) => uow.payments.updateToken('tok_a', { deletedAt: T0 + 1 }));
    assert.equal(await found('cust-1', 'fp-1'), undefined);
    await store.commit((uow) => uow.payments.insertToken(saved('tok_b')));
    // A token change asks for it through savedCardOf, with the token's own fingerprint.
    await store.commit((uow) => uow.payments.insertToken(token({ token: 'tok_single', sessionId: 'cs_1', fingerprint: 'fp-1' })));
    const viaToken = await store.payments.change(
      { kind: 'token', token: 'tok_single', savedCardOf: () => 'cust-1' },
      (l) => l.sameCard?.token,
    );
    assert.equal(viaToken, 'tok_b');
    const notAsked = await store.payments.change({ kind: 'token', token: 'tok_single' }, (l) => l.sameCard?.token);
    assert.equal(notAsked, undefined);
  });

  test('purgeExpiredTokens deletes expired SINGLE_USE tokens no payment references, in batches, and nothing else', async () => {
    const { store } = await fresh();
    await seed(store); // tok_1, expired at T0 + 1 day, paid with by pay_1
    const DAY = 86_400_000;
    await store.commit((uow) => {
      for (let i = 0; i < 5; i++) uow.payments.insertToken(token({ token: `tok_old${i}`, expiresAt: T0 + DAY }));
      uow.payments.insertToken(token({ token: 'tok_live', expiresAt: T0 + 3 * DAY }));
      uow.payments.insertToken(
        token({ token: 'tok_saved', tokenType: 'MULTI_USE', customerId: 'cust-1', vaultedId: 'vpm_s', expiresAt: undefined }),
      );
    });
    assert.equal(await store.payments.purgeExpiredTokens(T0 + DAY, 100), 0, 'not before they expire');
    assert.equal(await store.payments.purgeExpiredTokens(T0 + 2 * DAY, 3), 3, 'one batch at most');
    assert.equal(await store.payments.purgeExpiredTokens(T0 + 2 * DAY, 3), 2);
    assert.equal(await store.payments.purgeExpiredTokens(T0 + 2 * DAY, 3), 0);
    assert.ok(await store.payments.findToken('tok_1'), 'a token a payment references is kept');
    assert.ok(await store.payments.findToken('tok_live'));
    assert.ok(await store.payments.findToken('tok_saved'), 'saved cards never expire');
    assert.equal(await store.payments.findToken('tok_old0'), undefined);
  });

  test('purgeFinished deletes payments over before `before` with their events and deliveries, oldest first, at most `limit`; nothing still live', async () => {
    const { store } = await fresh();
    await seed(store);
    await store.webhooks.insertEndpoint({
      id: 'we_1',
      merchantId: 'mer_a',
      url: 'http://127.0.0.1:9/hook',
      events: ['PAYMENT.STATUS'],
      version: '2.4',
      secretSealed: 's1.sealed',
      createdAt: T0,
    });
    const machine = data().machine;
    const over = (id: string, status: StoredPayment['status'], updatedAt: number, capturingOpen = false) =>
      payment({ id, status, updatedAt, data: data(1000, { machine: { ...machine, status, capturingOpen } }) });
    const event = (paymentId: string) => ({
      id: `ev_${paymentId}`,
      merchantId: 'mer_a',
      paymentId,
      type: 'PAYMENT.STATUS' as const,
      status: 'SETTLED' as const,
      version: 2,
      ordinal: 0,
      createdAt: T0,
      detail: {},
    });
    const payments = [
      over('pay_settled', 'SETTLED', T0),
      over('pay_declined', 'DECLINED', T0 + 1),
      over('pay_partial_closed', 'PARTIALLY_SETTLED', T0 + 2),
      over('pay_partial_open', 'PARTIALLY_SETTLED', T0, true),
      over('pay_pending', 'PENDING', T0),
      over('pay_settling', 'SETTLING', T0),
      over('pay_recent', 'SETTLED', T0 + 100),
      over('pay_job', 'CANCELLED', T0),
      over('pay_retrying', 'FAILED', T0),
      over('pay_unfanned', 'CANCELLED', T0),
    ];
    await store.commit((uow) => {
      for (const p of payments) uow.payments.insert(p);
      for (const id of ['pay_settled', 'pay_declined', 'pay_retrying', 'pay_recent']) uow.payments.insertEvent(event(id));
      uow.payments.scheduleJob({ id: 'job_1', merchantId: 'mer_a', paymentId: 'pay_job', kind: 'settle', runAt: T0 + 10 ** 9 });
    });
    await store.webhooks.fanOut(100);
    const deliveries = await store.webhooks.dueDeliveries(T0, 10);
    for (const d of deliveries) {
      const retrying = d.subjectId === 'pay_retrying';
      // Recorded by the claim's holder, as the dispatcher does.
      assert.ok(await store.webhooks.claimDelivery(d.id, T0, T0 + 30_000));
      await store.webhooks.recordAttempt(
        { id: d.id, until: T0 + 30_000 },
        {
          status: retrying ? 'PENDING' : d.subjectId === 'pay_declined' ? 'FAILED' : 'DELIVERED',
          attempts: 1,
          nextAttemptAt: retrying ? T0 + 10_000 : T0,
          log: attemptLog({ at: T0, durationMs: 1, outcome: 'The receiver answered 200.' }),
        },
      );
    }
    // Its event still awaits its deliveries.
    await store.commit((uow) => uow.payments.insertEvent(event('pay_unfanned')));

    assert.deepEqual(await store.payments.purgeFinished(T0 + 100, 2), { payments: 2, events: 2, deliveries: 2 });
    assert.equal(await store.payments.findById('mer_a', 'pay_settled'), undefined, 'oldest first');
    assert.equal(await store.payments.findById('mer_a', 'pay_declined'), undefined);
    assert.deepEqual(await store.payments.events('mer_a', 'pay_settled'), []);
    const settledDelivery = deliveries.find((d) => d.subjectId === 'pay_settled')!;
    assert.deepEqual(await store.webhooks.attemptLog('mer_a', settledDelivery.id), [], "its deliveries' attempt logs too");
    assert.deepEqual(await store.payments.purgeFinished(T0 + 100, 10), { payments: 1, events: 0, deliveries: 0 });
    assert.deepEqual(await store.payments.purgeFinished(T0 + 100, 10), { payments: 0, events: 0, deliveries: 0 });
    const kept = [];
    for (const p of [payment(), ...payments]) if (await store.payments.findById('mer_a', p.id)) kept.push(p.id);
    assert.deepEqual(kept, [
      'pay_1',
      'pay_partial_open',
      'pay_pending',
      'pay_settling',
      'pay_recent',
      'pay_job',
      'pay_retrying',
      'pay_unfanned',
    ]);
    assert.deepEqual(
      (await store.webhooks.deliveries('mer_a', {}, 10)).map((d) => d.subjectId).sort(),
      ['pay_recent', 'pay_retrying'],
      "the purged payments' deliveries went with them",
    );
    assert.equal((await store.payments.events('mer_a', 'pay_unfanned')).length, 1);
  });
});
