// A session's history (docs/webhooks.md, "History"): every change is an event recorded with it,
// saying what changed. Pure.
import type { EventOrigin } from '../lib/context.ts';
import { newTimeOrderedUuid } from '../lib/ids.ts';
import { sessionAmount } from './amount.ts';
import type { SessionData } from './schemas.ts';
import type { SessionEvent, StoredSession } from './session.store.ts';

/** Each top-level field whose value changed: {from, to}; a field added has no `from`, one cleared no `to`. */
export function changesOf(before: SessionData, after: SessionData): Record<string, { from?: unknown; to?: unknown }> {
  const changes: Record<string, { from?: unknown; to?: unknown }> = {};
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    const from = b[key];
    const to = a[key];
    if (from === to) continue;
    if (from !== undefined && to !== undefined && JSON.stringify(from) === JSON.stringify(to)) continue;
    changes[key] = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
  }
  const amountBefore = sessionAmount(before);
  const amountAfter = sessionAmount(after);
  if (amountBefore !== amountAfter && !('amount' in changes)) {
    changes.amount = {
      ...(amountBefore !== undefined ? { from: amountBefore } : {}),
      ...(amountAfter !== undefined ? { to: amountAfter } : {}),
    };
  }
  return changes;
}

export function createdEvent(session: StoredSession, origin: EventOrigin): SessionEvent {
  const amount = sessionAmount(session.data);
  return {
    id: newTimeOrderedUuid(session.createdAt),
    merchantId: session.merchantId,
    sessionId: session.id,
    type: 'CLIENT_SESSION.CREATED',
    version: session.version,
    createdAt: session.createdAt,
    ...origin,
    detail: {
      ...(session.data.orderId !== undefined ? { orderId: session.data.orderId } : {}),
      ...(session.data.currencyCode !== undefined ? { currencyCode: session.data.currencyCode } : {}),
      ...(amount !== undefined ? { amount } : {}),
    },
  };
}

export function updatedEvent(before: StoredSession, after: StoredSession, origin: EventOrigin): SessionEvent {
  return {
    id: newTimeOrderedUuid(after.updatedAt),
    merchantId: after.merchantId,
    sessionId: after.id,
    type: 'CLIENT_SESSION.UPDATED',
    version: after.version,
    createdAt: after.updatedAt,
    ...origin,
    detail: changesOf(before.data, after.data),
  };
}
