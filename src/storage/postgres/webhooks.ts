// Webhook endpoints and deliveries on PostgreSQL. Claims, renewals and records are compare-and-set
// updates, so when several processes look for due deliveries at once, each delivery goes to one of
// them, and only the process still holding a delivery records its attempt.
import { TIME_ORDERED_UUID_SQL } from '../../lib/ids.ts';
import { ATTEMPTS_KEPT, type WebhookStore } from '../../webhooks/webhook.store.ts';
import {
  attemptRow,
  DUE_IN_TURNS,
  MERCHANT_OFFSET,
  deliveryListQuery,
  endpointRow,
  toAttempt,
  toDelivery,
  toEndpoint,
  type AttemptRow,
  type DeliveryRow,
  type EndpointRow,
} from '../webhook-rows.ts';
import type { PostgresEngine } from './database.ts';

/**
 * Takes up to `limit` of the oldest events of `table` awaiting fan-out (rows another process is taking
 * are skipped) and makes their deliveries: one per live endpoint of the merchant that takes the type and
 * existed when the event happened, due at the event's time, with a time-ordered UUID (the event's time,
 * then random digits). One statement, so the flag and the deliveries commit together.
 */
const fanOutSql = (table: string, subject: string) => `
  WITH picked AS (
    UPDATE ${table} SET awaiting_fan_out = 0
    WHERE id IN (SELECT id FROM ${table} WHERE awaiting_fan_out = 1 ORDER BY created_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
    RETURNING id, merchant_id, ${subject} AS subject_id, type, created_at
  ), made AS (
    INSERT INTO webhook_deliveries (id, merchant_id, endpoint_id, event_id, event_type, subject_id, status, next_attempt_at, created_at)
    SELECT ${TIME_ORDERED_UUID_SQL.postgres('p.created_at')},
      w.merchant_id, w.id, p.id, p.type, p.subject_id, 'PENDING', p.created_at, p.created_at
    FROM picked p JOIN webhook_endpoints w ON w.merchant_id = p.merchant_id AND w.deleted_at IS NULL AND w.disabled_at IS NULL
      AND strpos(w.events, '"' || p.type || '"') > 0 AND w.created_at <= p.created_at
    ON CONFLICT DO NOTHING
    RETURNING 1
  )
  SELECT (SELECT COUNT(*) FROM picked) AS events, (SELECT COUNT(*) FROM made) AS deliveries`;
const FAN_OUTS = [fanOutSql('payment_events', 'payment_id'), fanOutSql('session_events', 'session_id')];

