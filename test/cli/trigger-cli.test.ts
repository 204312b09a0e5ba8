// engines: sqlite, postgres
// `kassa trigger` and `kassa dispute` against the database of an in-process app, in process (runCli):
// a triggered event enters the object's history marked triggered and the app's dispatcher delivers it;
// each dispute step is recorded in the payment's history; --json prints what the API answers; every
// refusal exits non-zero and writes nothing; KASSA_MODE=production refuses both with exit 2.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, pay, post } from '../payments/support.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import { kassaInProcess as run } from '../support/process.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

type Json = Record<string, any>;

describe('kassa trigger and kassa dispute', () => {
  let t: TestApp;
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  let env: Record<string, string>;
  let paymentId: string;
  let sessionId: string;

  const history = async (path: string) => {
    const res = await api(t, 'GET', path);
    assert.equal(res.statusCode, 200, res.body);
    return res.json().data as Json[];
  };
  const paymentHistory = () => history(`/kassa/payments/${paymentId}/events`);
  /** What the receiver got since `from`, once the app's dispatcher sent what is due (the CLI wrote on the real clock). */
  const delivered = async (from: number) => {
    t.clock.now = Date.now() + 1000;
    await t.app.webhookDispatcher!.runDue();
    return rx.received.slice(from);
  };

  before(async () => {
    [t, rx] = await Promise.all([testApp(), startReceiver()]);
    const db = t.config.database;
    env = { DATABASE_URL: db.engine === 'sqlite' ? `sqlite:${db.path}` : db.url };
    // The CLI runs on the real clock, so the app does too.
    t.clock.now = Date.now();
    const endpoint = await api(t, 'POST', '/kassa/webhook-endpoints', {
      url: `${rx.url}/hook`,
      events: ['PAYMENT.STATUS', 'DISPUTE.STATUS'],
    });
    assert.equal(endpoint.statusCode, 200, endpoint.body);
    const { payment } = await pay(t);
    paymentId = payment.id;
    assert.equal((await post(t, paymentId, 'capture')).json().status, 'SETTLED');
    await createSession(t, { orderId: 'order-cli-trigger', currencyCode: 'EUR', amount: 700 });
    const sessions = JSON.parse((await run(['sessions', 'list', '--json'], env)).stdout) as Json[];
    sessionId = sessions.find((s) => s.orderId === 'order-cli-trigger')!.id;
  });
  after(async () => {
    await t?.close();
    await rx?.close();
  });

  test('trigger PAYMENT.STATUS: the event as the API answers it, marked triggered in the history, delivered by the server', async () => {
    const before = rx.received.length;
    await delivered(before);
    const from = rx.received.length;
    const res = await run(['trigger', 'PAYMENT.STATUS', '--payment', paymentId, '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    const event = JSON.parse(res.stdout) as Json;
    assert.deepEqual(event, {
      id: event.id,
      type: 'PAYMENT.STATUS',
      paymentId,
      date: event.date,
      status: 'SETTLED',
      version: event.version,
      requestId: event.requestId,
      changes: { amount: 1000, amountCaptured: 1000, amountRefunded: 0 },
      triggered: true,
    });
    assert.match(event.requestId, /^cli:/);
    const entry = (await paymentHistory()).at(-1)!;
    assert.equal(entry.id, event.id);
    assert.equal(entry.type, 'PAYMENT.STATUS');
    assert.equal(entry.triggered, true);
    assert.equal(entry.requestId, event.requestId);
    const got = await delivered(from);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.body.eventType, 'PAYMENT.STATUS');
    assert.equal(got[0]!.body.payment.status, 'SETTLED');
    assert.equal(got[0]!.headers['kassa-triggered'], 'true');
  });

  test('trigger a session event: printed for a person, marked triggered in the session history', async () => {
    const res = await run(['trigger', 'CLIENT_SESSION.UPDATED', '--session', sessionId], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^Triggered CLIENT_SESSION.UPDATED \\S+ for session ${sessionId}, version 1; `));
    const entries = await history(`/kassa/client-sessions/${sessionId}/events`);
    assert.deepEqual(
      entries.map((e) => `${e.type}${e.triggered ? ' triggered' : ''}`),
      ['CLIENT_SESSION.CREATED', 'CLIENT_SESSION.UPDATED triggered'],
    );
    assert.deepEqual(entries.at(-1)!.changes, { orderId: 'order-cli-trigger', currencyCode: 'EUR', amount: 700 });
  });

  test('trigger refusals exit non-zero, say why, and write nothing', async () => {
    const count = (await paymentHistory()).length;
    const cases: [string[], RegExp][] = [
      [['trigger', 'PAYMENT.STATUS'], /give --payment or --session/],
      [['trigger', 'PAYMENT.STATUS', '--payment', paymentId, '--session', sessionId], /give --payment or --session/],
      [['trigger', 'PAYMENT.STATUS', '--session', sessionId], /a PAYMENT.STATUS event is about a payment: give --payment/],
      [['trigger', 'CLIENT_SESSION.CREATED', '--payment', paymentId], /is about a session: give --session/],
      [['trigger', 'PAYMENT.NOPE', '--payment', paymentId], /InvalidEventTrigger: Kassa sends no PAYMENT.NOPE events/],
      [['trigger', 'PAYMENT.REFUND', '--payment', paymentId], /InvalidEventTrigger: PAYMENT.REFUND is about a refund/],
      [['trigger', 'PAYMENT.STATUS', '--payment', 'pay_nobody'], /PaymentNotFoundError/],
      [['trigger', 'CLIENT_SESSION.CREATED', '--session', 'cs_nobody'], /SessionNotFound/],
      [['trigger', 'PAYMENT.STATUS', '--payment', paymentId, '--merchant', 'mer_nobody'], /no merchant mer_nobody/],
    ];
    for (const [args, message] of cases) {
      const res = await run(args, env);
      assert.equal(res.code, 1, args.join(' '));
      assert.match(res.stderr, message, args.join(' '));
      assert.equal(res.stdout, '');
    }
    assert.equal((await paymentHistory()).length, count);
  });

  test("another merchant's payment is not found", async () => {
    assert.equal((await run(['merchants', 'create', 'Other', '--id', 'mer_other_cli'], env)).code, 0);
    const count = (await paymentHistory()).length;
    const trigger = await run(['trigger', 'PAYMENT.STATUS', '--payment', paymentId, '--merchant', 'mer_other_cli'], env);
    assert.equal(trigger.code, 1);
    assert.match(trigger.stderr, /PaymentNotFoundError/);
    const dispute = await run(['dispute', paymentId, 'OPEN', '--merchant', 'mer_other_cli'], env);
    assert.equal(dispute.code, 1);
    assert.match(dispute.stderr, /PaymentNotFoundError/);
    assert.equal((await paymentHistory()).length, count);
  });

  test('KASSA_MODE=production refuses both with exit 2 and writes nothing', async () => {
    const count = (await paymentHistory()).length;
    const production = { ...env, KASSA_MODE: 'production' };
    for (const args of [
      ['trigger', 'PAYMENT.STATUS', '--payment', paymentId],
      ['dispute', paymentId, 'OPEN'],
    ]) {
      const res = await run(args, production);
      assert.equal(res.code, 2, args.join(' '));
      assert.match(res.stderr, /is a sandbox control, and KASSA_MODE=production switches the sandbox controls off/);
    }
    assert.equal((await paymentHistory()).length, count);
  });

  test('dispute opens and moves a dispute one step per call, each step recorded and delivered; a refused step changes nothing', async () => {
    const from = rx.received.length;
    const opened = await run(
      ['dispute', paymentId, 'OPEN', '--amount', '600', '--reason-code', '13.1', '--reason', 'Not received', '--json'],
      env,
    );
    assert.equal(opened.code, 0, opened.stderr);
    const dispute = JSON.parse(opened.stdout) as Json;
    assert.deepEqual(dispute, {
      id: dispute.id,
      paymentId,
      type: 'DISPUTE',
      status: 'OPEN',
      amount: 600,
      currencyCode: 'EUR',
      reasonCode: '13.1',
      reason: 'Not received',
      openedAt: dispute.openedAt,
      receivedAt: dispute.receivedAt,
      challengeRequiredBy: dispute.challengeRequiredBy,
    });
    assert.match(dispute.id, /^dsp_/);

    const challenged = await run(['dispute', paymentId, 'challenged'], env);
    assert.equal(challenged.code, 0, challenged.stderr);
    assert.equal(
      challenged.stdout,
      [
        `Dispute ${dispute.id} on ${paymentId}: DISPUTE CHALLENGED`,
        '  amount     600 EUR',
        '  reason     13.1 Not received',
        '  next       DISPUTE WON, DISPUTE LOST',
        '',
      ].join('\n'),
    );

    const steps = async () =>
      (await paymentHistory()).filter((e) => e.type.startsWith('DISPUTE.')).map((e) => `${e.type} ${e.changes.disputeStatus}`);
    const recorded = ['DISPUTE.OPENED OPEN', 'DISPUTE.STATUS OPEN', 'DISPUTE.STATUS CHALLENGED'];
    assert.deepEqual(await steps(), recorded);
    const refusals: [string[], RegExp][] = [
      [
        ['dispute', paymentId, 'ACCEPTED'],
        /DisputeTransitionNotAllowed: .*DISPUTE CHALLENGED cannot go to ACCEPTED; allowed: DISPUTE WON, DISPUTE LOST/,
      ],
      [
        ['dispute', paymentId, 'WON', '--amount', '5'],
        /DisputeTransitionNotAllowed: amount, reasonCode and reason are given when the dispute opens/,
      ],
      [['dispute', paymentId, 'SETTLED'], /must be one of OPEN, ACCEPTED/],
      [['dispute', paymentId, 'WON', '--type', 'CHARGEBACK'], /must be one of RETRIEVAL, DISPUTE, PREARBITRATION/],
      [['dispute', paymentId, 'WON', '--reason', 'why'], /--reason goes with --reason-code/],
      [['dispute', 'pay_nobody', 'OPEN'], /PaymentNotFoundError/],
    ];
    for (const [args, message] of refusals) {
      const res = await run(args, env);
      assert.equal(res.code, 1, args.join(' '));
      assert.match(res.stderr, message, args.join(' '));
    }
    assert.deepEqual(await steps(), recorded, 'a refused step records nothing');

    const won = await run(['dispute', paymentId, 'WON', '--json'], env);
    assert.equal(won.code, 0, won.stderr);
    assert.equal(JSON.parse(won.stdout).status, 'WON');
    const got = await delivered(from);
    // Deliveries to one endpoint may overlap, so they arrive in any order: each step once.
    assert.deepEqual(
      got
        .filter((r) => r.body.eventType === 'DISPUTE.STATUS')
        .map((r) => r.body.status)
        .sort(),
      ['CHALLENGED', 'OPEN', 'WON'],
    );
  });

  test('a payment that is not settled cannot be disputed', async () => {
    const { payment } = await pay(t);
    const res = await run(['dispute', payment.id, 'OPEN'], env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /PaymentNotDisputable: A payment with status AUTHORIZED/);
    assert.deepEqual(
      (await history(`/kassa/payments/${payment.id}/events`)).filter((e) => e.type.startsWith('DISPUTE.')),
      [],
    );
  });
});
