// The payment store's contract, on every engine: tokens, payments, their events and jobs read back as
// written; a change is serialised per payment across handles (a second process), commits its writes
// together or not at all; a due job is claimed by exactly one handle; the list filters and pages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CardData } from '../../src/payments/model.ts';
import type { PaymentData } from '../../src/payments/payment.ts';
import type { StoredPayment, StoredToken } from '../../src/payments/payment.store.ts';
import type { Store } from '../../src/storage/store.ts';
import { isWriteConflict } from '../../src/storage/unit-of-work.ts';
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
    let listed = await store.payments.vaulted('mer_a', 'cust-1');
    assert.deepEqual(
      listed.map((t) => [t.token, t.isDefault]),
      [
        ['tok_b', false],
        ['tok_a', true],
      ],
    );
    await store.commit((uow) => uow.payments.setDefault('mer_a', 'cust-1', 'tok_b'));
    listed = await store.payments.vaulted('mer_a', 'cust-1');
    assert.deepEqual(
      listed.map((t) => [t.token, t.isDefault]),
      [
        ['tok_b', true],
        ['tok_a', false],
      ],
    );
    await store.commit((uow) => uow.payments.updateToken(listed[0]!.token, { deletedAt: T0 + 2, isDefault: false }));
    assert.deepEqual(
      (await store.payments.vaulted('mer_a', 'cust-1')).map((t) => t.token),
      ['tok_a'],
    );
    assert.equal((await store.payments.findVaultedById('mer_a', 'vpm_tok_a'))?.token, 'tok_a');
    assert.equal(await store.payments.findVaultedById('mer_b', 'vpm_tok_a'), undefined);
    assert.deepEqual(await store.payments.vaulted('mer_b', 'cust-1'), []);
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
});
