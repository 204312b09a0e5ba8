// The merchants' sandbox clocks on SQLite (sandbox/clock/clock.store.ts).
import type { SandboxClockStore } from '../../sandbox/clock/clock.store.ts';
import type { SqliteEngine } from './database.ts';

export function sqliteSandboxClocks(engine: SqliteEngine): SandboxClockStore {
  const all = engine.query('SELECT merchant_id, offset_ms FROM sandbox_clocks WHERE offset_ms <> 0', 'raw');
  const one = engine.query('SELECT offset_ms FROM sandbox_clocks WHERE merchant_id = ?', 'pluck');
  // The bound is checked in the statement: the sum is the stored one, whoever advanced last.
  const advance = engine.db.prepare(`
    INSERT INTO sandbox_clocks (merchant_id, offset_ms, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (merchant_id) DO UPDATE SET offset_ms = sandbox_clocks.offset_ms + excluded.offset_ms, updated_at = excluded.updated_at
    WHERE sandbox_clocks.offset_ms + excluded.offset_ms <= ?
    RETURNING offset_ms`);
  const remove = engine.db.prepare('DELETE FROM sandbox_clocks WHERE merchant_id = ?');
  return {
    async offsets() {
      return new Map((all.all() as [string, number][]).map(([m, o]) => [m, o]));
    },
    async offsetOf(merchantId) {
      return (one.get(merchantId) as number | undefined) ?? 0;
    },
    advance(merchantId, byMs, maxMs, at) {
      return engine.writer.run(() => {
        const row = advance.get(merchantId, byMs, at, maxMs) as { offset_ms: number } | undefined;
        return row?.offset_ms;
      });
    },
    async resetMerchant(merchantId) {
      return { clocks: await engine.writer.run(() => remove.run(merchantId).changes) };
    },
  };
}
