// What a payment or session event's INSERT shares on SQLite: the event is the outbox (webhooks.ts fans
// it out), flagged as it is written when a live endpoint of the merchant takes its type.

/**
 * 1 when the merchant (first parameter) has a live endpoint taking the event type (second, in quotes,
 * matched in the endpoint's JSON list), else 0: an event's awaiting_fan_out, set as it is written.
 */
export const SQLITE_SUBSCRIBED = `CASE WHEN EXISTS (SELECT 1 FROM webhook_endpoints
  WHERE merchant_id = ? AND deleted_at IS NULL AND disabled_at IS NULL AND instr(events, ?) > 0) THEN 1 ELSE 0 END`;

/**
 * The last parameters of a payment or session event's INSERT, the same for both: request id,
 * Idempotency-Key, detail, then SQLITE_SUBSCRIBED's.
 */
export const eventTailParams = (e: {
  merchantId: string;
  type: string;
  requestId?: string;
  idempotencyKey?: string;
  detail: Record<string, unknown>;
}) => [e.requestId ?? null, e.idempotencyKey ?? null, JSON.stringify(e.detail), e.merchantId, `"${e.type}"`] as const;
