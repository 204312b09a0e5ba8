// Changes to one aggregate (a session, a payment) made by this process are applied one after another
// without waiting for each other's commit: each change is computed from the state the previous one
// produced, while that one is still being committed, and the writer thread runs them in order. So
// fifty PATCHes of one session all apply, in one or two transactions, and none has to retry. A change
// computed from one that then failed to commit fails too (the writer's `after`), and so does any
// change whose version precondition no longer holds because another process wrote first: the caller
// decides whether to retry (serialChange's `fresh` reads the committed state again).
import { SqliteUnitOfWork } from './unit-of-work.ts';
import type { Writer } from './writer.ts';

interface Pending {
  state: unknown;
  unit: number;
}

export class SerialChanges {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly writer: Writer) {}

  async change<S, R>(
    key: string,
    read: () => S | undefined,
    decide: (current: S | undefined, uow: SqliteUnitOfWork) => R,
    options: { fresh?: boolean } = {},
  ): Promise<R> {
    const previous = options.fresh ? undefined : this.pending.get(key);
    const current = previous ? (previous.state as S | undefined) : read();
    const uow = new SqliteUnitOfWork();
    const result = decide(current, uow);
    if (uow.ops.length === 0) {
      uow.committed();
      return result;
    }
    const { id, done } = this.writer.submit(uow.ops, previous?.unit);
    const entry: Pending = { state: uow.written.has(key) ? uow.written.get(key) : current, unit: id };
    this.pending.set(key, entry);
    try {
      await done;
    } finally {
      if (this.pending.get(key) === entry) this.pending.delete(key);
    }
    uow.committed();
    return result;
  }
}
