// The merchants' sandbox clocks on PostgreSQL (sandbox/clock/clock.store.ts).
import type { SandboxClockStore } from '../../sandbox/clock/clock.store.ts';
import type { PostgresEngine } from './database.ts';

export function postgresSandboxClocks(pg: PostgresEngine): SandboxClockStore {
  return {
    async offsets() {
      const rows = await pg.query<{ merchant_id: string; offset_ms: string }[]>`
        SELECT merchant_id, offset_ms FROM sandbox_clocks WHERE offset_ms <> 0`;
      return new Map(rows.map((r) => [r.merchant_id, Number(r.offset_ms)]));
    },
    async offsetOf(merchantId) {
      const [row] = await pg.query<{ offset_ms: string }[]>`SELECT offset_ms FROM sandbox_clocks WHERE merchant_id = ${merchantId}`;
      return row ? Number(row.offset_ms) : 0;
    },
    async advance(merchantId, byMs, maxMs, at) {
      // The bound is checked in the statement: the sum is the stored one, whoever advanced last.
      const [row] = await pg.query<{ offset_ms: string }[]>`
        INSERT INTO sandbox_clocks (merchant_id, offset_ms, updated_at) VALUES (${merchantId}, ${byMs}, ${at})
        ON CONFLICT (merchant_id) DO UPDATE
          SET offset_ms = sandbox_clocks.offset_ms + excluded.offset_ms, updated_at = excluded.updated_at
          WHERE sandbox_clocks.offset_ms + excluded.offset_ms <= ${maxMs}
        RETURNING offset_ms`;
      return row ? Number(row.offset_ms) : undefined;
    },
    async resetMerchant(merchantId) {
      const result = await pg.query`DELETE FROM sandbox_clocks WHERE merchant_id = ${merchantId}`;
      return { clocks: result.count };
    },
  };
}
