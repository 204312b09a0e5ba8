// A payment's or a session's history as the API and the dashboard show it (docs/webhooks.md,
// "History"): each recorded event, oldest first, with the deliveries of that event. One mapping for
// both; each caller gives its date format and its view of a delivery.
interface RecordedEvent {
  id: string;
  type: string;
  createdAt: number;
  version: number;
  requestId?: string;
  idempotencyKey?: string;
  detail: Record<string, unknown>;
  /** Payment events: the status after the change. */
  status?: string;
  /** Sent by POST /kassa/sandbox/events. */
  triggered?: boolean;
}

export function historyEntries<E extends RecordedEvent, D>(
  events: readonly E[],
  deliveries: ReadonlyMap<string, D[]>,
  date: (ms: number) => string,
) {
  return events.map((e) => ({
    id: e.id,
    type: e.type as E['type'],
    date: date(e.createdAt),
    ...(e.status !== undefined ? { status: e.status as NonNullable<E['status']> } : {}),
    version: e.version,
    ...(e.requestId ? { requestId: e.requestId } : {}),
    ...(e.idempotencyKey ? { idempotencyKey: e.idempotencyKey } : {}),
    changes: e.detail,
    ...(e.triggered ? { triggered: true } : {}),
    deliveries: deliveries.get(e.id) ?? [],
  }));
}

/** Deliveries grouped by the event they deliver, in the order given. */
export function byEvent<D extends { eventId: string }, V>(deliveries: readonly D[], view: (d: D) => V): Map<string, V[]> {
  const grouped = new Map<string, V[]>();
  for (const d of deliveries) {
    const views = grouped.get(d.eventId) ?? [];
    views.push(view(d));
    grouped.set(d.eventId, views);
  }
  return grouped;
}
