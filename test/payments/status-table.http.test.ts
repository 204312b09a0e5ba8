// engines: sqlite, postgres
// The server's Payments API (docs/payments.md): every cell of the status table. Calls carry X-Api-Key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testApp, type TestApp } from '../support/app.ts';
import { api, assertError, CARDS, idleApp, NOT_A_RESUME_TOKEN, pay, post, PROCESSOR, read, type Res } from './support.ts';

describe('Payments API', () => {
  // One app for the whole file (each test makes its own payments), and one that does not authorize on create.
  let t: TestApp;
  let idle: TestApp;
  before(async () => {
    t = await testApp();
    idle = await idleApp();
  });
  after(async () => {
    await t.close();
    await idle.close();
  });

  describe('the status table', () => {
    type Made = { app: TestApp; id: string; status: string; dateUpdated: string };
    const made = async (app: TestApp, number: string, then?: (id: string) => Promise<unknown>): Promise<Made> => {
      const { payment } = await pay(app, number);
      if (then) await then(payment.id);
      const { status, dateUpdated } = await read(app, payment.id);
      return { app, id: payment.id, status, dateUpdated };
    };
    const STATES: Record<string, () => Promise<Made>> = {
      'PENDING, idle': () => made(idle, CARDS.visa),
      'PENDING, action open': () => made(t, CARDS.challenge),
      'PENDING, async step': () => made(t, CARDS.asyncAuthorized),
      AUTHORIZED: () => made(t, CARDS.visa),
      'PARTIALLY_SETTLED, capturing open': () => made(t, CARDS.visa, (id) => post(t, id, 'capture', { amount: 400, final: false })),
      'PARTIALLY_SETTLED, closed': () => made(t, CARDS.visa, (id) => post(t, id, 'capture', { amount: 400 })),
      SETTLING: () => made(t, CARDS.asyncCapture, (id) => post(t, id, 'capture')),
      SETTLED: () => made(t, CARDS.visa, (id) => post(t, id, 'capture')),
      DECLINED: () => made(t, CARDS.decline),
      FAILED: () => made(t, CARDS.fail),
      CANCELLED: () => made(t, CARDS.visa, (id) => post(t, id, 'cancel')),
    };
    const ACTIONS = ['authorize', 'capture', 'cancel', 'refund', 'resume', 'adjust'] as const;
    type Action = (typeof ACTIONS)[number];
    const VERB: Record<Action, string> = {
      authorize: 'authorized',
      capture: 'captured',
      cancel: 'cancelled',
      refund: 'refunded',
      resume: 'resumed',
      adjust: 'adjusted',
    };
    // An error id, or the status the payment has after a 200; 202 is NoActionsToHandle.
    const IPS = 'InvalidPaymentStatus';
    const PAA = 'PaymentAlreadyAuthorized';
    const NAY = 'PaymentIsNotAuthorizedYet';
    const TABLE: Record<string, Record<Action, string>> = {
      'PENDING, idle': { authorize: '=AUTHORIZED', capture: IPS, cancel: '=CANCELLED', refund: IPS, resume: IPS, adjust: NAY },
      'PENDING, action open': { authorize: IPS, capture: IPS, cancel: '=CANCELLED', refund: IPS, resume: '=AUTHORIZED', adjust: NAY },
      'PENDING, async step': { authorize: IPS, capture: IPS, cancel: '=CANCELLED', refund: IPS, resume: 'NoActionsToHandle', adjust: NAY },
      AUTHORIZED: {
        authorize: PAA,
        capture: '=SETTLED',
        cancel: '=CANCELLED',
        refund: IPS,
        resume: IPS,
        adjust: 'IncorrectPaymentAuthorizationType',
      },
      'PARTIALLY_SETTLED, capturing open': {
        authorize: PAA,
        capture: '=SETTLED',
        cancel: '=PARTIALLY_SETTLED',
        refund: '=PARTIALLY_SETTLED',
        resume: IPS,
        adjust: NAY,
      },
      'PARTIALLY_SETTLED, closed': { authorize: PAA, capture: IPS, cancel: IPS, refund: '=PARTIALLY_SETTLED', resume: IPS, adjust: NAY },
      SETTLING: { authorize: IPS, capture: IPS, cancel: IPS, refund: IPS, resume: IPS, adjust: NAY },
      SETTLED: { authorize: IPS, capture: IPS, cancel: IPS, refund: '=SETTLED', resume: IPS, adjust: NAY },
      DECLINED: { authorize: IPS, capture: IPS, cancel: IPS, refund: IPS, resume: IPS, adjust: NAY },
      FAILED: { authorize: IPS, capture: IPS, cancel: IPS, refund: IPS, resume: IPS, adjust: NAY },
      CANCELLED: { authorize: IPS, capture: IPS, cancel: IPS, refund: IPS, resume: IPS, adjust: NAY },
    };

    async function run(state: Made, action: Action): Promise<Res> {
      const { app, id } = state;
      switch (action) {
        case 'authorize':
          return post(app, id, 'authorize', { processor: PROCESSOR });
        case 'capture':
          return post(app, id, 'capture');
        case 'cancel':
          return post(app, id, 'cancel');
        case 'refund':
          return post(app, id, 'refund', { amount: 100 });
        case 'resume': {
          // An open action gets the resume token the sandbox helper gives; any other state a well-formed stranger.
          const helper = await api(app, 'POST', `/kassa/sandbox/payments/${id}/3ds`, { outcome: 'AUTH_SUCCESS' });
          const resumeToken = helper.statusCode === 200 ? helper.json().resumeToken : NOT_A_RESUME_TOKEN;
          return post(app, id, 'resume', { resumeToken });
        }
        case 'adjust':
          return post(app, id, 'adjust-authorization', { amount: 1500 });
      }
    }

    for (const [name, row] of Object.entries(TABLE)) {
      test(`${name}: ${ACTIONS.map((a) => `${a} → ${row[a].replace('=', '')}`).join(', ')}`, async () => {
        // Refusals change nothing, so they share one payment; each success gets a payment of its own.
        const shared = await STATES[name]!();
        for (const action of ACTIONS) {
          const expected = row[action];
          const state = expected.startsWith('=') ? await STATES[name]!() : shared;
          const res = await run(state, action);
          const where = `${name} / ${action}: ${res.body}`;
          if (expected.startsWith('=')) {
            assert.equal(res.statusCode, 200, where);
            assert.equal(res.json().status, expected.slice(1), where);
            continue;
          }
          const error = assertError(res, expected === 'NoActionsToHandle' ? 202 : 400, expected);
          assert.equal(error.paymentId, state.id, where);
          assert.equal(error.paymentStatus, state.status, where);
          if (expected === IPS || expected === PAA || expected === NAY) {
            assert.equal(error.description, `A payment with status ${state.status} cannot be ${VERB[action]}.`, where);
          }
        }
        const after = await read(shared.app, shared.id);
        assert.equal(after.status, shared.status, 'the refusals changed nothing');
        assert.equal(after.dateUpdated, shared.dateUpdated);
      });
    }

    test('capture and cancel reach capturing closed: after a cancel of PARTIALLY_SETTLED, capture is refused', async () => {
      const { payment } = await pay(t);
      await post(t, payment.id, 'capture', { amount: 400, final: false });
      const cancelled = (await post(t, payment.id, 'cancel')).json();
      assert.equal(cancelled.status, 'PARTIALLY_SETTLED');
      assert.equal(cancelled.processor.amountCaptured, 400);
      assertError(await post(t, payment.id, 'capture'), 400, 'InvalidPaymentStatus');
    });
  });
});
