// Row -> webhook objects, shared by both engines (BIGINT may arrive as a string from PostgreSQL).
import type {
  AttemptLog,
  DeliveryStatus,
  LoggedAttempt,
  WebhookChaos,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEventType,
} from '../webhooks/webhook.store.ts';

type Num = number | string;
const opt = (v: Num | null | undefined) => (v === null || v === undefined ? undefined : Number(v));

export interface EndpointRow {
  id: string;
  merchant_id: string;
  url: string;
  description: string | null;
  events: string;
  version: string;
  secret: string;
  previous_secret: string | null;
  previous_until: Num | null;
  created_at: Num;
  deleted_at: Num | null;
  failing_since: Num | null;
  failures: Num;
  disabled_at: Num | null;
  disabled_reason: string | null;
  /** JSON; written only by setChaos (absent from the rows written as a whole). */
  chaos?: string | null;
}

export interface DeliveryRow {
  id: string;
  merchant_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  subject_id: string;
  status: string;
  attempts: Num;
  next_attempt_at: Num;
  last_status_code: Num | null;
  last_error: string | null;
  created_at: Num;
  delivered_at: Num | null;
}

export function toEndpoint(r: EndpointRow): WebhookEndpoint {
  const previousUntil = opt(r.previous_until);
  const deletedAt = opt(r.deleted_at);
  return {
    id: r.id,
    merchantId: r.merchant_id,
    url: r.url,
    ...(r.description !== null ? { description: r.description } : {}),
    events: JSON.parse(r.events) as WebhookEventType[],
    version: r.version,
    secretSealed: r.secret,
    ...(r.previous_secret !== null ? { previousSecretSealed: r.previous_secret } : {}),
    ...(previousUntil !== undefined ? { previousUntil } : {}),
    createdAt: Number(r.created_at),
    ...(deletedAt !== undefined ? { deletedAt } : {}),
    ...(r.failing_since !== null ? { failingSince: Number(r.failing_since) } : {}),
    ...(Number(r.failures) > 0 ? { failures: Number(r.failures) } : {}),
    ...(r.disabled_at !== null ? { disabledAt: Number(r.disabled_at) } : {}),
    ...(r.disabled_reason !== null ? { disabledReason: r.disabled_reason } : {}),
    ...(r.chaos ? { chaos: JSON.parse(r.chaos) as WebhookChaos } : {}),
  };
}

export function endpointRow(e: WebhookEndpoint): EndpointRow {
  return {
    id: e.id,
    merchant_id: e.merchantId,
    url: e.url,
    description: e.description ?? null,
    events: JSON.stringify(e.events),
    version: e.version,
    secret: e.secretSealed,
    previous_secret: e.previousSecretSealed ?? null,
    previous_until: e.previousUntil ?? null,
    created_at: e.createdAt,
    deleted_at: e.deletedAt ?? null,
    failing_since: e.failingSince ?? null,
    failures: e.failures ?? 0,
    disabled_at: e.disabledAt ?? null,
    disabled_reason: e.disabledReason ?? null,
  };
}

export interface AttemptRow {
  delivery_id: string;
  attempt: Num;
  merchant_id: string;
  at: Num;
  duration_ms: Num;
  request: string | null;
  response: string | null;
  outcome: string;
}

export function attemptRow(deliveryId: string, merchantId: string, attempt: number, log: AttemptLog): AttemptRow {
  return {
    delivery_id: deliveryId,
    attempt,
    merchant_id: merchantId,
    at: log.at,
    duration_ms: Math.max(0, Math.round(log.durationMs)),
    request: log.request ? JSON.stringify(log.request) : null,
    response: log.response ? JSON.stringify(log.response) : null,
    outcome: log.outcome,
  };
}

export function toAttempt(r: AttemptRow): LoggedAttempt {
  return {
    attempt: Number(r.attempt),
    at: Number(r.at),
    durationMs: Number(r.duration_ms),
    ...(r.request !== null ? { request: JSON.parse(r.request) as NonNullable<AttemptLog['request']> } : {}),
    ...(r.response !== null ? { response: JSON.parse(r.response) as NonNullable<AttemptLog['response']> } : {}),
    outcome: r.outcome,
  };
}

export function toDelivery(r: DeliveryRow): WebhookDelivery {
  const lastStatusCode = opt(r.last_status_code);
  const deliveredAt = opt(r.delivered_at);
  return {
    id: r.id,
    merchantId: r.merchant_id,
    endpointId: r.endpoint_id,
    eventId: r.event_id,
    eventType: r.event_type as WebhookEventType,
    subjectId: r.subject_id,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    ...(lastStatusCode !== undefined ? { lastStatusCode } : {}),
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    createdAt: Number(r.created_at),
    ...(deliveredAt !== undefined ? { deliveredAt } : {}),
  };
}

/** The delivery list's WHERE clause (placeholders `?`), columns from this file only. */
export function deliveryListQuery(merchantId: string, filter: { status?: string; endpointId?: string; subjectId?: string }, limit: number) {
  const where = ['merchant_id = ?'];
  const params: unknown[] = [merchantId];
  if (filter.status) {
    where.push('status = ?');
    params.push(filter.status);
  }
  if (filter.endpointId) {
    where.push('endpoint_id = ?');
    params.push(filter.endpointId);
  }
  if (filter.subjectId) {
    where.push('subject_id = ?');
    params.push(filter.subjectId);
  }
  params.push(limit);
  return { sql: `SELECT * FROM webhook_deliveries WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`, params };
}

/** A delivery's merchant's sandbox clock offset (ms), in an UPDATE of webhook_deliveries: deliveries are due on their merchant's time. */
export const MERCHANT_OFFSET = `COALESCE((SELECT offset_ms FROM sandbox_clocks c WHERE c.merchant_id = webhook_deliveries.merchant_id), 0)`;

/**
 * The due deliveries in turns (WebhookStore.dueDeliveries; placeholders `?`: now three times, perEndpoint,
 * limit), each due on its merchant's time (its sandbox offset; the largest bounds the index range):
 * each endpoint's deliveries numbered oldest first, then within each number the endpoints of one
 * merchant numbered, so a turn takes every merchant's first endpoint before anyone's second.
 */
export const DUE_IN_TURNS = `
  SELECT * FROM (
    SELECT r.*, ROW_NUMBER() OVER (PARTITION BY merchant_id, endpoint_turn ORDER BY next_attempt_at, id) AS merchant_turn FROM (
      SELECT d.*, ROW_NUMBER() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS endpoint_turn
      FROM webhook_deliveries d LEFT JOIN sandbox_clocks c ON c.merchant_id = d.merchant_id
      WHERE d.status = 'PENDING' AND d.next_attempt_at <= ? + (SELECT COALESCE(MAX(offset_ms), 0) FROM sandbox_clocks)
        AND d.next_attempt_at <= ? + COALESCE(c.offset_ms, 0) AND d.locked_until <= ?
    ) r WHERE endpoint_turn <= ?
  ) f ORDER BY endpoint_turn, merchant_turn, next_attempt_at, id LIMIT ?`;
