// The sessions view: the recent sessions a page at a time, the form that creates a test session, and
// one session open with its facts, warnings, timeline, payments and JSON.
import type { CreatedSession, Page, SessionDetail, SessionSummary } from './answers.ts';
import { api, apiKey, messageOf, PAGE } from './api.ts';
import { $, el, formatAmount, formatTime } from './dom.ts';
import { currentId } from './hash.ts';
import { showSessionPayments } from './payments.ts';
import { sessionChanges, showTimeline } from './timeline.ts';

let nextBefore: string | undefined;

function row(s: SessionSummary) {
  const tr = document.createElement('tr');
  tr.dataset.id = s.id;
  const link = el('a', s.orderId || '(no order id)') as HTMLAnchorElement;
  link.href = `#session/${encodeURIComponent(s.id)}`;
  const first = el('td');
  first.append(link);
  const state = el('td');
  state.append(el('span', s.state, `state ${s.state}`));
  tr.append(
    first,
    el('td', formatAmount(s.amount, s.currencyCode), 'num'),
    el('td', s.customerEmail || '—'),
    el('td', formatTime(s.createdAt)),
    el('td', formatTime(s.expiresAt)),
    state,
  );
  tr.addEventListener('click', () => {
    location.hash = `session/${encodeURIComponent(s.id)}`;
  });
  return tr;
}

export async function loadSessions(more: boolean) {
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (more && nextBefore) query.set('before', nextBefore);
  const page = await api<Page & { sessions: SessionSummary[] }>(`/dashboard/api/sessions?${query}`);
  const body = $<HTMLTableElement>('sessions').tBodies[0];
  if (!more) body.replaceChildren();
  for (const s of page.sessions) body.append(row(s));
  nextBefore = page.nextBefore;
  $('more').hidden = !nextBefore;
  $('empty').hidden = body.rows.length > 0;
  $('list-error').textContent = '';
  markSelected();
}

/** Loads the list, showing what went wrong under it. */
export const reloadSessions = (more: boolean) =>
  loadSessions(more).catch((e) => {
    $('list-error').textContent = messageOf(e);
  });

function markSelected() {
  const id = currentId();
  for (const tr of $<HTMLTableElement>('sessions').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.id === id);
}

export async function showDetail() {
  const id = currentId();
  markSelected();
  if (!id || !apiKey()) {
    $('detail').hidden = true;
    return;
  }
  let detail: SessionDetail;
  try {
    detail = await api<SessionDetail>(`/dashboard/api/sessions/${encodeURIComponent(id)}`);
  } catch (error) {
    $('list-error').textContent = messageOf(error);
    $('detail').hidden = true;
    return;
  }
  $('detail-id').textContent = detail.id;
  const facts = $('detail-facts');
  facts.replaceChildren();
  const fact = (name: string, value: unknown) => facts.append(el('dt', name), el('dd', value));
  fact('State', detail.state);
  fact('Created', formatTime(detail.createdAt));
  fact('Updated', formatTime(detail.updatedAt));
  fact('Token expires', `${formatTime(detail.expiresAt)} (clientTokenExpirationDate ${detail.clientTokenExpirationDate})`);
  fact('Version', detail.version);
  const warnings = $('detail-warnings');
  warnings.replaceChildren();
  warnings.className = 'warnings';
  for (const w of detail.warnings) warnings.append(el('li', `${w.type} ${w.code}: ${w.message}`));
  if (detail.warnings.length === 0) warnings.append(el('li', 'None', 'muted'));
  $('detail-json').textContent = JSON.stringify(detail.session, null, 2);
  const customerId = detail.session.customerId;
  $('detail-customer').hidden = !customerId;
  if (customerId) {
    $('detail-customer-id').textContent = customerId;
    $<HTMLAnchorElement>('detail-vault-link').href = `#vault/${encodeURIComponent(customerId)}`;
  }
  $('detail').hidden = false;
  const currency = detail.session.currencyCode;
  await Promise.all([
    showTimeline($('detail-history'), `/dashboard/api/sessions/${encodeURIComponent(detail.id)}/events`, sessionChanges, currency),
    showSessionPayments(detail.id),
  ]);
}

export async function createSession(form: HTMLFormElement) {
  const data = new FormData(form);
  const body: { orderId?: string; currencyCode?: string; amount?: number; customer?: { emailAddress: string } } = {};
  const orderId = String(data.get('orderId') || '').trim();
  const currency = String(data.get('currencyCode') || '')
    .trim()
    .toUpperCase();
  const amount = String(data.get('amount') || '').trim();
  const email = String(data.get('email') || '').trim();
  if (orderId) body.orderId = orderId;
  if (currency) body.currencyCode = currency;
  if (amount) body.amount = Number(amount);
  if (email) body.customer = { emailAddress: email };
  const result = $('create-result');
  result.replaceChildren();
  try {
    const created = await api<CreatedSession>('/client-session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Api-Version': '2.4' },
      body: JSON.stringify(body),
    });
    result.append(el('p', `Session created. Client token (expires ${created.clientTokenExpirationDate} UTC):`));
    const token = el('input') as HTMLInputElement;
    token.id = 'created-token';
    token.readOnly = true;
    token.value = created.clientToken;
    token.addEventListener('focus', () => token.select());
    result.append(token);
    if (created.warnings && created.warnings.length > 0) {
      const list = el('ul', undefined, 'warnings');
      for (const w of created.warnings) list.append(el('li', `${w.code}: ${w.message}`));
      result.append(list);
    }
    await loadSessions(false);
  } catch (error) {
    result.append(el('p', messageOf(error), 'error'));
  }
}