export function postgresWebhooks(pg: PostgresEngine): WebhookStore {
  const one = <T, R>(rows: T[], map: (row: T) => R) => (rows[0] ? map(rows[0]) : undefined);
  return {
    async insertEndpoint(e, maxLive) {
      const row = endpointRow(e) as unknown as Record<string, unknown>;
      if (maxLive === undefined) {
        await pg.query`INSERT INTO webhook_endpoints ${pg.row(row)}`;
        return true;
      }
      // The merchant's row locked first: creations for one merchant take turns, so the count cannot go stale
      // (NO KEY: rows that only reference the merchant are not held up).
      return pg.transaction(async (tx) => {
        await tx`SELECT 1 FROM merchants WHERE id = ${e.merchantId} FOR NO KEY UPDATE`;
        const [count] = await tx<{ n: string }[]>`
            SELECT COUNT(*) AS n FROM webhook_endpoints WHERE merchant_id = ${e.merchantId} AND deleted_at IS NULL`;
        if (Number(count?.n ?? 0) >= maxLive) return false;
        await tx`INSERT INTO webhook_endpoints ${tx(row)}`;
        return true;
      });
    },
    async enableEndpoint(merchantId, id) {
      const result = await pg.query`
        UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL, failures = 0
        WHERE merchant_id = ${merchantId} AND id = ${id} AND deleted_at IS NULL`;
      return result.count === 1;
    },
    async setChaos(merchantId, id, chaos) {
      const rows = await pg.query`
        UPDATE webhook_endpoints SET chaos = ${chaos ? JSON.stringify(chaos) : null}
        WHERE merchant_id = ${merchantId} AND id = ${id} AND deleted_at IS NULL RETURNING id`;
      return rows.length === 1;
    },
    async updateEndpoint(e) {
      const r = endpointRow(e);
      await pg.query`
        UPDATE webhook_endpoints SET url = ${r.url}, description = ${r.description}, events = ${r.events}, version = ${r.version},
          secret = ${r.secret}, previous_secret = ${r.previous_secret}, previous_until = ${r.previous_until}, deleted_at = ${r.deleted_at}
        WHERE id = ${r.id} AND merchant_id = ${r.merchant_id}`;
    },
    async findEndpoint(merchantId, id) {
      return one(
        await pg.query<EndpointRow[]>`SELECT * FROM webhook_endpoints WHERE merchant_id = ${merchantId} AND id = ${id}`,
        toEndpoint,
      );
    },
    async endpoints(merchantId) {
      const rows = await pg.query<
        EndpointRow[]
      >`SELECT * FROM webhook_endpoints WHERE merchant_id = ${merchantId} AND deleted_at IS NULL ORDER BY created_at, id`;
      return rows.map(toEndpoint);
    },
    async findDelivery(merchantId, id) {
      return one(
        await pg.query<DeliveryRow[]>`SELECT * FROM webhook_deliveries WHERE merchant_id = ${merchantId} AND id = ${id}`,
        toDelivery,
      );
    },
    async deliveries(merchantId, filter, limit) {
      const q = deliveryListQuery(merchantId, filter, limit);
      return (await pg.text<DeliveryRow[]>(q.sql, q.params)).map(toDelivery);
    },
    async fanOut(limit) {
      let events = 0;
      for (const text of FAN_OUTS) {
        const [row] = await pg.text<{ events: string }[]>(text, [limit]);
        events += Number(row?.events ?? 0);
      }
      return events;
    },
    async dueDeliveries(now, limit, perEndpoint = limit) {
      return (await pg.text<DeliveryRow[]>(DUE_IN_TURNS, [now, now, now, perEndpoint, limit])).map(toDelivery);
    },
    async claimDelivery(id, now, until) {
      // Due, too: a claim from a list read before another process rescheduled the delivery must not send the retry early.
      return one(
        await pg.text<DeliveryRow[]>(
          `UPDATE webhook_deliveries SET locked_until = ?
            WHERE id = ? AND status = 'PENDING' AND next_attempt_at <= ? + ${MERCHANT_OFFSET} AND locked_until <= ? RETURNING *`,
          [until, id, now, now],
        ),
        toDelivery,
      );
    },
    async renewClaims(claims, until) {
      if (claims.length === 0) return [];
      const rows = await pg.query<{ id: string }[]>`
        UPDATE webhook_deliveries d SET locked_until = ${until}
        FROM jsonb_to_recordset(${JSON.stringify(claims)}::text::jsonb) AS c(id text, until bigint)
        WHERE d.id = c.id AND d.locked_until = c.until RETURNING d.id`;
      return rows.map((r) => r.id);
    },
    async recordAttempt(c, r) {
      const id = c.id;
      return pg.transaction(async (tx) => {
        const recorded = await tx<{ merchant_id: string; endpoint_id: string }[]>`
            UPDATE webhook_deliveries SET status = ${r.status}, attempts = ${r.attempts}, next_attempt_at = ${r.nextAttemptAt},
              last_status_code = ${r.lastStatusCode ?? null}, last_error = ${r.lastError ?? null}, delivered_at = ${r.deliveredAt ?? null},
              locked_until = 0
            WHERE id = ${id} AND locked_until = ${c.until} RETURNING merchant_id, endpoint_id`;
        // The log and the endpoint's health follow the attempt only when it was recorded.
        const row = recorded[0];
        if (!row) return false;
        if (r.log) {
          await tx`INSERT INTO webhook_attempts ${tx(attemptRow(id, row.merchant_id, r.attempts, r.log) as unknown as Record<string, unknown>)}
              ON CONFLICT DO NOTHING`;
          await tx`DELETE FROM webhook_attempts WHERE delivery_id = ${id} AND attempt <= ${r.attempts - ATTEMPTS_KEPT}`;
        }
        const h = r.health;
        // A 2xx clears the streak (no write when there is none); a failure extends it, then may disable.
        if (h?.ok) await tx`UPDATE webhook_endpoints SET failing_since = NULL, failures = 0 WHERE id = ${row.endpoint_id} AND failures > 0`;
        else if (h) {
          await tx`UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ${h.at}), failures = failures + 1
              WHERE id = ${row.endpoint_id}`;
          await tx`UPDATE webhook_endpoints SET disabled_at = ${h.at}, disabled_reason = ${h.disableReason}
              WHERE id = ${row.endpoint_id} AND disabled_at IS NULL AND failing_since <= ${h.disableIfFailingSince}
                AND failures >= ${h.disableAfterFailures}`;
        }
        return true;
      });
    },
    async attemptLog(merchantId, deliveryId) {
      const rows = await pg.query<AttemptRow[]>`
        SELECT * FROM webhook_attempts WHERE delivery_id = ${deliveryId} AND merchant_id = ${merchantId} ORDER BY attempt`;
      return rows.map(toAttempt);
    },
    async requeue(merchantId, id, now) {
      // locked_until stays: a delivery being sent keeps its holder (and its claim token, which must only grow).
      const result = await pg.query`
        UPDATE webhook_deliveries SET status = 'PENDING', next_attempt_at = ${now}, delivered_at = NULL
        WHERE merchant_id = ${merchantId} AND id = ${id}`;
      return result.count === 1;
    },
    async purgeFinished(before, limit) {
      // A delivery's attempt log goes with it.
      const [row] = await pg.query<{ n: number }[]>`
        WITH gone AS (
          DELETE FROM webhook_deliveries WHERE id IN (
            SELECT id FROM webhook_deliveries WHERE status <> 'PENDING' AND next_attempt_at < ${before}
            ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
          RETURNING id
        ), attempts AS (
          DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM gone)
        )
        SELECT count(*)::int AS n FROM gone`;
      return row?.n ?? 0;
    },
    async backlog() {
      const [row] = await pg.query<{ pending: string; oldest: string | null }[]>`SELECT SUM(n) AS pending, MIN(oldest) AS oldest FROM (
            SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM webhook_deliveries WHERE status = 'PENDING'
            UNION ALL SELECT COUNT(*), MIN(created_at) FROM payment_events WHERE awaiting_fan_out = 1
            UNION ALL SELECT COUNT(*), MIN(created_at) FROM session_events WHERE awaiting_fan_out = 1) AS backlog`;
      return { pending: Number(row?.pending ?? 0), ...(row?.oldest ? { oldestCreatedAt: Number(row.oldest) } : {}) };
    },
    async resetMerchant(merchantId) {
      // A delivery's attempt log goes with it.
      const [row] = await pg.query<{ n: number }[]>`
        WITH attempts AS (DELETE FROM webhook_attempts WHERE merchant_id = ${merchantId}),
          gone AS (DELETE FROM webhook_deliveries WHERE merchant_id = ${merchantId} RETURNING 1)
        SELECT count(*)::int AS n FROM gone`;
      return { deliveries: row?.n ?? 0 };
    },
  };
}
