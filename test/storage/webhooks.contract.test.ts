// engines: in-file
// The webhook store's contract, on every engine: endpoints read back as written; a payment or session
// event is the outbox (docs/webhooks.md, "The outbox"): written in its change's unit of work, so a unit
// that fails leaves none, and fanned out later to one PENDING delivery per endpoint of the merchant
// subscribed to its type, once, whichever handle (process) does it; a due delivery is claimed by exactly
// one handle; attempts, redelivery, the list and the backlog.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { PaymentEvent } from '../../src/payments/payment.store.ts';
import type { SessionEvent } from '../../src/sessions/session.store.ts';
import type { Store } from '../../src/storage/store.ts';
import { isWriteConflict } from '../../src/storage/unit-of-work.ts';
import { attemptLog } from '../../src/webhooks/attempt-log.ts';
import { DISABLE_AFTER_FAILURES, DISABLE_AFTER_MS, disabledBy, healthChange } from '../../src/webhooks/endpoint-health.ts';
import {
  ATTEMPTS_KEPT,
  type AttemptResult,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEventType,
} from '../../src/webhooks/webhook.store.ts';
import { T0, forEachEngine, withMerchants } from '../support/engines.ts';

/** A time-ordered UUID (version 7). */
const DAY = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const endpoint = (over: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  id: 'we_1',
  merchantId: 'mer_a',
  url: 'http://127.0.0.1:9/hook',
  events: ['PAYMENT.STATUS', 'PAYMENT.REFUND'],
  version: '2.4',
  secretSealed: 's1.sealed-secret',
  createdAt: T0,
  ...over,
});

let seq = 0;
const paymentEvent = (over: Partial<PaymentEvent> = {}): PaymentEvent => ({
  id: `pev_${++seq}`,
  merchantId: 'mer_a',
  paymentId: 'pay_1',
  type: 'PAYMENT.STATUS',
  status: 'AUTHORIZED',
  version: 1,
  ordinal: 0,
  createdAt: T0,
  detail: { amount: 1000 },
  ...over,
});

const sessionEvent = (over: Partial<SessionEvent> = {}): SessionEvent => ({
  id: `sev_${++seq}`,
  merchantId: 'mer_a',
  sessionId: 'cs_1',
  type: 'CLIENT_SESSION.CREATED',
  version: 1,
  createdAt: T0,
  detail: { orderId: 'order-1' },
  ...over,
});

/** Records the event in a unit of work of its own, then fans out what awaits it (as the dispatcher does). */
async function recordPaymentEvent(store: Store, e: PaymentEvent) {
  await store.commit((uow) => uow.payments.insertEvent(e));
  await store.webhooks.fanOut(100);
}
async function recordSessionEvent(store: Store, e: SessionEvent) {
  await store.commit((uow) => uow.sessions.recordEvent(e));
  await store.webhooks.fanOut(100);
}

/** Every delivery of the merchant, as [endpoint, event, type, subject] sorted, for comparing fan-outs. */
async function fannedOut(store: Store, merchantId = 'mer_a') {
  const rows = await store.webhooks.deliveries(merchantId, {}, 100);
  return rows.map((d) => [d.endpointId, d.eventId, d.eventType, d.subjectId]).sort((a, b) => a.join().localeCompare(b.join()));
}

/** Endpoints that take every combination this suite needs, and two that must never get anything. */
async function seedEndpoints(store: Store) {
  await withMerchants(store, 'mer_a', 'mer_b');
  const made: [string, WebhookEventType[], Partial<WebhookEndpoint>?][] = [
    ['we_default', ['PAYMENT.STATUS', 'PAYMENT.REFUND']],
    ['we_refunds', ['PAYMENT.REFUND']],
    ['we_created', ['CLIENT_SESSION.CREATED']],
    ['we_sessions', ['CLIENT_SESSION.CREATED', 'CLIENT_SESSION.UPDATED']],
    ['we_deleted', ['PAYMENT.STATUS', 'PAYMENT.REFUND', 'CLIENT_SESSION.CREATED', 'CLIENT_SESSION.UPDATED'], { deletedAt: T0 }],
    ['we_other', ['PAYMENT.STATUS', 'PAYMENT.REFUND', 'CLIENT_SESSION.CREATED', 'CLIENT_SESSION.UPDATED'], { merchantId: 'mer_b' }],
  ];
  for (const [id, events, over] of made) await store.webhooks.insertEndpoint(endpoint({ id, events, ...over }));
}

/** One delivery to `we_1`, due at T0. */
async function oneDelivery(store: Store): Promise<WebhookDelivery> {
  await withMerchants(store, 'mer_a', 'mer_b');
  await store.webhooks.insertEndpoint(endpoint());
  await recordPaymentEvent(store, paymentEvent());
  const [d] = await store.webhooks.dueDeliveries(T0, 10);
  assert.ok(d);
  return d;
}

