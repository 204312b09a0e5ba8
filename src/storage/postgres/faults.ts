// Sandbox faults on PostgreSQL: an insert locks the merchant's row (NO KEY: rows that reference it are
// not held up) so two processes cannot both add the last fault the bound allows; a use is one
// conditional UPDATE … WHERE times_left > 0 RETURNING, so of two processes taking the last use only
// one gets it (the other's UPDATE re-reads the row and finds none left).
import type { FaultStore } from '../../sandbox/faults/fault.store.ts';
import { faultStatusColumn, toFault, type FaultRow } from '../fault-rows.ts';
import type { PostgresEngine } from './database.ts';

export function postgresFaults(pg: PostgresEngine): FaultStore {
  return {
    insert(f, limit) {
      return pg.transaction(async (tx) => {
        await tx`SELECT id FROM merchants WHERE id = ${f.merchantId} FOR NO KEY UPDATE`;
        const [row] = await tx<{ n: number; seq: string }[]>`
          SELECT COUNT(*)::int AS n, COALESCE(MAX(seq), 0) + 1 AS seq FROM sandbox_faults WHERE merchant_id = ${f.merchantId}`;
        if (row!.n >= limit) return false;
        await tx`
          INSERT INTO sandbox_faults (id, merchant_id, operation, status, phase, times, times_left, delay_ms, created_at, seq)
          VALUES (${f.id}, ${f.merchantId}, ${f.operation}, ${faultStatusColumn(f.status)}, ${f.phase}, ${f.times}, ${f.timesLeft},
            ${f.delayMs}, ${f.createdAt}, ${row!.seq})`;
        return true;
      });
    },
    async list(merchantId) {
      const rows = await pg.query<FaultRow[]>`SELECT * FROM sandbox_faults WHERE merchant_id = ${merchantId} ORDER BY seq`;
      return rows.map(toFault);
    },
    async delete(merchantId, id) {
      const rows = await pg.query`DELETE FROM sandbox_faults WHERE merchant_id = ${merchantId} AND id = ${id} RETURNING id`;
      return rows.length === 1;
    },
    async deleteAll(merchantId) {
      const rows = await pg.query`DELETE FROM sandbox_faults WHERE merchant_id = ${merchantId} RETURNING id`;
      return rows.length;
    },
    async resetMerchant(merchantId) {
      const rows = await pg.query`DELETE FROM sandbox_faults WHERE merchant_id = ${merchantId} RETURNING id`;
      return { faults: rows.length };
    },
    async operations() {
      const rows = await pg.query<{ merchant_id: string; operation: string }[]>`SELECT DISTINCT merchant_id, operation FROM sandbox_faults`;
      return rows.map((r) => ({ merchantId: r.merchant_id, operation: r.operation }));
    },
    async take(merchantId, operation) {
      const [row] = await pg.query<FaultRow[]>`
        UPDATE sandbox_faults SET times_left = times_left - 1
        WHERE id = (
          SELECT id FROM sandbox_faults WHERE merchant_id = ${merchantId} AND operation = ${operation} AND times_left > 0
          ORDER BY seq LIMIT 1)
          AND times_left > 0
        RETURNING *`;
      if (!row) return undefined;
      if (row.times_left <= 0) await pg.query`DELETE FROM sandbox_faults WHERE id = ${row.id} AND times_left <= 0`;
      return toFault(row);
    },
  };
}
