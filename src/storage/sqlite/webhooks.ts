// Webhook endpoints and deliveries on SQLite. Reads answer at once; writes go through the writer, so
// they commit with the group (claims, renewals and records are compare-and-set, so one process holds
// each delivery and only its holder records the attempt).
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
import type { SqliteEngine } from './database.ts';

/**
 * The deliveries of the oldest `@limit` events of `table` awaiting fan-out: one per live endpoint of the
 * merchant that takes the type and existed when the event happened, due at the event's time, with a
 * time-ordered UUID (the event's time, then random digits). Run with flaggedDone in one unit: both take the
 * same events (ties on the time broken by id).
 */
const fanOutSql = (table: string, subject: string) => `
  INSERT INTO webhook_deliveries (id, merchant_id, endpoint_id, event_id, event_type, subject_id, status, next_attempt_at, created_at)
  SELECT ${TIME_ORDERED_UUID_SQL.sqlite('e.created_at')},
    w.merchant_id, w.id, e.id, e.type, e.${subject}, 'PENDING', e.created_at, e.created_at
  FROM (SELECT * FROM ${table} WHERE awaiting_fan_out = 1 ORDER BY created_at, id LIMIT @limit) e
  JOIN webhook_endpoints w ON w.merchant_id = e.merchant_id AND w.deleted_at IS NULL AND w.disabled_at IS NULL AND instr(w.events, '"' || e.type || '"') > 0
    AND w.created_at <= e.created_at`;
const flaggedDone = (table: string) => `
  UPDATE ${table} SET awaiting_fan_out = 0
  WHERE id IN (SELECT id FROM ${table} WHERE awaiting_fan_out = 1 ORDER BY created_at, id LIMIT @limit)`;

