// The SQLite unit of work. It runs inside the writer's transaction (writer.ts), so each write is
// executed at once, in its unit's savepoint; a write whose precondition fails throws a WriteConflict,
// which rolls the whole unit back. Each feature's writes are prepared once per store
// (sessions.ts, idempotency.ts, …).
import type { IdempotencyWrites } from '../../idempotency/idempotency.store.ts';
import type { PaymentWrites } from '../../payments/payment.store.ts';
import type { SessionWrites } from '../../sessions/session.store.ts';
import type { UnitOfWork } from '../unit-of-work.ts';

/** The writes a unit of work can make, prepared once per store. */
export interface SqliteWrites {
  sessions: SessionWrites;
  idempotency: IdempotencyWrites;
  payments: PaymentWrites;
}

export class SqliteUnitOfWork implements UnitOfWork {
  readonly sessions: SessionWrites;
  readonly idempotency: IdempotencyWrites;
  readonly payments: PaymentWrites;
  private readonly effects: Array<() => void> = [];

  constructor(writes: SqliteWrites) {
    this.sessions = writes.sessions;
    this.idempotency = writes.idempotency;
    this.payments = writes.payments;
  }

  afterCommit(effect: () => void): void {
    this.effects.push(effect);
  }

  committed(): void {
    for (const effect of this.effects) effect();
  }
}
