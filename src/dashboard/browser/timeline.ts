// Timelines: a session's or a payment's events in order, with what changed and the request that made
// it, and each event's webhook deliveries with a Redeliver button and their attempt log. After a
// redelivery the timeline is read again every second until a dispatcher has sent the delivery (or given
// up on it).
import type { Attempt, Delivery, DeliveryDetail, Timeline, TimelineEvent } from './answers.ts';
import { api, messageOf } from './api.ts';
import { el, formatAmount, formatInstant, statusBadge } from './dom.ts';

/** How a timeline's event is described in its "What changed" cell. */
export type Describe = (e: TimelineEvent, currency: string | undefined) => Node;

const DELIVERY_KIND: Record<string, string> = { DELIVERED: ' good', FAILED: ' bad', PENDING: ' waiting' };
const WATCH_MS = 1000;
const WATCH_TIMES = 30;

export function paymentEventsPath(id: string) {
  return `/dashboard/api/payments/${encodeURIComponent(id)}/events`;
}

function valueText(key: string, value: unknown, currency: string | undefined) {
  if (value === undefined || value === null) return '(none)';
  if (typeof value === 'number' && /amount/i.test(key)) return formatAmount(value, currency);
  if (typeof value === 'object') {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 79)}…` : text;
  }
  return String(value);
}

// A session's creation, its expiry and a triggered event (the session as it was) name its order,
// currency and amount; a change names each field, from → to.
export const sessionChanges: Describe = (e, currency) => {
  const changes = e.changes;
  const keys = Object.keys(changes);
  if (e.type === 'CLIENT_SESSION.CREATED' || e.type === 'CLIENT_SESSION.EXPIRED' || e.triggered) {
    const created = (changes.currencyCode as string | undefined) || currency;
    const none = e.type === 'CLIENT_SESSION.CREATED' ? 'created' : 'expired';
    return el('span', keys.map((k) => `${k} ${valueText(k, changes[k], created)}`).join(' · ') || none);
  }
  const change = (k: string) => changes[k] as { from?: unknown; to?: unknown };
  const text = keys.map((k) => `${k}: ${valueText(k, change(k).from, currency)} → ${valueText(k, change(k).to, currency)}`);
  return el('span', text.join(' · ') || 'nothing changed');
};

/** A payment event's changes (payments/overview.ts; dispute steps: disputes/service.ts; failures: failure-events.ts). */
interface PaymentChanges {
  from?: string;
  refundAmount?: number;
  refundStatus?: string;
  amountCaptured?: number;
  amountRefunded?: number;
  disputeType?: string;
  disputeStatus?: string;
  disputeAmount?: number;
  reasonCode?: string;
  requestAmount?: number;
  reason?: string;
}

// A payment's event: the status it left, what it came from (or the refund, the dispute step, the failed request), and the amounts after it.
export const paymentChanges: Describe = (e, currency) => {
  const c = e.changes as PaymentChanges;
  const parts = [];
  if (e.type === 'PAYMENT.REFUND') parts.push(`refund ${formatAmount(c.refundAmount, currency)} ${c.refundStatus}`);
  else if (e.type.startsWith('DISPUTE.')) {
    parts.push(`dispute ${c.disputeType} ${c.disputeStatus} ${formatAmount(c.disputeAmount, currency)}, reason ${c.reasonCode}`);
  } else if (e.type.endsWith('.FAILED')) parts.push(`failed: ${formatAmount(c.requestAmount, currency)} asked; ${c.reason}`);
  // A triggered status tells the payment as it was; it changed nothing.
  else if (e.triggered) parts.push('unchanged');
  else parts.push(c.from ? `from ${c.from}` : 'created');
  parts.push(`captured ${formatAmount(c.amountCaptured, currency)}`, `refunded ${formatAmount(c.amountRefunded, currency)}`);
  const cell = el('span');
  cell.append(statusBadge(e.status!), ' ', el('span', parts.join(' · ')));
  return cell;
};

type OnRedeliver = (id: string, item: HTMLElement, button: HTMLButtonElement) => Promise<void>;

function deliveryItem(d: Delivery, onRedeliver: OnRedeliver) {
  const item = el('div', undefined, 'delivery');
  item.dataset.id = d.id;
  const last = d.lastError ? d.lastError : d.lastStatusCode !== undefined ? `HTTP ${d.lastStatusCode}` : '';
  item.append(
    el('span', d.status, `status${DELIVERY_KIND[d.status] || ''}`),
    el('span', d.endpointUrl || `deleted endpoint ${d.endpointId}`, 'muted endpoint'),
    el('span', d.attempts + (d.attempts === 1 ? ' attempt' : ' attempts'), 'attempts'),
  );
  if (last) item.append(el('span', last, d.lastError ? 'last-error' : 'muted last-result'));
  if (d.nextAttemptAt) item.append(el('span', `next ${formatInstant(d.nextAttemptAt)}`, 'muted next-attempt'));
  const button = el('button', 'Redeliver', 'secondary redeliver') as HTMLButtonElement;
  button.type = 'button';
  button.addEventListener('click', () => void onRedeliver(d.id, item, button));
  const log = el('button', 'Log', 'secondary show-log') as HTMLButtonElement;
  log.type = 'button';
  log.addEventListener('click', () => void toggleLog(d.id, item));
  item.append(button, log);
  return item;
}

const headerText = (headers: Record<string, string>) =>
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');

function attemptEntry(a: Attempt) {
  const entry = el('details', undefined, 'attempt');
  entry.append(el('summary', `#${a.attempt} ${formatInstant(a.date)} · ${a.durationMs} ms · ${a.outcome}`));
  if (a.request) entry.append(el('div', 'Request', 'muted'), el('pre', `${headerText(a.request.headers)}\n\n${a.request.body}`));
  if (a.response) {
    entry.append(
      el('div', `Response ${a.response.statusCode}`, 'muted'),
      el('pre', `${headerText(a.response.headers)}\n\n${a.response.body}`),
    );
  }
  return entry;
}

