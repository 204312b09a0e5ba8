// A payment being changed inside one unit of work: every status it reaches is recorded as a
// PAYMENT.STATUS event, in order, and the writes (the payment, its events, its jobs) go into the same
// unit, so nothing acknowledged is ever without its events (docs/payments.md, "Events").
import type { EventOrigin } from '../lib/context.ts';
import { newTimeOrderedUuid, newUuid } from '../lib/ids.ts';
import type { UnitOfWork } from '../storage/unit-of-work.ts';
import type { PaymentStatus, StatusReason } from './model.ts';
import type { PaymentData, Transaction, TransactionEvent } from './payment.ts';
import type { PaymentEvent, PaymentEventType, PaymentJob, StoredPayment } from './payment.store.ts';
import type { MachineState } from './status-machine.ts';

export class Draft {
  readonly before: StoredPayment | undefined;
  payment: StoredPayment;
  private readonly events: PaymentEvent[] = [];

  constructor(
    payment: StoredPayment,
    private readonly uow: UnitOfWork,
    readonly now: number,
    private readonly origin: EventOrigin,
    /** A payment that is not stored yet. */
    isNew: boolean,
  ) {
    this.before = isNew ? undefined : payment;
    // A stored payment is kept as it was (before); a new one is the caller's to give away, not to copy.
    this.payment = isNew ? payment : structuredClone(payment);
    if (isNew) this.record('PAYMENT.STATUS', { amount: payment.data.machine.amount, currencyCode: payment.data.currencyCode });
  }

  get data(): PaymentData {
    return this.payment.data;
  }

  get status(): PaymentStatus {
    return this.payment.data.machine.status;
  }

  get sale(): Transaction {
    return this.payment.data.transactions.find((t) => t.type === 'SALE')!;
  }

  /** Moves to the machine's new state; a new status is an event (and the SALE transaction follows it). */
  apply(state: MachineState, reason?: StatusReason): void {
    const previous = this.status;
    this.payment.data.machine = state;
    this.payment.status = state.status;
    this.sale.status = state.status;
    if (reason) {
      this.payment.data.statusReason = reason;
      this.sale.statusReason = reason;
    }
    if (state.status !== previous) this.record('PAYMENT.STATUS', { from: previous });
  }

  saleEvent(type: TransactionEvent['type'], extra: Pick<TransactionEvent, 'amount' | 'final'> = {}): TransactionEvent {
    const event: TransactionEvent = { id: newUuid(), date: this.now, type, ...extra };
    this.sale.events.push(event);
    return event;
  }

  /** An event of this change (PAYMENT.REFUND, or a status the payment reached). */
  record(type: PaymentEventType, detail: Record<string, unknown>): void {
    this.events.push({
      id: newTimeOrderedUuid(this.now),
      merchantId: this.payment.merchantId,
      paymentId: this.payment.id,
      type,
      status: this.payment.data.machine.status,
      version: 0,
      ordinal: this.events.length,
      createdAt: this.now,
      ...(this.origin.requestId ? { requestId: this.origin.requestId } : {}),
      ...(this.origin.idempotencyKey ? { idempotencyKey: this.origin.idempotencyKey } : {}),
      detail: {
        ...detail,
        amount: this.payment.data.machine.amount,
        amountCaptured: this.payment.data.machine.amountCaptured,
        amountRefunded: this.payment.data.machine.amountRefunded,
      },
    });
  }

  schedule(kind: PaymentJob['kind'], runAt: number): void {
    this.uow.payments.scheduleJob({ id: newUuid(), merchantId: this.payment.merchantId, paymentId: this.payment.id, kind, runAt });
  }

  dropJobs(kind?: PaymentJob['kind']): void {
    this.uow.payments.dropJobs(this.payment.id, kind);
  }

  /** Records the payment and its events in the unit of work; returns what will be stored. */
  commit(): StoredPayment {
    const stored: StoredPayment = {
      ...this.payment,
      version: this.before ? this.before.version + 1 : 1,
      updatedAt: this.before ? this.now : this.payment.createdAt,
    };
    if (this.before) this.uow.payments.update(stored);
    else this.uow.payments.insert(stored);
    for (const event of this.events) this.uow.payments.insertEvent({ ...event, version: stored.version });
    return stored;
  }
}
