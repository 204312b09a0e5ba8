// Webhook endpoints and deliveries on PostgreSQL. Claims are compare-and-set updates, so when several
// processes look for due deliveries at once, each delivery goes to one of them.
import type { WebhookStore } from '../../webhooks/webhook.store.ts';
import { deliveryListQuery, endpointRow, toDelivery, toEndpoint, type DeliveryRow, type EndpointRow } from '../webhook-rows.ts';
import type { PostgresEngine } from './database.ts';

export function postgresWebhooks(pg: PostgresEngine): WebhookStore {
  const { sql } = pg;
  const one = <T, R>(rows: T[], map: (row: T) => R) => (rows[0] ? map(rows[0]) : undefined);
  return {
    async insertEndpoint(e) {
      await pg.bounded(sql`INSERT INTO webhook_endpoints ${sql(endpointRow(e) as unknown as Record<string, unknown>)}`);
    },
    async updateEndpoint(e) {
      const r = endpointRow(e);
      await pg.bounded(sql`
        UPDATE webhook_endpoints SET url = ${r.url}, description = ${r.description}, events = ${r.events}, version = ${r.version},
          secret = ${r.secret}, previous_secret = ${r.previous_secret}, previous_until = ${r.previous_until}, deleted_at = ${r.deleted_at}
        WHERE id = ${r.id} AND merchant_id = ${r.merchant_id}`);
    },
    async findEndpoint(merchantId, id) {
      return one(
        await pg.bounded(sql<EndpointRow[]>`SELECT * FROM webhook_endpoints WHERE merchant_id = ${merchantId} AND id = ${id}`),
        toEndpoint,
      );
    },
    async endpoints(merchantId) {
      const rows = await pg.bounded(
        sql<
          EndpointRow[]
        >`SELECT * FROM webhook_endpoints WHERE merchant_id = ${merchantId} AND deleted_at IS NULL ORDER BY created_at, id`,
      );
      return rows.map(toEndpoint);
    },
    async findDelivery(merchantId, id) {
      return one(
        await pg.bounded(sql<DeliveryRow[]>`SELECT * FROM webhook_deliveries WHERE merchant_id = ${merchantId} AND id = ${id}`),
        toDelivery,
      );
    },
    async deliveries(merchantId, filter, limit) {
      const q = deliveryListQuery(merchantId, filter, limit);
      let n = 0;
      const text = q.sql.replace(/\?/g, () => `$${++n}`);
      return (await pg.bounded(sql.unsafe<DeliveryRow[]>(text, q.params as never[]))).map(toDelivery);
    },
    async dueDeliveries(now, limit) {
      const rows = await pg.bounded(sql<DeliveryRow[]>`
        SELECT * FROM webhook_deliveries WHERE status = 'PENDING' AND next_attempt_at <= ${now} AND locked_until <= ${now}
        ORDER BY next_attempt_at LIMIT ${limit}`);
      return rows.map(toDelivery);
    },
    async claimDelivery(id, now, until) {
      // Due, too: a claim from a list read before another process rescheduled the delivery must not send the retry early.
      const result = await pg.bounded(
        sql`UPDATE webhook_deliveries SET locked_until = ${until}
            WHERE id = ${id} AND status = 'PENDING' AND next_attempt_at <= ${now} AND locked_until <= ${now}`,
      );
      return result.count === 1;
    },
    async recordAttempt(id, r) {
      await pg.bounded(sql`
        UPDATE webhook_deliveries SET status = ${r.status}, attempts = ${r.attempts}, next_attempt_at = ${r.nextAttemptAt},
          last_status_code = ${r.lastStatusCode ?? null}, last_error = ${r.lastError ?? null}, delivered_at = ${r.deliveredAt ?? null},
          locked_until = 0
        WHERE id = ${id}`);
    },
    async requeue(merchantId, id, now) {
      const result = await pg.bounded(sql`
        UPDATE webhook_deliveries SET status = 'PENDING', next_attempt_at = ${now}, locked_until = 0, delivered_at = NULL
        WHERE merchant_id = ${merchantId} AND id = ${id}`);
      return result.count === 1;
    },
    async backlog() {
      const [row] = await pg.bounded(
        sql<
          { pending: string; oldest: string | null }[]
        >`SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM webhook_deliveries WHERE status = 'PENDING'`,
      );
      return { pending: Number(row?.pending ?? 0), ...(row?.oldest ? { oldestCreatedAt: Number(row.oldest) } : {}) };
    },
  };
}
