// Webhook endpoints and deliveries on SQLite. Reads answer at once; writes go through the writer, so
// they commit with the group (claims are compare-and-set, so one process wins each).
import type { WebhookStore } from '../../webhooks/webhook.store.ts';
import { deliveryListQuery, endpointRow, toDelivery, toEndpoint, type DeliveryRow, type EndpointRow } from '../webhook-rows.ts';
import type { SqliteEngine } from './database.ts';

export function sqliteWebhooks(engine: SqliteEngine): WebhookStore {
  const { db, writer } = engine;
  const insert = db.prepare(`
    INSERT INTO webhook_endpoints (id, merchant_id, url, description, events, version, secret, previous_secret, previous_until, created_at, deleted_at)
    VALUES (@id, @merchant_id, @url, @description, @events, @version, @secret, @previous_secret, @previous_until, @created_at, @deleted_at)`);
  const update = db.prepare(`
    UPDATE webhook_endpoints SET url = @url, description = @description, events = @events, version = @version, secret = @secret,
      previous_secret = @previous_secret, previous_until = @previous_until, deleted_at = @deleted_at WHERE id = @id AND merchant_id = @merchant_id`);
  const byId = db.prepare('SELECT * FROM webhook_endpoints WHERE merchant_id = ? AND id = ?');
  const live = db.prepare('SELECT * FROM webhook_endpoints WHERE merchant_id = ? AND deleted_at IS NULL ORDER BY created_at, id');
  const delivery = db.prepare('SELECT * FROM webhook_deliveries WHERE merchant_id = ? AND id = ?');
  const due = db.prepare(
    "SELECT * FROM webhook_deliveries WHERE status = 'PENDING' AND next_attempt_at <= ? AND locked_until <= ? ORDER BY next_attempt_at LIMIT ?",
  );
  // Due, too: a process claiming from a list it read before another process tried and rescheduled the
  // delivery must not send the retry early.
  const claim = db.prepare(
    "UPDATE webhook_deliveries SET locked_until = ? WHERE id = ? AND status = 'PENDING' AND next_attempt_at <= ? AND locked_until <= ?",
  );
  const record = db.prepare(`
    UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_status_code = ?, last_error = ?, delivered_at = ?,
      locked_until = 0 WHERE id = ?`);
  const requeue = db.prepare(
    "UPDATE webhook_deliveries SET status = 'PENDING', next_attempt_at = ?, locked_until = 0, delivered_at = NULL WHERE merchant_id = ? AND id = ?",
  );
  const backlog = db.prepare("SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM webhook_deliveries WHERE status = 'PENDING'");
  return {
    async insertEndpoint(e) {
      await writer.run(() => insert.run(endpointRow(e)));
    },
    async updateEndpoint(e) {
      await writer.run(() => update.run(endpointRow(e)));
    },
    findEndpoint(merchantId, id) {
      writer.reading();
      const row = byId.get(merchantId, id) as EndpointRow | undefined;
      return row ? toEndpoint(row) : undefined;
    },
    async endpoints(merchantId) {
      writer.reading();
      return (live.all(merchantId) as EndpointRow[]).map(toEndpoint);
    },
    findDelivery(merchantId, id) {
      writer.reading();
      const row = delivery.get(merchantId, id) as DeliveryRow | undefined;
      return row ? toDelivery(row) : undefined;
    },
    async deliveries(merchantId, filter, limit) {
      writer.reading();
      const q = deliveryListQuery(merchantId, filter, limit);
      return (db.prepare(q.sql).all(...q.params) as DeliveryRow[]).map(toDelivery);
    },
    async dueDeliveries(now, limit) {
      writer.reading();
      return (due.all(now, now, limit) as DeliveryRow[]).map(toDelivery);
    },
    async claimDelivery(id, now, until) {
      return (await writer.run(() => claim.run(until, id, now, now).changes)) === 1;
    },
    async recordAttempt(id, r) {
      await writer.run(() =>
        record.run(r.status, r.attempts, r.nextAttemptAt, r.lastStatusCode ?? null, r.lastError ?? null, r.deliveredAt ?? null, id),
      );
    },
    async requeue(merchantId, id, now) {
      return (await writer.run(() => requeue.run(now, merchantId, id).changes)) === 1;
    },
    async backlog() {
      writer.reading();
      const row = backlog.get() as { pending: number; oldest: number | null };
      return { pending: row.pending, ...(row.oldest !== null ? { oldestCreatedAt: row.oldest } : {}) };
    },
  };
}
