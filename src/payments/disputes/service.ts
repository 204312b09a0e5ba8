// Disputes on settled payments (docs/sandbox.md, "Disputes and failure events"): the sandbox opens one
// and moves it along its lifecycle (machine.ts). Each step is one change of the payment, serialised
// with every other change to it: the dispute is kept in the payment's data, and the step's
// DISPUTE.OPENED / DISPUTE.STATUS events enter its history and the outbox in the same unit of work.
import { KassaError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { originOf, type Context } from '../../lib/context.ts';
import { newUuid } from '../../lib/ids.ts';
import type { Store } from '../../storage/store.ts';
import { Draft } from '../draft.ts';
import { primerDate } from '../payment.ts';
import { advanceDispute, type DisputeRecord, type DisputeStatus, type DisputeType, isDisputeRefusal } from './machine.ts';

/** How long a merchant has to challenge an OPEN step [I: processors give 7 to 30 days]. */
export const CHALLENGE_WINDOW_MS = 7 * 24 * 3600_000;
/** A fraud reason when the request names none: Visa's 10.4 and Primer's unified wording for it. */
const DEFAULT_REASON = { reasonCode: '10.4', reason: 'Other Fraud - Card Absent Environment' };

export interface DisputeInput {
  status: DisputeStatus;
  type?: DisputeType;
  /** Opening only: the disputed amount (default: what was captured and not refunded). */
  amount?: number;
  reasonCode?: string;
  reason?: string;
}

/** A dispute as the sandbox answers it. */
export const renderDispute = (paymentId: string, d: DisputeRecord) => ({
  id: d.id,
  paymentId,
  type: d.type,
  status: d.status,
  amount: d.amount,
  currencyCode: d.currencyCode,
  reasonCode: d.reasonCode,
  reason: d.reason,
  openedAt: primerDate(d.openedAt),
  receivedAt: primerDate(d.receivedAt),
  ...(d.challengeRequiredBy !== undefined ? { challengeRequiredBy: primerDate(d.challengeRequiredBy) } : {}),
});

/** What a dispute event keeps: the step as it was, for the webhook's body (webhooks/event-bodies.ts). */
export function disputeDetail(d: DisputeRecord): Record<string, unknown> {
  return {
    disputeId: d.id,
    disputeType: d.type,
    disputeStatus: d.status,
    disputeAmount: d.amount,
    currencyCode: d.currencyCode,
    reasonCode: d.reasonCode,
    reason: d.reason,
    receivedAt: d.receivedAt,
    ...(d.challengeRequiredBy !== undefined ? { challengeRequiredBy: d.challengeRequiredBy } : {}),
  };
}

const describe = (s: { type: string; status: string }) => `${s.type} ${s.status}`;

export class Disputes {
  constructor(private readonly deps: { store: Pick<Store, 'payments'>; clock: Clock }) {}

  /** Opens the payment's dispute or moves it one step; a step the lifecycle does not allow changes nothing. */
  advance(ctx: Context, merchantId: string, paymentId: string, input: DisputeInput) {
    return this.deps.store.payments.change({ kind: 'payment', merchantId, paymentId }, (locked, uow) => {
      const payment = locked.payment;
      if (!payment) throw new KassaError('PaymentNotFoundError');
      const current = payment.data.dispute;
      const { machine } = payment.data;
      const disputable = machine.amountCaptured - machine.amountRefunded;
      if (!current && ((payment.status !== 'SETTLED' && payment.status !== 'PARTIALLY_SETTLED') || disputable < 1)) {
        throw new KassaError('PaymentNotDisputable', {
          detail: `A payment with status ${payment.status} and ${disputable} captured and not refunded cannot be disputed.`,
          extra: { paymentId: payment.id, paymentStatus: payment.status },
        });
      }
      const next = advanceDispute(current, input);
      if (isDisputeRefusal(next)) {
        const from = current ? `a dispute at ${describe(current)}` : 'a payment without a dispute';
        const allowed = next.allowed.map(describe).join(', ') || 'none: the dispute is over';
        throw new KassaError('DisputeTransitionNotAllowed', {
          detail: `${from} cannot go to ${input.type ? `${input.type} ` : ''}${input.status}; allowed: ${allowed}.`,
          extra: { paymentId: payment.id },
        });
      }
      if (current && (input.amount !== undefined || input.reasonCode !== undefined || input.reason !== undefined)) {
        throw new KassaError('DisputeTransitionNotAllowed', {
          detail: 'amount, reasonCode and reason are given when the dispute opens; later steps keep them.',
          extra: { paymentId: payment.id },
        });
      }
      const amount = input.amount ?? disputable;
      if (!current && amount > disputable) {
        throw new KassaError('DisputeTransitionNotAllowed', {
          detail: `The disputed amount must be at most the ${disputable} captured and not refunded.`,
          extra: { paymentId: payment.id },
        });
      }
      const now = this.deps.clock(merchantId);
      const reason = input.reasonCode !== undefined ? { reasonCode: input.reasonCode, reason: input.reason ?? '' } : DEFAULT_REASON;
      const dispute: DisputeRecord = {
        ...(current ?? {
          id: `dsp_${newUuid().replaceAll('-', '')}`,
          amount,
          currencyCode: payment.data.currencyCode,
          ...reason,
          openedAt: now,
          steps: 0,
        }),
        type: next.type,
        status: next.status,
        receivedAt: now,
        steps: (current?.steps ?? 0) + 1,
      };
      if (next.status === 'OPEN') dispute.challengeRequiredBy = now + CHALLENGE_WINDOW_MS;
      else delete dispute.challengeRequiredBy;
      const draft = new Draft(payment, uow, now, originOf(ctx, undefined), false);
      draft.data.dispute = dispute;
      // Primer sends DISPUTE.OPENED for a new dispute, and DISPUTE.STATUS for every step, the first included [I].
      if (!current) draft.record('DISPUTE.OPENED', disputeDetail(dispute));
      draft.record('DISPUTE.STATUS', disputeDetail(dispute));
      const stored = draft.commit();
      return renderDispute(stored.id, dispute);
    });
  }
}
