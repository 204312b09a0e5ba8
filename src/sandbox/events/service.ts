// Triggered events (docs/sandbox.md, "Triggers"): any event type Kassa sends, for an existing payment or
// session of the merchant, with the object as it is now. The event is written like any other (it is
// the outbox: the dispatcher delivers it, signed, to the endpoints that take its type) and marked
// triggered in the history; the object itself does not change. Which object a type is about comes
// from the type (webhooks/event-bodies.ts, subjectOf), so a type added to WEBHOOK_EVENT_TYPES can be
// triggered as it is.
import { KassaError } from '../../errors.ts';
import { TokenBuckets } from '../../http/rate-limit.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Context } from '../../lib/context.ts';
import { newTimeOrderedUuid, newUuid } from '../../lib/ids.ts';
import { disputeDetail } from '../../payments/disputes/service.ts';
import { isFailureEvent } from '../../payments/failure-events.ts';
import { primerDate } from '../../payments/payment.ts';
import type { PaymentEvent, PaymentEventType, StoredPayment } from '../../payments/payment.store.ts';
import { sessionAmount } from '../../primer/money.ts';
import type { SessionEvent, SessionEventType } from '../../sessions/session.store.ts';
import type { Store } from '../../storage/store.ts';
import { subjectOf } from '../../webhooks/event-bodies.ts';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/webhook.store.ts';

/** Triggers a merchant may send per minute (per process): each is an event row and a delivery per endpoint. */
export const TRIGGERS_PER_MINUTE = 60;
/** Where a triggered event sorts within its version: after the events of the change that made it, in the order sent. */
const TRIGGERED_ORDINAL = 1000;

export interface TriggerInput {
  type: string;
  paymentId?: string;
  clientSessionId?: string;
}

const refuse = (detail: string) => new KassaError('InvalidEventTrigger', { detail });

/** A payment event's detail as the payment stands: what its body is built from (webhooks/service.ts). */
export function triggeredDetail(type: string, payment: StoredPayment): Record<string, unknown> {
  const { machine } = payment.data;
  const amounts = { amount: machine.amount, amountCaptured: machine.amountCaptured, amountRefunded: machine.amountRefunded };
  if (type === 'PAYMENT.REFUND') {
    const refund = payment.data.transactions.filter((t) => t.type === 'REFUND').at(-1);
    if (!refund) throw refuse('PAYMENT.REFUND is about a refund, and this payment has none.');
    return { refundId: refund.id, refundAmount: refund.amount, refundStatus: refund.status, ...amounts };
  }
  if (type.startsWith('DISPUTE.')) {
    const dispute = payment.data.dispute;
    if (!dispute)
      throw refuse(`${type} is about a dispute, and this payment has none (POST /kassa/sandbox/payments/{id}/dispute opens one).`);
    return { ...disputeDetail(dispute), ...amounts };
  }
  if (isFailureEvent(type)) {
    return { requestAmount: machine.amount, transactionEventId: newUuid(), reason: 'Triggered by POST /kassa/sandbox/events.', ...amounts };
  }
  return amounts;
}

export class Triggers {
  private readonly rate: TokenBuckets;

  constructor(private readonly deps: { store: Pick<Store, 'payments' | 'sessions' | 'commit'>; clock: Clock }) {
    this.rate = new TokenBuckets(TRIGGERS_PER_MINUTE, 60_000, deps.clock);
  }

  async trigger(ctx: Context, merchantId: string, input: TriggerInput) {
    const { type } = input;
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type)) {
      throw refuse(`Kassa sends no ${type} events; it sends ${WEBHOOK_EVENT_TYPES.join(', ')}.`);
    }
    const subject = subjectOf(type);
    const [wanted, other] =
      subject === 'payment' ? (['paymentId', 'clientSessionId'] as const) : (['clientSessionId', 'paymentId'] as const);
    if (input[wanted] === undefined || input[other] !== undefined)
      throw refuse(`A ${type} event is about a ${subject}: send ${wanted}, and only it.`);
    const wait = this.rate.take(merchantId);
    if (wait > 0) {
      throw new KassaError('TooManyRequests', {
        retryAfterSeconds: wait,
        detail: `At most ${TRIGGERS_PER_MINUTE} triggered events a minute per merchant.`,
      });
    }
    return subject === 'payment'
      ? this.paymentEvent(ctx, merchantId, input.paymentId!, type as PaymentEventType)
      : this.sessionEvent(ctx, merchantId, input.clientSessionId!, type as SessionEventType);
  }

  private async paymentEvent(ctx: Context, merchantId: string, paymentId: string, type: PaymentEventType) {
    const earlier = await this.deps.store.payments.events(merchantId, paymentId);
    const event = await this.deps.store.payments.change({ kind: 'payment', merchantId, paymentId }, (locked, uow) => {
      const payment = locked.payment;
      if (!payment) throw new KassaError('PaymentNotFoundError');
      const now = this.deps.clock(merchantId);
      const triggeredBefore = earlier.filter((e) => e.version === payment.version && e.triggered).length;
      const made: PaymentEvent = {
        id: newTimeOrderedUuid(now),
        merchantId,
        paymentId,
        type,
        status: payment.status,
        version: payment.version,
        ordinal: TRIGGERED_ORDINAL + triggeredBefore,
        createdAt: now,
        requestId: ctx.requestId,
        detail: triggeredDetail(type, payment),
        triggered: true,
      };
      uow.payments.insertEvent(made);
      return made;
    });
    return {
      id: event.id,
      type: event.type,
      paymentId,
      date: primerDate(event.createdAt),
      status: event.status,
      version: event.version,
      requestId: ctx.requestId,
      changes: event.detail,
      triggered: true as const,
    };
  }

  private async sessionEvent(ctx: Context, merchantId: string, sessionId: string, type: SessionEventType) {
    const session = await this.deps.store.sessions.findById(merchantId, sessionId);
    if (!session) throw new KassaError('SessionNotFound');
    const earlier = await this.deps.store.sessions.events(merchantId, sessionId);
    const triggeredBefore = earlier.filter((e) => e.version === session.version && e.triggered).length;
    const now = this.deps.clock(merchantId);
    const amount = sessionAmount(session.data);
    const event: SessionEvent = {
      id: newTimeOrderedUuid(now),
      merchantId,
      sessionId,
      type,
      version: session.version,
      ordinal: TRIGGERED_ORDINAL + triggeredBefore,
      createdAt: now,
      requestId: ctx.requestId,
      // The session as it is: what a CLIENT_SESSION.CREATED says of it.
      detail: {
        ...(session.data.orderId !== undefined ? { orderId: session.data.orderId } : {}),
        ...(session.data.currencyCode !== undefined ? { currencyCode: session.data.currencyCode } : {}),
        ...(amount !== undefined ? { amount } : {}),
      },
      triggered: true,
    };
    await this.deps.store.commit((uow) => uow.sessions.recordEvent(event));
    return {
      id: event.id,
      type: event.type,
      clientSessionId: sessionId,
      date: primerDate(event.createdAt),
      version: event.version,
      requestId: ctx.requestId,
      changes: event.detail,
      triggered: true as const,
    };
  }
}
