// The SQLite unit of work. It runs inside the writer's transaction (writer.ts), so each write is
// executed at once, in its unit's savepoint; a write whose precondition fails throws a WriteConflict,
// which rolls the whole unit back. The writes are prepared once per store (stores.ts).
import type { UnitWrites } from '../store.ts';
import type { UnitOfWork } from '../unit-of-work.ts';

class Effects {
  private readonly effects: Array<() => void> = [];

  afterCommit(effect: () => void): void {
    this.effects.push(effect);
  }

  committed(): void {
    for (const effect of this.effects) effect();
  }
}

export type SqliteUnitOfWork = UnitOfWork & { committed(): void };

/** A unit recording with `writes`; its effects run when committed() is called. */
export const sqliteUnitOfWork = (writes: UnitWrites): SqliteUnitOfWork => Object.assign(new Effects(), writes);
