// PayPal orders on PostgreSQL: a decision locks the order's row and changes a CREATED order only, so
// the page's first choice is the one kept when two arrive at once.
import type { PayPalStore } from '../../payments/methods/paypal.store.ts';
import { payPalRowData, toPayPalOrder, type PayPalRow } from '../paypal-rows.ts';
import type { PostgresEngine } from './database.ts';

export function postgresPayPal(pg: PostgresEngine): PayPalStore {
  return {
    async insert(o) {
      await pg.query`INSERT INTO paypal_orders (id, kind, merchant_id, session_id, status, data, created_at, expires_at)
        VALUES (${o.id}, ${o.kind}, ${o.merchantId}, ${o.sessionId}, ${o.status}, ${payPalRowData(o)}, ${o.createdAt}, ${o.expiresAt})`;
    },
    async find(id) {
      const [row] = await pg.query<PayPalRow[]>`SELECT * FROM paypal_orders WHERE id = ${id}`;
      return row ? toPayPalOrder(row) : undefined;
    },
    decide(id, status, payer) {
      return pg.transaction(async (tx) => {
        const [row] = await tx<PayPalRow[]>`SELECT * FROM paypal_orders WHERE id = ${id} FOR UPDATE`;
        if (!row) return undefined;
        const order = toPayPalOrder(row);
        if (order.status !== 'CREATED') return order;
        const decided = { ...order, status, ...(payer ? { payer } : {}) };
        await tx`UPDATE paypal_orders SET status = ${status}, data = ${payPalRowData(decided)} WHERE id = ${id}`;
        return decided;
      });
    },
    async purgeExpired(before, limit) {
      const rows =
        await pg.query`DELETE FROM paypal_orders WHERE id IN (SELECT id FROM paypal_orders WHERE expires_at < ${before} LIMIT ${limit}) RETURNING id`;
      return rows.length;
    },
    async resetMerchant(merchantId) {
      const result = await pg.query`DELETE FROM paypal_orders WHERE merchant_id = ${merchantId}`;
      return { paypalOrders: result.count };
    },
  };
}
