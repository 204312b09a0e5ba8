// A unit of work: the writes of one change, committed together or not at all. Services record writes
// with plain synchronous calls; the engine commits them (SQLite: one savepoint in the writer's next
// group transaction; PostgreSQL: one transaction). Each feature contributes its writes interface, by
// its entry in the engines' tables (UnitWrites, store.ts).
import type { UnitWrites } from './store.ts';

export type UnitOfWork = UnitWrites & {
  /** Runs `effect` once the unit is committed (caches, counters); never if it is not. */
  afterCommit(effect: () => void): void;
};

/** The code a write fails with when a precondition no longer holds (another writer got there first). */
export const WRITE_CONFLICT = 'KASSA_WRITE_CONFLICT';

export class WriteConflict extends Error {
  readonly code = WRITE_CONFLICT;
  constructor(what: string) {
    super(`write conflict: ${what}`);
  }
}

export const isWriteConflict = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === WRITE_CONFLICT;

/**
 * The versions of the rows one unit has written, for an engine that runs a unit's writes only at
 * commit (PostgreSQL): a second write of a row must build on the version the unit wrote first, so a
 * write made from a stale copy is refused as it is recorded instead of undoing the first one. (SQLite
 * runs each write at once, in the unit's savepoint, so its version check already refuses it then.)
 */
export class WrittenVersions {
  private readonly versions = new Map<string, number>();

  /** Records `row` written at `version` over `previous` (undefined: inserted). */
  record(row: string, previous: number | undefined, version: number): void {
    const held = this.versions.get(row);
    if (held !== undefined && held !== previous) {
      throw new WriteConflict(`${row} is written twice in one unit, over version ${previous} where the unit wrote ${held}`);
    }
    this.versions.set(row, version);
  }
}
