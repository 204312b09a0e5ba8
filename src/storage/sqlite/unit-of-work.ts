// The SQLite unit of work: the statements of one change, sent to the writer thread as one unit. Each
// feature's writes (sessions.ts, idempotency.ts, …) append to `ops`.
import type { UnitOfWork } from '../unit-of-work.ts';
import { idempotencyWrites } from './idempotency.ts';
import { sessionWrites } from './sessions.ts';
import type { SqlOp } from './writer.ts';

export class SqliteUnitOfWork implements UnitOfWork {
  readonly ops: SqlOp[] = [];
  readonly effects: Array<() => void> = [];
  /** The new state of each aggregate this unit writes, by its serialisation key (serial.ts). */
  readonly written = new Map<string, unknown>();
  readonly sessions = sessionWrites(this);
  readonly idempotency = idempotencyWrites(this);

  afterCommit(effect: () => void): void {
    this.effects.push(effect);
  }

  committed(): void {
    for (const effect of this.effects) effect();
  }
}