forEachEngine('webhook store', (_engine, fresh) => {
  test('endpoints read back as written; the list is live ones of the merchant, oldest first; a deleted one is still found by id', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a', 'mer_b');
    const full = endpoint({
      id: 'we_full',
      description: 'Orders service',
      events: ['CLIENT_SESSION.UPDATED'],
      version: '2.1',
      previousSecretSealed: 's1.old',
      previousUntil: T0 + 86_400_000,
    });
    await store.webhooks.insertEndpoint(endpoint({ id: 'we_2', createdAt: T0 + 2 }));
    await store.webhooks.insertEndpoint(full);
    await store.webhooks.insertEndpoint(endpoint({ id: 'we_b', merchantId: 'mer_b' }));
    assert.deepEqual(await store.webhooks.findEndpoint('mer_a', 'we_full'), full);
    assert.deepEqual(await store.webhooks.findEndpoint('mer_a', 'we_2'), endpoint({ id: 'we_2', createdAt: T0 + 2 }));
    assert.equal(await store.webhooks.findEndpoint('mer_b', 'we_full'), undefined, "another merchant's id finds nothing");
    assert.equal(await store.webhooks.findEndpoint('mer_a', 'we_nope'), undefined);
    assert.deepEqual(
      (await store.webhooks.endpoints('mer_a')).map((e) => e.id),
      ['we_full', 'we_2'],
    );

    const changed = { ...full, url: 'https://example.com/hooks', events: ['PAYMENT.STATUS'] as WebhookEventType[], deletedAt: T0 + 5 };
    delete changed.description;
    await store.webhooks.updateEndpoint(changed);
    assert.deepEqual(await store.webhooks.findEndpoint('mer_a', 'we_full'), changed);
    assert.deepEqual(
      (await store.webhooks.endpoints('mer_a')).map((e) => e.id),
      ['we_2'],
    );
    // An update names the merchant: another's cannot change it.
    await store.webhooks.updateEndpoint({ ...endpoint({ id: 'we_b' }), url: 'http://evil.example/' });
    assert.equal((await store.webhooks.findEndpoint('mer_b', 'we_b'))?.url, 'http://127.0.0.1:9/hook');
  });

  test("a payment event fans out to the merchant's live endpoints that take its type, one PENDING delivery each, due at once", async () => {
    const { store } = await fresh();
    await seedEndpoints(store);
    const status = paymentEvent({ type: 'PAYMENT.STATUS', createdAt: T0 + 7 });
    const refund = paymentEvent({ type: 'PAYMENT.REFUND', status: 'SETTLED', createdAt: T0 + 8 });
    await recordPaymentEvent(store, status);
    await recordPaymentEvent(store, refund);
    assert.deepEqual(await fannedOut(store), [
      ['we_default', status.id, 'PAYMENT.STATUS', 'pay_1'],
      ['we_default', refund.id, 'PAYMENT.REFUND', 'pay_1'],
      ['we_refunds', refund.id, 'PAYMENT.REFUND', 'pay_1'],
    ]);
    assert.deepEqual(await fannedOut(store, 'mer_b'), [], "another merchant's endpoint gets nothing");
    const first = (await store.webhooks.deliveries('mer_a', {}, 100)).find((d) => d.eventId === status.id);
    assert.ok(first);
    assert.match(first.id, UUID);
    assert.deepEqual(
      { ...first, id: 'x' },
      {
        id: 'x',
        merchantId: 'mer_a',
        endpointId: 'we_default',
        eventId: status.id,
        eventType: 'PAYMENT.STATUS',
        subjectId: 'pay_1',
        status: 'PENDING',
        attempts: 0,
        nextAttemptAt: T0 + 7,
        createdAt: T0 + 7,
      },
    );
    const ids = (await store.webhooks.deliveries('mer_a', {}, 100)).map((d) => d.id);
    assert.equal(new Set(ids).size, 3, 'each delivery has an id of its own');
    assert.deepEqual((await store.webhooks.dueDeliveries(T0 + 6, 10)).length, 0, 'not due before the event');
    assert.deepEqual((await store.webhooks.dueDeliveries(T0 + 8, 10)).length, 3);
  });

  test('a session event fans out only to endpoints that asked for session events', async () => {
    const { store } = await fresh();
    await seedEndpoints(store);
    const created = sessionEvent({ type: 'CLIENT_SESSION.CREATED' });
    const updated = sessionEvent({ type: 'CLIENT_SESSION.UPDATED', version: 2, detail: { amount: { from: 1, to: 2 } } });
    await recordSessionEvent(store, created);
    await recordSessionEvent(store, updated);
    assert.deepEqual(await fannedOut(store), [
      ['we_created', created.id, 'CLIENT_SESSION.CREATED', 'cs_1'],
      ['we_sessions', created.id, 'CLIENT_SESSION.CREATED', 'cs_1'],
      ['we_sessions', updated.id, 'CLIENT_SESSION.UPDATED', 'cs_1'],
    ]);
    assert.deepEqual(
      (await store.sessions.events('mer_a', 'cs_1')).map((e) => [e.type, e.version, e.detail]),
      [
        ['CLIENT_SESSION.CREATED', 1, { orderId: 'order-1' }],
        ['CLIENT_SESSION.UPDATED', 2, { amount: { from: 1, to: 2 } }],
      ],
    );
    assert.deepEqual(await store.sessions.events('mer_b', 'cs_1'), [], "another merchant's history is empty");
  });

  test('an endpoint deleted, or made, after an event changes nothing already fanned out; later events follow the live set', async () => {
    const { store } = await fresh();
    await seedEndpoints(store);
    const before = paymentEvent();
    await recordPaymentEvent(store, before);
    await store.webhooks.updateEndpoint({ ...(await store.webhooks.findEndpoint('mer_a', 'we_default'))!, deletedAt: T0 + 1 });
    await store.webhooks.insertEndpoint(endpoint({ id: 'we_late', events: ['PAYMENT.STATUS'] }));
    const after = paymentEvent();
    await recordPaymentEvent(store, after);
    assert.deepEqual(await fannedOut(store), [
      ['we_default', before.id, 'PAYMENT.STATUS', 'pay_1'],
      ['we_late', after.id, 'PAYMENT.STATUS', 'pay_1'],
    ]);
  });

  test('an event gets its deliveries when it is fanned out, once, in groups of `limit`; from the endpoints live then and made no later than it', async () => {
    const { store } = await fresh();
    await seedEndpoints(store);
    const first = paymentEvent({ createdAt: T0 + 1 });
    const second = paymentEvent({ createdAt: T0 + 2, paymentId: 'pay_2' });
    const session = sessionEvent({ createdAt: T0 + 3 });
    await store.commit((uow) => {
      uow.payments.insertEvent(first);
      uow.payments.insertEvent(second);
      uow.sessions.recordEvent(session);
    });
    assert.deepEqual(await fannedOut(store), [], 'nothing before the fan-out');
    assert.deepEqual(await store.webhooks.backlog(), { pending: 3, oldestCreatedAt: T0 + 1 }, 'events awaiting fan-out are backlog');
    // Made after the events: it gets none of them.
    await store.webhooks.insertEndpoint(endpoint({ id: 'we_late', events: ['PAYMENT.STATUS'], createdAt: T0 + 5 }));
    assert.equal(await store.webhooks.fanOut(1), 2, 'the oldest payment event and the oldest session event');
    assert.deepEqual(await fannedOut(store), [
      ['we_created', session.id, 'CLIENT_SESSION.CREATED', 'cs_1'],
      ['we_default', first.id, 'PAYMENT.STATUS', 'pay_1'],
      ['we_sessions', session.id, 'CLIENT_SESSION.CREATED', 'cs_1'],
    ]);
    assert.equal(await store.webhooks.fanOut(100), 1);
    assert.equal(await store.webhooks.fanOut(100), 0, 'each event once');
    assert.equal((await fannedOut(store)).length, 4);
    // An event of a merchant without a matching endpoint never awaits anything.
    await withMerchants(store, 'mer_c');
    await store.commit((uow) => uow.payments.insertEvent(paymentEvent({ merchantId: 'mer_c', type: 'PAYMENT.REFUND' })));
    await store.commit((uow) =>
      uow.sessions.recordEvent(sessionEvent({ type: 'CLIENT_SESSION.UPDATED', merchantId: 'mer_a', sessionId: 'cs_2' })),
    );
    const backlog = await store.webhooks.backlog();
    assert.equal(backlog.pending, 4 + 1, 'the four deliveries, and the UPDATED event we_sessions takes');
  });

  test('events of the same millisecond fanned out a few at a time: each once, none left behind', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    await store.webhooks.insertEndpoint(endpoint());
    await store.commit((uow) => {
      for (let i = 0; i < 30; i++) uow.payments.insertEvent(paymentEvent({ paymentId: `pay_${i}`, createdAt: T0 }));
    });
    let total = 0;
    for (let n = await store.webhooks.fanOut(7); n > 0; n = await store.webhooks.fanOut(7)) total += n;
    assert.equal(total, 30);
    const made = await store.webhooks.deliveries('mer_a', {}, 100);
    assert.equal(new Set(made.map((d) => d.eventId)).size, 30);
    assert.equal(made.length, 30);
  });

  test('two handles (two processes) fanning out at once make each delivery once', async () => {
    const { store, another } = await fresh();
    await withMerchants(store, 'mer_a');
    await store.webhooks.insertEndpoint(endpoint());
    await store.commit((uow) => {
      for (let i = 0; i < 60; i++) uow.payments.insertEvent(paymentEvent({ paymentId: `pay_${i}`, createdAt: T0 + i }));
    });
    const other = await another();
    const counts = await Promise.all([store, other, store, other].map((s) => s.webhooks.fanOut(20)));
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      60,
      `every event once (${counts})`,
    );
    const made = await store.webhooks.deliveries('mer_a', {}, 100);
    assert.equal(made.length, 60);
    assert.equal(new Set(made.map((d) => d.eventId)).size, 60);
  });

  test('a unit that fails after recording an event leaves neither the event nor its deliveries', async () => {
    const { store } = await fresh();
    await seedEndpoints(store);
    // A write that fails in the database after the event's writes ran (a stale session version).
    const stale = {
      id: 'cs_missing',
      merchantId: 'mer_a',
      accessTokenHash: 'h',
      data: {},
      version: 2,
      createdAt: T0,
      updatedAt: T0,
      expiresAt: T0 + 1,
    };
    await assert.rejects(
      store.commit((uow) => {
        uow.payments.insertEvent(paymentEvent({ type: 'PAYMENT.REFUND' }));
        uow.sessions.recordEvent(sessionEvent({ type: 'CLIENT_SESSION.UPDATED' }));
        uow.sessions.update(stale);
      }),
      (error) => isWriteConflict(error),
    );
    // A decision that throws after recording.
    await assert.rejects(
      store.commit((uow) => {
        uow.payments.insertEvent(paymentEvent());
        throw new Error('refused');
      }),
      /refused/,
    );
    await assert.rejects(
      store.payments.change({ kind: 'payment', merchantId: 'mer_a', paymentId: 'pay_1' }, (_locked, uow) => {
        uow.payments.insertEvent(paymentEvent());
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.equal(await store.webhooks.fanOut(100), 0);
    assert.deepEqual(await fannedOut(store), []);
    assert.deepEqual(await store.payments.events('mer_a', 'pay_1'), []);
    assert.deepEqual(await store.sessions.events('mer_a', 'cs_1'), []);
    assert.deepEqual(await store.webhooks.backlog(), { pending: 0 });
  });

  test('a due delivery is claimed by exactly one of two handles (two processes), and by nobody until the claim lapses', async () => {
    const { store, another } = await fresh();
    const d = await oneDelivery(store);
    const other = await another();
    const claims = await Promise.all(
      [store, other, store, other, other, store].map((s) => s.webhooks.claimDelivery(d.id, T0, T0 + 30_000)),
    );
    assert.equal(claims.filter(Boolean).length, 1);
    assert.deepEqual(await other.webhooks.dueDeliveries(T0 + 29_999, 10), [], 'held while claimed');
    assert.equal(await other.webhooks.claimDelivery(d.id, T0 + 29_999, T0 + 60_000), undefined);
    // A process that died mid-send leaves its claim to lapse: the delivery is due again, for anyone.
    assert.deepEqual(
      (await other.webhooks.dueDeliveries(T0 + 30_000, 10)).map((x) => x.id),
      [d.id],
    );
    assert.deepEqual(await other.webhooks.claimDelivery(d.id, T0 + 30_000, T0 + 60_000), d, 'the delivery as claimed');
  });

  test('many due deliveries claimed from two handles at once: each goes to exactly one', async () => {
    const { store, another } = await fresh();
    await withMerchants(store, 'mer_a');
    await store.webhooks.insertEndpoint(endpoint());
    await store.commit((uow) => {
      for (let i = 0; i < 40; i++) uow.payments.insertEvent(paymentEvent({ paymentId: `pay_${i}` }));
    });
    assert.equal(await store.webhooks.fanOut(100), 40);
    const other = await another();
    const due = await store.webhooks.dueDeliveries(T0, 100);
    assert.equal(due.length, 40);
    const [mine, theirs] = await Promise.all(
      [store, other].map((s) => Promise.all(due.map((d) => s.webhooks.claimDelivery(d.id, T0, T0 + 30_000)))),
    );
    for (let i = 0; i < due.length; i++) assert.notEqual(!mine![i], !theirs![i], `delivery ${i} claimed by exactly one`);
  });

  test('recordAttempt: a retry is PENDING and not due before its time; DELIVERED and FAILED are never due again', async () => {
    const { store } = await fresh();
    const d = await oneDelivery(store);
    assert.ok(await store.webhooks.claimDelivery(d.id, T0, T0 + 30_000));
    await store.webhooks.recordAttempt(
      { id: d.id, until: T0 + 30_000 },
      {
        status: 'PENDING',
        attempts: 1,
        nextAttemptAt: T0 + 10_000,
        lastStatusCode: 503,
        lastError: 'The receiver answered 503.',
      },
    );
    assert.deepEqual(await store.webhooks.findDelivery('mer_a', d.id), {
      ...d,
      attempts: 1,
      nextAttemptAt: T0 + 10_000,
      lastStatusCode: 503,
      lastError: 'The receiver answered 503.',
    });
    assert.deepEqual(await store.webhooks.dueDeliveries(T0 + 9_999, 10), []);
    // The claim is released with the attempt: the retry is due at its time, not when the claim would have lapsed.
    assert.deepEqual(
      (await store.webhooks.dueDeliveries(T0 + 10_000, 10)).map((x) => x.id),
      [d.id],
    );
    assert.ok(await store.webhooks.claimDelivery(d.id, T0 + 10_000, T0 + 40_000));
    await store.webhooks.recordAttempt(
      { id: d.id, until: T0 + 40_000 },
      {
        status: 'DELIVERED',
        attempts: 2,
        nextAttemptAt: T0 + 10_005,
        lastStatusCode: 204,
        deliveredAt: T0 + 10_005,
      },
    );
    const delivered = await store.webhooks.findDelivery('mer_a', d.id);
    assert.deepEqual(delivered, {
      ...d,
      status: 'DELIVERED',
      attempts: 2,
      nextAttemptAt: T0 + 10_005,
      lastStatusCode: 204,
      deliveredAt: T0 + 10_005,
    });
    assert.deepEqual(await store.webhooks.dueDeliveries(T0 + 10 * 86_400_000, 10), []);
    assert.equal(
      await store.webhooks.claimDelivery(d.id, T0 + 10 * 86_400_000, T0 + 11 * 86_400_000),
      undefined,
      'a delivered one cannot be claimed',
    );
    assert.equal(await store.webhooks.findDelivery('mer_b', d.id), undefined, "another merchant's id finds nothing");
  });

  test('purgeFinished deletes DELIVERED and FAILED deliveries last attempted before `before`, oldest first, at most `limit`; PENDING ones stay', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a', 'mer_b');
    await store.webhooks.insertEndpoint(endpoint());
    for (const paymentId of ['pay_delivered', 'pay_failed', 'pay_retrying', 'pay_claimed', 'pay_recent']) {
      await recordPaymentEvent(store, paymentEvent({ paymentId }));
    }
    const bySubject = new Map((await store.webhooks.dueDeliveries(T0, 10)).map((d) => [d.subjectId, d.id]));
    const attempt = async (subject: string, status: 'DELIVERED' | 'FAILED' | 'PENDING', at: number) => {
      const id = bySubject.get(subject)!;
      assert.ok(await store.webhooks.claimDelivery(id, T0, T0 + 1));
      const log = attemptLog({ at, durationMs: 1, outcome: 'The receiver answered 200.' });
      assert.ok(await store.webhooks.recordAttempt({ id, until: T0 + 1 }, { status, attempts: 1, nextAttemptAt: at, log }));
    };
    await attempt('pay_delivered', 'DELIVERED', T0 + 10);
    await attempt('pay_failed', 'FAILED', T0 + 20);
    await attempt('pay_retrying', 'PENDING', T0 + 5);
    await attempt('pay_recent', 'DELIVERED', T0 + 100);
    assert.ok(await store.webhooks.claimDelivery(bySubject.get('pay_claimed')!, T0, T0 + 30_000));

    assert.equal(await store.webhooks.purgeFinished(T0 + 100, 1), 1);
    assert.equal(await store.webhooks.findDelivery('mer_a', bySubject.get('pay_delivered')!), undefined, 'oldest first');
    assert.deepEqual(await store.webhooks.attemptLog('mer_a', bySubject.get('pay_delivered')!), [], 'its attempt log went with it');
    assert.equal((await store.webhooks.attemptLog('mer_a', bySubject.get('pay_failed')!)).length, 1, 'not yet');
    assert.equal(await store.webhooks.purgeFinished(T0 + 100, 10), 1);
    assert.equal(await store.webhooks.purgeFinished(T0 + 100, 10), 0);
    assert.deepEqual((await store.webhooks.deliveries('mer_a', {}, 10)).map((d) => d.subjectId).sort(), [
      'pay_claimed',
      'pay_recent',
      'pay_retrying',
    ]);
  });

  test('a claim made from a stale list does not take a retry before it is due (the other process just tried it)', async () => {
    const { store, another } = await fresh();
    const d = await oneDelivery(store);
    const other = await another();
    // Both processes list the due delivery; one claims, sends, fails and schedules the retry.
    const seenByOther = await other.webhooks.dueDeliveries(T0, 10);
    assert.deepEqual(
      seenByOther.map((x) => x.id),
      [d.id],
    );
    assert.ok(await store.webhooks.claimDelivery(d.id, T0, T0 + 30_000));
    await store.webhooks.recordAttempt(
      { id: d.id, until: T0 + 30_000 },
      { status: 'PENDING', attempts: 1, nextAttemptAt: T0 + 10_000, lastStatusCode: 500 },
    );
    // The other claims from what it listed: the retry is not due, so it must not win it.
    assert.equal(await other.webhooks.claimDelivery(d.id, T0 + 1, T0 + 30_001), undefined);
    assert.equal((await store.webhooks.findDelivery('mer_a', d.id))?.attempts, 1);
  });

  test('requeue makes a delivery PENDING and due now, keeps its attempts and id; only for its merchant', async () => {
    const { store } = await fresh();
    const d = await oneDelivery(store);
    assert.ok(await store.webhooks.claimDelivery(d.id, T0, T0 + 30_000));
    await store.webhooks.recordAttempt(
      { id: d.id, until: T0 + 30_000 },
      {
        status: 'FAILED',
        attempts: 6,
        nextAttemptAt: T0 + 5,
        lastError: 'Could not reach the receiver (ECONNREFUSED).',
      },
    );
    assert.equal(await store.webhooks.requeue('mer_b', d.id, T0 + 100), false);
    assert.equal(await store.webhooks.requeue('mer_a', 'no-such-delivery', T0 + 100), false);
    assert.equal((await store.webhooks.findDelivery('mer_a', d.id))?.status, 'FAILED');
    assert.equal(await store.webhooks.requeue('mer_a', d.id, T0 + 100), true);
    const requeued = await store.webhooks.findDelivery('mer_a', d.id);
    assert.deepEqual(requeued, { ...d, attempts: 6, nextAttemptAt: T0 + 100, lastError: 'Could not reach the receiver (ECONNREFUSED).' });
    assert.deepEqual(
      (await store.webhooks.dueDeliveries(T0 + 100, 10)).map((x) => x.id),
      [d.id],
    );

    // A delivered one goes again too (a receiver that lost it), and its deliveredAt is cleared.
    assert.ok(await store.webhooks.claimDelivery(d.id, T0 + 100, T0 + 30_100));
    await store.webhooks.recordAttempt(
      { id: d.id, until: T0 + 30_100 },
      {
        status: 'DELIVERED',
        attempts: 7,
        nextAttemptAt: T0 + 101,
        lastStatusCode: 200,
        deliveredAt: T0 + 101,
      },
    );
    assert.equal(await store.webhooks.requeue('mer_a', d.id, T0 + 200), true);
    const again = await store.webhooks.findDelivery('mer_a', d.id);
    assert.equal(again?.status, 'PENDING');
    assert.equal(again?.deliveredAt, undefined);
  });

  test('the delivery list: newest first, filtered by status, endpoint and subject, limited, one merchant only', async () => {
    const { store } = await fresh();
    await seedEndpoints(store);
    for (let i = 0; i < 4; i++) {
      await recordPaymentEvent(store, paymentEvent({ paymentId: `pay_${i}`, type: 'PAYMENT.REFUND', createdAt: T0 + i }));
    }
    await recordSessionEvent(store, sessionEvent({ createdAt: T0 + 10 }));
    const all = await store.webhooks.deliveries('mer_a', {}, 100);
    assert.equal(all.length, 4 * 2 + 2);
    assert.deepEqual(
      all.map((d) => d.createdAt),
      [...all.map((d) => d.createdAt)].sort((a, b) => b - a),
      'newest first',
    );
    assert.deepEqual(
      (await store.webhooks.deliveries('mer_a', { endpointId: 'we_refunds' }, 100)).map((d) => d.subjectId),
      ['pay_3', 'pay_2', 'pay_1', 'pay_0'],
    );
    assert.deepEqual((await store.webhooks.deliveries('mer_a', { subjectId: 'pay_2' }, 100)).map((d) => d.endpointId).sort(), [
      'we_default',
      'we_refunds',
    ]);
    assert.deepEqual(
      (await store.webhooks.deliveries('mer_a', { subjectId: 'cs_1', endpointId: 'we_sessions' }, 100)).map((d) => d.eventType),
      ['CLIENT_SESSION.CREATED'],
    );
    assert.equal((await store.webhooks.deliveries('mer_a', {}, 3)).length, 3);
    const [top] = all;
    assert.ok(await store.webhooks.claimDelivery(top!.id, T0 + 10, T0 + 100));
    await store.webhooks.recordAttempt({ id: top!.id, until: T0 + 100 }, { status: 'FAILED', attempts: 6, nextAttemptAt: T0 + 11 });
    assert.deepEqual(
      (await store.webhooks.deliveries('mer_a', { status: 'FAILED' }, 100)).map((d) => d.id),
      [top!.id],
    );
    assert.equal((await store.webhooks.deliveries('mer_a', { status: 'PENDING' }, 100)).length, all.length - 1);
    assert.deepEqual(await store.webhooks.deliveries('mer_b', {}, 100), []);
  });

  test('a claim is renewed only by its holder; after it lapsed and another took it, the first can neither renew nor record', async () => {
    const { store, another } = await fresh();
    const d = await oneDelivery(store);
    const other = await another();
    const mine = { id: d.id, until: T0 + 5_000 };
    assert.ok(await store.webhooks.claimDelivery(d.id, T0, mine.until));
    // Renewed while the send lasts: not due to anyone past the first lease.
    assert.deepEqual(await store.webhooks.renewClaims([mine], T0 + 8_000), [d.id]);
    mine.until = T0 + 8_000;
    assert.equal(await other.webhooks.claimDelivery(d.id, T0 + 6_000, T0 + 11_000), undefined, 'held past its first lease');
    assert.deepEqual(await other.webhooks.dueDeliveries(T0 + 6_000, 10), []);
    // The holder stalls past its lease: the other process takes the delivery over, with a later token.
    const theirs = { id: d.id, until: T0 + 13_000 };
    assert.ok(await other.webhooks.claimDelivery(d.id, T0 + 8_000, theirs.until));
    assert.deepEqual(await store.webhooks.renewClaims([mine], T0 + 12_000), [], 'the stale holder cannot renew');
    const result = { status: 'DELIVERED', attempts: 1, nextAttemptAt: T0 + 9_000, lastStatusCode: 200, deliveredAt: T0 + 9_000 } as const;
    assert.equal(await store.webhooks.recordAttempt(mine, result), false, 'nor record');
    assert.deepEqual(await store.webhooks.findDelivery('mer_a', d.id), d, 'nothing written');
    assert.equal(await other.webhooks.recordAttempt(theirs, result), true);
    assert.equal((await store.webhooks.findDelivery('mer_a', d.id))?.status, 'DELIVERED');
    // Recorded once: the released claim's token is not the stale holder's either.
    assert.equal(await store.webhooks.recordAttempt(mine, { ...result, attempts: 2 }), false);
    assert.equal((await store.webhooks.findDelivery('mer_a', d.id))?.attempts, 1);
  });

  test("a claim that lapsed but that nobody took over is still its holder's: renewed and recorded", async () => {
    const { store } = await fresh();
    const d = await oneDelivery(store);
    const mine = { id: d.id, until: T0 + 5_000 };
    assert.ok(await store.webhooks.claimDelivery(d.id, T0, mine.until));
    assert.deepEqual(await store.webhooks.renewClaims([mine, { id: 'no-such-delivery', until: T0 + 5_000 }], T0 + 20_000), [d.id]);
    assert.equal(
      await store.webhooks.recordAttempt({ id: d.id, until: T0 + 20_000 }, { status: 'FAILED', attempts: 1, nextAttemptAt: T0 + 20_000 }),
      true,
    );
  });

  test('requeue leaves a claim in progress to its holder: nobody else takes the delivery, and the holder records', async () => {
    const { store, another } = await fresh();
    const d = await oneDelivery(store);
    const other = await another();
    const mine = { id: d.id, until: T0 + 5_000 };
    assert.ok(await store.webhooks.claimDelivery(d.id, T0, mine.until));
    assert.equal(await other.webhooks.requeue('mer_a', d.id, T0 + 1), true);
    assert.equal(await other.webhooks.claimDelivery(d.id, T0 + 1, T0 + 5_001), undefined);
    assert.equal(
      await store.webhooks.recordAttempt(mine, { status: 'DELIVERED', attempts: 1, nextAttemptAt: T0 + 2, deliveredAt: T0 + 2 }),
      true,
    );
  });

  test("due deliveries in turns: every endpoint's oldest before any second, merchants alternating, at most perEndpoint each", async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a', 'mer_b');
    for (const id of ['we_b1', 'we_b2', 'we_b3']) await store.webhooks.insertEndpoint(endpoint({ id, merchantId: 'mer_b' }));
    await store.webhooks.insertEndpoint(endpoint({ id: 'we_a1' }));
    // Merchant B's events are all older than A's: oldest first alone would send B's nine first.
    for (let i = 0; i < 3; i++)
      await recordPaymentEvent(store, paymentEvent({ merchantId: 'mer_b', paymentId: `pay_b${i}`, createdAt: T0 + i }));
    for (let i = 0; i < 3; i++) await recordPaymentEvent(store, paymentEvent({ paymentId: `pay_a${i}`, createdAt: T0 + 10 + i }));
    const due = await store.webhooks.dueDeliveries(T0 + 20, 100, 2);
    // Turn one: each merchant's first endpoint (older first), then B's others; turn two the same.
    assert.deepEqual(
      due.map((d) => `${d.merchantId} ${d.subjectId}`),
      ['mer_b pay_b0', 'mer_a pay_a0', 'mer_b pay_b0', 'mer_b pay_b0', 'mer_b pay_b1', 'mer_a pay_a1', 'mer_b pay_b1', 'mer_b pay_b1'],
    );
    for (const turn of [due.slice(0, 4), due.slice(4)]) {
      assert.deepEqual(turn.map((d) => d.endpointId).sort(), ['we_a1', 'we_b1', 'we_b2', 'we_b3'], 'each endpoint once a turn');
    }
    assert.deepEqual(
      (await store.webhooks.dueDeliveries(T0 + 20, 2, 2)).map((d) => d.merchantId).sort(),
      ['mer_a', 'mer_b'],
      'the first two: one of each merchant',
    );
  });

  test('due deliveries come oldest first, at most `limit`', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a');
    await store.webhooks.insertEndpoint(endpoint());
    for (const at of [T0 + 30, T0 + 10, T0 + 20]) await recordPaymentEvent(store, paymentEvent({ paymentId: `pay_${at}`, createdAt: at }));
    assert.deepEqual(
      (await store.webhooks.dueDeliveries(T0 + 30, 10)).map((d) => d.nextAttemptAt),
      [T0 + 10, T0 + 20, T0 + 30],
    );
    assert.deepEqual(
      (await store.webhooks.dueDeliveries(T0 + 30, 2)).map((d) => d.nextAttemptAt),
      [T0 + 10, T0 + 20],
    );
  });

  test('the backlog counts undelivered deliveries (PENDING, claimed or not) and names the oldest', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a', 'mer_b');
    assert.deepEqual(await store.webhooks.backlog(), { pending: 0 });
    await store.webhooks.insertEndpoint(endpoint());
    await store.webhooks.insertEndpoint(endpoint({ id: 'we_b', merchantId: 'mer_b' }));
    await recordPaymentEvent(store, paymentEvent({ createdAt: T0 + 5 }));
    await recordPaymentEvent(store, paymentEvent({ merchantId: 'mer_b', createdAt: T0 + 3 }));
    await recordPaymentEvent(store, paymentEvent({ createdAt: T0 + 9 }));
    assert.deepEqual(await store.webhooks.backlog(), { pending: 3, oldestCreatedAt: T0 + 3 });
    const [oldest] = await store.webhooks.dueDeliveries(T0 + 10, 1);
    assert.ok(await store.webhooks.claimDelivery(oldest!.id, T0 + 10, T0 + 100));
    assert.deepEqual(await store.webhooks.backlog(), { pending: 3, oldestCreatedAt: T0 + 3 }, 'a claimed one is still undelivered');
    await store.webhooks.recordAttempt(
      { id: oldest!.id, until: T0 + 100 },
      { status: 'DELIVERED', attempts: 1, nextAttemptAt: T0 + 10, deliveredAt: T0 + 10 },
    );
    assert.deepEqual(await store.webhooks.backlog(), { pending: 2, oldestCreatedAt: T0 + 5 });
  });

  test('the endpoint cap: an insert past maxLive live endpoints is refused and writes nothing; deleted ones do not count', async () => {
    const { store } = await fresh();
    await withMerchants(store, 'mer_a', 'mer_b');
    assert.equal(await store.webhooks.insertEndpoint(endpoint({ id: 'we_1' }), 2), true);
    assert.equal(await store.webhooks.insertEndpoint(endpoint({ id: 'we_2', deletedAt: T0 }), 2), true);
    assert.equal(await store.webhooks.insertEndpoint(endpoint({ id: 'we_3' }), 2), true);
    assert.equal(await store.webhooks.insertEndpoint(endpoint({ id: 'we_4' }), 2), false);
    assert.equal(await store.webhooks.findEndpoint('mer_a', 'we_4'), undefined, 'nothing written');
    assert.equal(await store.webhooks.insertEndpoint(endpoint({ id: 'we_b', merchantId: 'mer_b' }), 2), true, 'per merchant');
    assert.equal(await store.webhooks.insertEndpoint(endpoint({ id: 'we_5' })), true, 'no cap without maxLive');
  });

  test('the endpoint cap holds for creations at once from two handles (two processes): never more than maxLive', async () => {
    const { store, another } = await fresh();
    await withMerchants(store, 'mer_a');
    const other = await another();
    const made = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? other : store).webhooks.insertEndpoint(endpoint({ id: `we_${i}` }), 5)),
    );
    assert.equal(made.filter(Boolean).length, 5);
    assert.equal((await store.webhooks.endpoints('mer_a')).length, 5);
  });

  /** Records an attempt as the dispatcher does: as the holder of a claim taken just before (due or not). */
  const recordHeld = async (store: Store, id: string, result: AttemptResult) => {
    const now = Number.MAX_SAFE_INTEGER - 1;
    assert.ok(await store.webhooks.claimDelivery(id, now, now + 1), 'claimed');
    assert.ok(await store.webhooks.recordAttempt({ id, until: now + 1 }, result), 'recorded');
  };
  const failed = (attempts: number, at: number, over: Partial<AttemptResult> = {}): AttemptResult => ({
    status: 'PENDING',
    attempts,
    nextAttemptAt: at + 1,
    lastStatusCode: 503,
    lastError: 'The receiver answered 503.',
    health: healthChange(false, at),
    ...over,
  });

  test('each recorded attempt is logged with what it sent and got; the last ATTEMPTS_KEPT per delivery; one merchant only', async () => {
    const { store } = await fresh();
    const d = await oneDelivery(store);
    const sent = { headers: { 'content-type': 'application/json', 'x-kassa-delivery-id': d.id }, body: '{"eventType":"PAYMENT.STATUS"}' };
    const log = (n: number) =>
      attemptLog({
        at: T0 + n,
        durationMs: 12.4,
        request: sent,
        response: { statusCode: 503, headers: { 'retry-after': '5' }, body: `busy ${n} ${'é'.repeat(3000)}` },
        outcome: 'The receiver answered 503.',
      });
    for (let n = 1; n <= ATTEMPTS_KEPT + 2; n++) await recordHeld(store, d.id, failed(n, T0 + n, { log: log(n) }));
    const kept = await store.webhooks.attemptLog('mer_a', d.id);
    assert.deepEqual(
      kept.map((a) => a.attempt),
      Array.from({ length: ATTEMPTS_KEPT }, (_, i) => i + 3),
    );
    assert.deepEqual(kept[0], { attempt: 3, ...log(3) });
    assert.equal(kept[0]!.durationMs, 12);
    assert.ok(Buffer.byteLength(kept[0]!.response!.body) <= 4096, 'the answer is kept in part');
    assert.ok(kept[0]!.response!.body.startsWith('busy 3 éé'));
    assert.deepEqual(await store.webhooks.attemptLog('mer_b', d.id), [], "another merchant's delivery shows nothing");
    // An attempt that sent nothing is logged with its outcome alone.
    await recordHeld(store, d.id, {
      status: 'FAILED',
      attempts: ATTEMPTS_KEPT + 3,
      nextAttemptAt: T0,
      lastError: 'The endpoint was deleted.',
      log: attemptLog({ at: T0 + 99, durationMs: 0, outcome: 'The endpoint was deleted.' }),
    });
    assert.deepEqual((await store.webhooks.attemptLog('mer_a', d.id)).at(-1), {
      attempt: ATTEMPTS_KEPT + 3,
      at: T0 + 99,
      durationMs: 0,
      outcome: 'The endpoint was deleted.',
    });
  });

  test('an endpoint failing for DISABLE_AFTER_MS and DISABLE_AFTER_FAILURES attempts is disabled with time and reason; it gets no new deliveries; enabling clears it', async () => {
    const { store } = await fresh();
    const d = await oneDelivery(store);
    for (let n = 1; n < DISABLE_AFTER_FAILURES; n++) await recordHeld(store, d.id, failed(n, T0 + n * DISABLE_AFTER_MS));
    const streak = await store.webhooks.findEndpoint('mer_a', 'we_1');
    assert.equal(streak?.failingSince, T0 + DISABLE_AFTER_MS, 'since the first failure');
    assert.equal(streak?.failures, DISABLE_AFTER_FAILURES - 1);
    assert.equal(streak?.disabledAt, undefined, 'days of failures, but not yet enough of them');
    const at = T0 + DISABLE_AFTER_FAILURES * DISABLE_AFTER_MS;
    await recordHeld(store, d.id, failed(DISABLE_AFTER_FAILURES, at));
    const disabled = await store.webhooks.findEndpoint('mer_a', 'we_1');
    assert.equal(disabled?.disabledAt, at);
    assert.match(disabled?.disabledReason ?? '', /^Every attempt failed for 3 days/);
    assert.deepEqual(
      (await store.webhooks.endpoints('mer_a')).map((e) => e.id),
      ['we_1'],
      'still listed',
    );
    // No new deliveries while disabled (and an event written meanwhile does not await one).
    await recordPaymentEvent(store, paymentEvent({ createdAt: at + 1 }));
    assert.equal((await store.webhooks.deliveries('mer_a', {}, 10)).length, 1);
    assert.equal(await store.webhooks.enableEndpoint('mer_b', 'we_1'), false, "another merchant's endpoint");
    assert.equal(await store.webhooks.enableEndpoint('mer_a', 'we_1'), true);
    assert.deepEqual(await store.webhooks.findEndpoint('mer_a', 'we_1'), endpoint({ id: 'we_1' }), 'enabled, the streak cleared');
    await recordPaymentEvent(store, paymentEvent({ createdAt: at + 2 }));
    assert.equal((await store.webhooks.deliveries('mer_a', {}, 10)).length, 2, 'new events are delivered again');
  });

  test('property: an endpoint is disabled exactly when the rule says, over any run of successes and failures', async () => {
    const { store } = await fresh();
    const d = await oneDelivery(store);
    let run = 0;
    let disabledRuns = 0;
    let longButFew = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ ok: fc.constantFrom(false, false, false, false, true), gap: fc.constantFrom(0, 1, DAY / 4, DAY / 2, DAY) }), {
          minLength: 3,
          maxLength: 30,
          size: 'max',
        }),
        async (sends) => {
          const id = `we_p${++run}`;
          await store.webhooks.insertEndpoint(endpoint({ id }));
          await store.commit((uow) =>
            uow.payments.insertEvent(paymentEvent({ id: `pev_p${run}`, paymentId: `pay_p${run}`, createdAt: T0 })),
          );
          await store.webhooks.fanOut(100);
          const mine = (await store.webhooks.deliveries('mer_a', { endpointId: id }, 1))[0]!;
          let now = T0;
          let model: { failingSince?: number; failures: number; disabledAt?: number } = { failures: 0 };
          for (const [i, s] of sends.entries()) {
            now += s.gap;
            await recordHeld(store, mine.id, failed(i + 1, now, { health: healthChange(s.ok, now) }));
            if (s.ok) model = { ...model, failures: 0, failingSince: undefined };
            else {
              model = { ...model, failures: model.failures + 1, failingSince: model.failingSince ?? now };
              if (model.disabledAt === undefined && disabledBy(model, now)) model.disabledAt = now;
              // Counted: runs where the streak was long enough in time but not in attempts.
              if (model.failingSince! <= now - DISABLE_AFTER_MS && model.failures < DISABLE_AFTER_FAILURES) longButFew++;
            }
          }
          const found = await store.webhooks.findEndpoint('mer_a', id);
          assert.equal(found?.disabledAt, model.disabledAt);
          assert.equal(found?.failures ?? 0, model.failures);
          assert.equal(found?.failingSince, model.failingSince);
          if (model.disabledAt !== undefined) disabledRuns++;
        },
      ),
      { numRuns: 25, seed: 21 },
    );
    assert.ok(d);
    assert.ok(
      disabledRuns > 0 && longButFew > 0,
      `the runs reach both sides of the rule (${disabledRuns} disabled, ${longButFew} long but few)`,
    );
  });
});
