// A session's history (docs/webhooks.md, "History"): every change is an event recorded with it,
// saying what changed. An update stores only the values it changed, at their paths (a change of one
// customer field is that field, not the customer twice); what the API shows, each top-level field
// {from, to}, is rebuilt from the session as it is now, walking back through those changes. Pure.
import type { EventOrigin } from '../lib/context.ts';
import { newTimeOrderedUuid } from '../lib/ids.ts';
import { sessionAmount } from '../primer/money.ts';
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

/**
 * The session's token expired (sessions/expiry.ts): recorded once, when the session's merchant's time
 * passes expiresAt, dated then; the session did not change, so its detail is what a creation's says of it.
 */
export function expiredEvent(session: StoredSession): SessionEvent {
  const amount = sessionAmount(session.data);
  return {
    id: newTimeOrderedUuid(session.expiresAt),
    merchantId: session.merchantId,
    sessionId: session.id,
    type: 'CLIENT_SESSION.EXPIRED',
    version: session.version,
    // After the change that made this version.
    ordinal: 1,
    createdAt: session.expiresAt,
    detail: {
      ...(session.data.orderId !== undefined ? { orderId: session.data.orderId } : {}),
      ...(session.data.currencyCode !== undefined ? { currencyCode: session.data.currencyCode } : {}),
      ...(amount !== undefined ? { amount } : {}),
    },
  };
}

/** One value a change made: its path from the session's top; `from` absent when it was added, `to` when removed. */
export interface PathChange {
  path: string[];
  from?: unknown;
  to?: unknown;
}

/** The key an update's stored detail keeps its path changes under (no session field starts with `$`). */
export const PATH_CHANGES = '$paths';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every value that differs, at the deepest object path where it does; arrays and scalars are compared whole. */
export function pathChanges(before: unknown, after: unknown, path: string[] = []): PathChange[] {
  if (isRecord(before) && isRecord(after)) {
    const changes: PathChange[] = [];
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      changes.push(...pathChanges(before[key], after[key], [...path, key]));
    }
    return changes;
  }
  if (before === after || (before !== undefined && after !== undefined && JSON.stringify(before) === JSON.stringify(after))) return [];
  return [{ path, ...(before !== undefined ? { from: before } : {}), ...(after !== undefined ? { to: after } : {}) }];
}

/** The session before `changes`, given the session after them; only the fields they touch are copied. */
function undo(after: SessionData, changes: readonly PathChange[]): SessionData {
  const before: Record<string, unknown> = { ...after };
  for (const key of new Set(changes.map((c) => c.path[0]!))) {
    if (isRecord(before[key])) before[key] = structuredClone(before[key]);
  }
  for (const { path, from } of changes) {
    let node = before;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = path[path.length - 1]!;
    if (from === undefined) delete node[last];
    else node[last] = from;
  }
  return before as SessionData;
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
    detail: { [PATH_CHANGES]: pathChanges(before.data, after.data) },
  };
}

/**
 * The events as the history shows them, oldest first: each update's detail is every top-level field
 * it changed, {from, to} (changesOf), rebuilt from `session` backwards. Events newer than `session`
 * (a change committed since it was read) are left out; the creation, and updates stored whole (before
 * updates stored paths), are shown as stored.
 */
export function sessionHistory(session: StoredSession, events: readonly SessionEvent[]): SessionEvent[] {
  const known = events.filter((e) => e.version <= session.version);
  const shown: SessionEvent[] = [];
  let after: SessionData = session.data;
  for (let i = known.length - 1; i >= 0; i--) {
    const event = known[i]!;
    // A triggered event, or the expiry, changed nothing: it is shown as stored, and the walk goes on past it.
    if (event.triggered || event.type === 'CLIENT_SESSION.EXPIRED') {
      shown.push(event);
      continue;
    }
    const changes = event.detail[PATH_CHANGES] as PathChange[] | undefined;
    // Events stored whole come before every event stored as paths: nothing older needs rebuilding.
    if (!changes) {
      shown.push(...known.slice(0, i + 1).reverse());
      break;
    }
    const before = undo(after, changes);
    shown.push({ ...event, detail: changesOf(before, after) });
    after = before;
  }
  return shown.reverse();
}
