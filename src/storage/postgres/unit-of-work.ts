// The PostgreSQL unit of work: the statements of one change, run in one transaction. They are sent
// together (postgres.js pipelines the queries of a transaction that are not awaited one by one).
import type { TransactionSql } from 'postgres';
import { writesOf } from '../store.ts';
import { type UnitOfWork, WrittenVersions } from '../unit-of-work.ts';
import { postgresStores } from './stores.ts';

export type PgOp = (tx: TransactionSql) => Promise<unknown>;

/** What a unit's writes (stores.ts) record into: the statements, and the versions they write. */
export class PostgresUnitOfWork {
  readonly ops: PgOp[] = [];
  readonly effects: Array<() => void> = [];
  /** The versioned rows (payments, sessions) this unit writes: refuses a second write from a stale copy. */
  readonly written = new WrittenVersions();

  afterCommit(effect: () => void): void {
    this.effects.push(effect);
  }

  /** Runs every statement in `tx`; the first failure fails the transaction. */
  async execute(tx: TransactionSql): Promise<void> {
    if (this.ops.length === 1) await this.ops[0]!(tx);
    else if (this.ops.length > 1) await Promise.all(this.ops.map((op) => op(tx)));
  }

  committed(): void {
    for (const effect of this.effects) effect();
  }
}

export type PostgresUnit = PostgresUnitOfWork & UnitOfWork;

/** A new unit: its writes, made from the table, record into it. */
export function postgresUnitOfWork(): PostgresUnit {
  const unit = new PostgresUnitOfWork();
  return Object.assign(unit, writesOf(postgresStores, unit));
}
