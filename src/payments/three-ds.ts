// 3DS after a challenge opened a required action (docs/payments.md, "3DS"): the SDK's continue, the
// sandbox helper that sets a challenge's outcome, and the PROCESSOR_3DS page's. The session an
// action's client token names is found by sessions/access.ts; the action itself is opened by
// authorization (steps.ts, openAction); resume is a payment action (lifecycle.ts).
import { KassaError } from '../errors.ts';
import { originOf, type Context } from '../lib/context.ts';
import { sha256 } from '../lib/ids.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import { scenarioOf } from './authorize.ts';
import { Draft } from './draft.ts';
import { renderInstrument, type ThreeDSResult } from './payment.ts';
import { commit, notFound, type PaymentSteps } from './steps.ts';

export class ThreeDS {
  constructor(private readonly steps: PaymentSteps) {}

  /**
   * The challenge's result for the payment waiting on `token` (the SDK's /3ds/{token}/continue): the
   * outcome set by the sandbox helper, else the card's. Returns what the SDK needs to resume.
   */
  async continueThreeDS(ctx: Context, session: StoredSession, tokenId: string) {
    const { payment, token } = await this.steps.store.change({ kind: 'token', token: tokenId }, (locked, uow) => {
      const waiting = locked.payment;
      if (
        !locked.token ||
        !waiting?.data.action ||
        waiting.data.action.redirect ||
        waiting.merchantId !== session.merchantId ||
        waiting.sessionId !== session.id
      ) {
        throw new KassaError('PaymentError', { detail: 'No payment is waiting for 3DS with this payment method token.' });
      }
      const draft = new Draft(waiting, uow, this.steps.deps.clock(waiting.merchantId), originOf(ctx), false);
      const scenario = scenarioOf(draft);
      const outcome: ThreeDSResult =
        draft.data.action!.outcome ?? (scenario.threeDS.kind === 'challenge' ? scenario.threeDS.defaultResult : 'AUTH_SUCCESS');
      draft.data.action = { ...draft.data.action!, outcome };
      return { payment: commit(draft, uow, () => {}), token: locked.token };
    });
    const outcome = payment.data.action!.outcome!;
    return {
      token: renderInstrument(token),
      resumeToken: this.steps.resumeToken(payment.actionId!),
      authentication: { responseCode: outcome, protocolVersion: '2.2.0', challengeIssued: true },
    };
  }

  /** The sandbox helper: sets the 3DS outcome of a payment awaiting it and gives its resume token. */
  async sandboxThreeDS(ctx: Context, merchantId: string, id: string, outcome: ThreeDSResult) {
    const payment = await this.steps.store.change({ kind: 'payment', merchantId, paymentId: id }, (locked, uow) => {
      if (!locked.payment) throw notFound('get');
      if (!locked.payment.data.action || locked.payment.data.action.redirect) {
        throw new KassaError('InvalidPaymentStatus', {
          detail: 'The payment is not waiting for 3DS.',
          extra: { paymentId: locked.payment.id, paymentStatus: locked.payment.status },
        });
      }
      const draft = new Draft(locked.payment, uow, this.steps.deps.clock(merchantId), originOf(ctx), false);
      draft.data.action = { ...draft.data.action!, outcome };
      return commit(draft, uow, () => {});
    });
    return { resumeToken: this.steps.resumeToken(payment.actionId!) };
  }

  /**
   * The PROCESSOR_3DS sandbox page (no API key: the action id in its URL is unguessable, single use and
   * dies with the action). With an outcome, records it once; answers whether the challenge is done and,
   * if so, the resume token the SDK polls for.
   */
  async processorThreeDS(actionId: string, outcome?: ThreeDSResult) {
    const { clock } = this.steps.deps;
    const payment = await this.steps.store.change({ kind: 'action', actionId: sha256(actionId) }, (locked, uow) => {
      const waiting = locked.payment;
      if (!waiting?.data.action || waiting.data.action.redirect || waiting.data.action.expiresAt <= clock(waiting.merchantId)) {
        throw new KassaError('PaymentError', { detail: 'No payment is waiting for this 3DS challenge.' });
      }
      if (!outcome || waiting.data.action.outcome) return waiting;
      const draft = new Draft(waiting, uow, clock(waiting.merchantId), {}, false);
      draft.data.action = { ...draft.data.action!, outcome };
      return commit(draft, uow, () => {});
    });
    const done = payment.data.action!.outcome;
    return {
      status: done ? ('COMPLETE' as const) : ('PENDING' as const),
      ...(done ? { id: this.steps.resumeToken(payment.actionId!) } : {}),
      source: '3DS' as const,
      amount: payment.data.machine.amount,
      currencyCode: payment.data.currencyCode,
    };
  }
}
