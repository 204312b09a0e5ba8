// Sandbox faults on SQLite: every write is a unit of the writer's transaction, so the bound check and
// the insert, and a use's decrement and the deletion of a used-up fault, are each atomic.
import type { FaultStore } from '../../sandbox/faults/fault.store.ts';
import { faultStatusColumn, toFault, type FaultRow } from '../fault-rows.ts';
import type { SqliteEngine } from './database.ts';

export function sqliteFaults(engine: SqliteEngine): FaultStore {
  const { db } = engine;
  const count = db.prepare('SELECT COUNT(*) FROM sandbox_faults WHERE merchant_id = ?').pluck();
  const nextSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 FROM sandbox_faults WHERE merchant_id = ?').pluck();
  const insert = db.prepare(
    `INSERT INTO sandbox_faults (id, merchant_id, operation, status, phase, times, times_left, delay_ms, created_at, seq)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const list = engine.query('SELECT * FROM sandbox_faults WHERE merchant_id = ? ORDER BY seq');
  const remove = db.prepare('DELETE FROM sandbox_faults WHERE merchant_id = ? AND id = ?');
  const removeAll = db.prepare('DELETE FROM sandbox_faults WHERE merchant_id = ?');
  const operations = engine.query('SELECT DISTINCT merchant_id, operation FROM sandbox_faults', 'raw');
  const take = db.prepare(
    `UPDATE sandbox_faults SET times_left = times_left - 1
     WHERE id = (SELECT id FROM sandbox_faults WHERE merchant_id = ? AND operation = ? AND times_left > 0 ORDER BY seq LIMIT 1)
       AND times_left > 0
     RETURNING *`,
  );
  const usedUp = db.prepare('DELETE FROM sandbox_faults WHERE id = ? AND times_left <= 0');
  return {
    insert(f, limit) {
      return engine.writer.run(() => {
        if ((count.get(f.merchantId) as number) >= limit) return false;
        const seq = nextSeq.get(f.merchantId) as number;
        insert.run(
          f.id,
          f.merchantId,
          f.operation,
          faultStatusColumn(f.status),
          f.phase,
          f.times,
          f.timesLeft,
          f.delayMs,
          f.createdAt,
          seq,
        );
        return true;
      });
    },
    async list(merchantId) {
      return (list.all(merchantId) as FaultRow[]).map(toFault);
    },
    delete(merchantId, id) {
      return engine.writer.run(() => remove.run(merchantId, id).changes === 1);
    },
    deleteAll(merchantId) {
      return engine.writer.run(() => removeAll.run(merchantId).changes);
    },
    async resetMerchant(merchantId) {
      return { faults: await engine.writer.run(() => removeAll.run(merchantId).changes) };
    },
    operations() {
      return (operations.all() as [string, string][]).map(([merchantId, operation]) => ({ merchantId, operation }));
    },
    take(merchantId, operation) {
      return engine.writer.run(() => {
        const row = take.get(merchantId, operation) as FaultRow | undefined;
        if (!row) return undefined;
        if (row.times_left <= 0) usedUp.run(row.id);
        return toFault(row);
      });
    },
  };
}