export function sqliteWebhooks(engine: SqliteEngine): WebhookStore {
  const { db, writer } = engine;
  const resetAttempts = db.prepare('DELETE FROM webhook_attempts WHERE merchant_id = ?');
  const resetDeliveries = db.prepare('DELETE FROM webhook_deliveries WHERE merchant_id = ?');
  const insert = db.prepare(`
    INSERT INTO webhook_endpoints (id, merchant_id, url, description, events, version, secret, previous_secret, previous_until, created_at,
      deleted_at, failing_since, failures, disabled_at, disabled_reason)
    VALUES (@id, @merchant_id, @url, @description, @events, @version, @secret, @previous_secret, @previous_until, @created_at,
      @deleted_at, @failing_since, @failures, @disabled_at, @disabled_reason)`);
  const liveCount = db.prepare('SELECT COUNT(*) AS n FROM webhook_endpoints WHERE merchant_id = ? AND deleted_at IS NULL');
  const enable = db.prepare(
    'UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL, failures = 0 WHERE merchant_id = ? AND id = ? AND deleted_at IS NULL',
  );
  // Health: a 2xx clears the streak (no write when there is none); a failure extends it, then may disable.
  const healthy = db.prepare(
    'UPDATE webhook_endpoints SET failing_since = NULL, failures = 0 WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = ?) AND failures > 0',
  );
  const failing = db.prepare(`
    UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, @at), failures = failures + 1
    WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = @id)`);
  const disable = db.prepare(`
    UPDATE webhook_endpoints SET disabled_at = @at, disabled_reason = @reason
    WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = @id) AND disabled_at IS NULL
      AND failing_since <= @since AND failures >= @failures`);
  const logAttempt = db.prepare(`
    INSERT INTO webhook_attempts (delivery_id, attempt, merchant_id, at, duration_ms, request, response, outcome)
    VALUES (@delivery_id, @attempt, @merchant_id, @at, @duration_ms, @request, @response, @outcome) ON CONFLICT DO NOTHING`);
  const trimLog = db.prepare('DELETE FROM webhook_attempts WHERE delivery_id = ? AND attempt <= ?');
  const merchantOf = db.prepare('SELECT merchant_id FROM webhook_deliveries WHERE id = ?');
  const attemptLog = engine.query('SELECT * FROM webhook_attempts WHERE delivery_id = ? AND merchant_id = ? ORDER BY attempt');
  const update = db.prepare(`
    UPDATE webhook_endpoints SET url = @url, description = @description, events = @events, version = @version, secret = @secret,
      previous_secret = @previous_secret, previous_until = @previous_until, deleted_at = @deleted_at WHERE id = @id AND merchant_id = @merchant_id`);
  const setChaos = db.prepare('UPDATE webhook_endpoints SET chaos = ? WHERE merchant_id = ? AND id = ? AND deleted_at IS NULL');
  const byId = engine.query('SELECT * FROM webhook_endpoints WHERE merchant_id = ? AND id = ?');
  const live = engine.query('SELECT * FROM webhook_endpoints WHERE merchant_id = ? AND deleted_at IS NULL ORDER BY created_at, id');
  const delivery = engine.query('SELECT * FROM webhook_deliveries WHERE merchant_id = ? AND id = ?');
  const due = engine.query(DUE_IN_TURNS);
  // Due, too: a process claiming from a list it read before another process tried and rescheduled the
  // delivery must not send the retry early (due on the merchant's time). The row as claimed comes back: its attempts are today's.
  const claim = db.prepare(
    `UPDATE webhook_deliveries SET locked_until = ? WHERE id = ? AND status = 'PENDING' AND next_attempt_at <= ? + ${MERCHANT_OFFSET} AND locked_until <= ? RETURNING *`,
  );
  const renew = db.prepare('UPDATE webhook_deliveries SET locked_until = ? WHERE id = ? AND locked_until = ?');
  const record = db.prepare(`
    UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_status_code = ?, last_error = ?, delivered_at = ?,
      locked_until = 0 WHERE id = ? AND locked_until = ?`);
  // locked_until stays: a delivery being sent keeps its holder (and its claim token, which must only grow).
  const requeue = db.prepare(
    "UPDATE webhook_deliveries SET status = 'PENDING', next_attempt_at = ?, delivered_at = NULL WHERE merchant_id = ? AND id = ?",
  );
  const finished = db
    .prepare("SELECT id FROM webhook_deliveries WHERE status <> 'PENDING' AND next_attempt_at < ? ORDER BY next_attempt_at LIMIT ?")
    .pluck();
  // A delivery's attempt log goes with it.
  const dropFinished = [
    db.prepare('DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT value FROM json_each(?))'),
    db.prepare('DELETE FROM webhook_deliveries WHERE id IN (SELECT value FROM json_each(?))'),
  ];
  const fanOuts = [
    ['payment_events', 'payment_id'],
    ['session_events', 'session_id'],
  ].map(([table, subject]) => ({ deliveries: db.prepare(fanOutSql(table!, subject!)), done: db.prepare(flaggedDone(table!)) }));
  // A read first, so that a tick with nothing to fan out takes no write lock (other processes write too).
  const awaiting = engine.query(
    'SELECT EXISTS (SELECT 1 FROM payment_events WHERE awaiting_fan_out = 1) OR EXISTS (SELECT 1 FROM session_events WHERE awaiting_fan_out = 1) AS any',
  );
  // Still to deliver: PENDING deliveries, and events whose deliveries are not made yet.
  const backlog = engine.query(`
    SELECT SUM(n) AS pending, MIN(oldest) AS oldest FROM (
      SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM webhook_deliveries WHERE status = 'PENDING'
      UNION ALL SELECT COUNT(*), MIN(created_at) FROM payment_events WHERE awaiting_fan_out = 1
      UNION ALL SELECT COUNT(*), MIN(created_at) FROM session_events WHERE awaiting_fan_out = 1)`);
  return {
    async insertEndpoint(e, maxLive) {
      // One unit: the count and the insert commit together under the write lock, so no two creations both see room.
      return writer.run(() => {
        if (maxLive !== undefined && (liveCount.get(e.merchantId) as { n: number }).n >= maxLive) return false;
        insert.run(endpointRow(e));
        return true;
      });
    },
    async setChaos(merchantId, id, chaos) {
      return (await writer.run(() => setChaos.run(chaos ? JSON.stringify(chaos) : null, merchantId, id).changes)) === 1;
    },
    async enableEndpoint(merchantId, id) {
      return (await writer.run(() => enable.run(merchantId, id).changes)) === 1;
    },
    async updateEndpoint(e) {
      await writer.run(() => update.run(endpointRow(e)));
    },
    findEndpoint(merchantId, id) {
      const row = byId.get(merchantId, id) as EndpointRow | undefined;
      return row ? toEndpoint(row) : undefined;
    },
    async endpoints(merchantId) {
      return (live.all(merchantId) as EndpointRow[]).map(toEndpoint);
    },
    findDelivery(merchantId, id) {
      const row = delivery.get(merchantId, id) as DeliveryRow | undefined;
      return row ? toDelivery(row) : undefined;
    },
    async deliveries(merchantId, filter, limit) {
      const q = deliveryListQuery(merchantId, filter, limit);
      return (engine.query(q.sql).all(...q.params) as DeliveryRow[]).map(toDelivery);
    },
    async fanOut(limit) {
      if (!(awaiting.get() as { any: number }).any) return 0;
      return writer.run(() => {
        let events = 0;
        for (const f of fanOuts) {
          f.deliveries.run({ limit });
          events += f.done.run({ limit }).changes;
        }
        return events;
      });
    },
    async dueDeliveries(now, limit, perEndpoint = limit) {
      return (due.all(now, now, now, perEndpoint, limit) as DeliveryRow[]).map(toDelivery);
    },
    async claimDelivery(id, now, until) {
      const row = await writer.run(() => claim.get(until, id, now, now) as DeliveryRow | undefined);
      return row ? toDelivery(row) : undefined;
    },
    async renewClaims(claims, until) {
      if (claims.length === 0) return [];
      return writer.run(() => claims.filter((c) => renew.run(until, c.id, c.until).changes === 1).map((c) => c.id));
    },
    async recordAttempt(c, r) {
      const id = c.id;
      return writer.run(() => {
        const recorded = record.run(
          r.status,
          r.attempts,
          r.nextAttemptAt,
          r.lastStatusCode ?? null,
          r.lastError ?? null,
          r.deliveredAt ?? null,
          id,
          c.until,
        ).changes;
        // The log and the endpoint's health follow the attempt only when it was recorded.
        if (recorded !== 1) return false;
        if (r.log) {
          const { merchant_id } = merchantOf.get(id) as { merchant_id: string };
          logAttempt.run(attemptRow(id, merchant_id, r.attempts, r.log));
          trimLog.run(id, r.attempts - ATTEMPTS_KEPT);
        }
        const h = r.health;
        if (h?.ok) healthy.run(id);
        else if (h) {
          failing.run({ id, at: h.at });
          disable.run({ id, at: h.at, reason: h.disableReason, since: h.disableIfFailingSince, failures: h.disableAfterFailures });
        }
        return true;
      });
    },
    async attemptLog(merchantId, deliveryId) {
      return (attemptLog.all(deliveryId, merchantId) as AttemptRow[]).map(toAttempt);
    },
    async requeue(merchantId, id, now) {
      return (await writer.run(() => requeue.run(now, merchantId, id).changes)) === 1;
    },
    async purgeFinished(before, limit) {
      return writer.run(() => {
        const ids = JSON.stringify(finished.all(before, limit));
        return dropFinished.map((drop) => drop.run(ids).changes)[1]!;
      });
    },
    async backlog() {
      const row = backlog.get() as { pending: number; oldest: number | null };
      return { pending: row.pending, ...(row.oldest !== null ? { oldestCreatedAt: row.oldest } : {}) };
    },
    resetMerchant(merchantId) {
      return writer.run(() => {
        resetAttempts.run(merchantId);
        return { deliveries: resetDeliveries.run(merchantId).changes };
      });
    },
  };
}
