// PayPal orders on SQLite: inserts and decisions are units of the writer's transaction; a decision
// changes a CREATED order only, so the page's first choice is the one kept.
import type { PayPalStore } from '../../payments/methods/paypal.store.ts';
import { payPalRowData, toPayPalOrder, type PayPalRow } from '../paypal-rows.ts';
import type { SqliteEngine } from './database.ts';

export function sqlitePayPal(engine: SqliteEngine): PayPalStore {
  const { db } = engine;
  const byId = engine.query('SELECT * FROM paypal_orders WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO paypal_orders (id, kind, merchant_id, session_id, status, data, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const read = db.prepare('SELECT * FROM paypal_orders WHERE id = ?');
  const decide = db.prepare(`UPDATE paypal_orders SET status = ?, data = ? WHERE id = ? AND status = 'CREATED'`);
  const purge = db.prepare('DELETE FROM paypal_orders WHERE id IN (SELECT id FROM paypal_orders WHERE expires_at < ? LIMIT ?)');
  const reset = db.prepare('DELETE FROM paypal_orders WHERE merchant_id = ?');
  return {
    insert(o) {
      return engine.writer.run(() => {
        insert.run(o.id, o.kind, o.merchantId, o.sessionId, o.status, payPalRowData(o), o.createdAt, o.expiresAt);
      });
    },
    find(id) {
      const row = byId.get(id) as PayPalRow | undefined;
      return row ? toPayPalOrder(row) : undefined;
    },
    decide(id, status, payer) {
      return engine.writer.run(() => {
        const row = read.get(id) as PayPalRow | undefined;
        if (!row) return undefined;
        const order = toPayPalOrder(row);
        if (order.status !== 'CREATED') return order;
        const decided = { ...order, status, ...(payer ? { payer } : {}) };
        decide.run(status, payPalRowData(decided), id);
        return decided;
      });
    },
    purgeExpired(before, limit) {
      return engine.writer.run(() => purge.run(before, limit).changes);
    },
    resetMerchant(merchantId) {
      return engine.writer.run(() => ({ paypalOrders: reset.run(merchantId).changes }));
    },
  };
}