// Each attempt of a delivery: when, how long, what happened; what was sent and answered, folded.
async function toggleLog(id: string, item: HTMLElement) {
  const open = item.querySelector('.attempt-log');
  if (open) return open.remove();
  const box = el('div', undefined, 'attempt-log');
  item.append(box);
  let answer: DeliveryDetail;
  try {
    answer = await api<DeliveryDetail>(`/dashboard/api/webhook-deliveries/${encodeURIComponent(id)}`);
  } catch (error) {
    box.replaceChildren(el('span', messageOf(error), 'error'));
    return;
  }
  if (answer.attemptLog.length === 0) box.append(el('span', 'No attempt yet.', 'muted'));
  for (const a of answer.attemptLog) box.append(attemptEntry(a));
}

// Renders the events at path into box; resolves with them (undefined when they could not be read).
export async function showTimeline(
  box: HTMLElement,
  path: string,
  describe: Describe,
  currency: string | undefined,
): Promise<Timeline | undefined> {
  box.dataset.path = path;
  let answer: Timeline;
  try {
    answer = await api<Timeline>(path);
  } catch (error) {
    if (box.dataset.path === path) box.replaceChildren(el('p', messageOf(error), 'error'));
    return undefined;
  }
  if (box.dataset.path !== path) return undefined;
  const refresh = () => showTimeline(box, path, describe, currency);
  const onRedeliver: OnRedeliver = (id, item, button) => redeliver(id, item, button, refresh);
  const table = el('table', undefined, 'timeline');
  const head = document.createElement('thead');
  const headRow = document.createElement('tr');
  headRow.append(el('th', 'Time'), el('th', 'Event'), el('th', 'What changed'), el('th', 'Request'), el('th', 'Webhooks'));
  head.append(headRow);
  const body = document.createElement('tbody');
  for (const e of answer.events) {
    const tr = document.createElement('tr');
    tr.dataset.id = e.id;
    const changes = el('td', undefined, 'changes');
    changes.append(describe(e, currency));
    const hooks = el('td', undefined, 'webhooks');
    for (const d of e.deliveries) hooks.append(deliveryItem(d, onRedeliver));
    if (e.deliveries.length === 0) hooks.append(el('span', '—', 'muted'));
    const origin = el('td', e.requestId || '—', 'muted');
    if (e.idempotencyKey) origin.append(el('div', `Idempotency-Key: ${e.idempotencyKey}`, 'idempotency-key'));
    const type = el('td', e.type, 'type');
    if (e.triggered) type.append(' ', el('span', 'triggered', 'muted triggered'));
    tr.append(el('td', formatInstant(e.date)), type, changes, origin, hooks);
    body.append(tr);
  }
  table.append(head, body);
  box.replaceChildren(table);
  if (answer.events.length === 0) box.replaceChildren(el('p', 'No events.', 'muted'));
  return answer;
}

// Queues the delivery again, then reloads the timeline until a dispatcher has sent it (or given up on it).
async function redeliver(id: string, item: HTMLElement, button: HTMLButtonElement, refresh: () => Promise<Timeline | undefined>) {
  button.disabled = true;
  try {
    await api(`/dashboard/api/webhook-deliveries/${encodeURIComponent(id)}/redeliver`, { method: 'POST' });
  } catch (error) {
    button.disabled = false;
    item.append(el('span', messageOf(error), 'error'));
    return;
  }
  for (let i = 0; i < WATCH_TIMES; i++) {
    const answer = await refresh();
    const found = answer?.events.flatMap((e) => e.deliveries).find((d) => d.id === id);
    if (found?.status !== 'PENDING') return;
    await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
  }
}
