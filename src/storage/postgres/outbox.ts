// What a payment or session event's INSERT shares on PostgreSQL: the event is the outbox (webhooks.ts
// fans it out), flagged as it is written when a live endpoint of the merchant takes its type.
import type { Sql, TransactionSql } from 'postgres';

/** An event's awaiting_fan_out: 1 when the merchant has a live endpoint taking its type, else 0. */
export const subscribed = (sql: Sql | TransactionSql, merchantId: string, type: string) => sql`CASE WHEN EXISTS (
  SELECT 1 FROM webhook_endpoints WHERE merchant_id = ${merchantId} AND deleted_at IS NULL AND disabled_at IS NULL AND strpos(events, ${`"${type}"`}) > 0
) THEN 1 ELSE 0 END`;
