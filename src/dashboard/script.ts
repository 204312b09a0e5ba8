// The dashboard's script: plain browser JavaScript, no framework, no build step. It uses only the
// public Client Session API and the dashboard's read endpoints, with the API key the operator signs
// in with, kept in sessionStorage (this tab only). Every value from the server is written with
// textContent, never as HTML. Views follow the address's hash: #session/<id> (the sessions, one open),
// #payments and #payment/<id> (the payments, one open), #vault/<customerId> (a customer's saved cards).
// A session and each payment show their timeline: events in order with their webhook deliveries, each
// of which can be redelivered (the page then watches it until a dispatcher has sent it): that part is
// in script-timeline.ts. The parts are one module; start() runs once both are defined.
import { TIMELINE_JS } from './script-timeline.ts';

const CORE_JS = String.raw`
const KEY = 'kassa.apiKey';
const PAGE = 25;
const $ = (id) => document.getElementById(id);
let nextBefore;
let nextPaymentsBefore;
let vaultShown;
let nextVaultBefore;
let shownView;

const apiKey = () => sessionStorage.getItem(KEY);

function describeError(status, body) {
  const e = body && body.error;
  if (!e) return 'HTTP ' + status;
  const lines = [e.errorId + ': ' + e.description];
  for (const group of e.validationErrors || []) {
    for (const f of group.errors) lines.push(f.path + ': ' + f.description);
  }
  lines.push('diagnosticsId ' + e.diagnosticsId);
  return lines.join('\n');
}

async function api(path, init) {
  init = init || {};
  const response = await fetch(path, {
    ...init,
    headers: { 'X-Api-Key': apiKey() || '', Accept: 'application/json', ...(init.headers || {}) },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(describeError(response.status, body));
    error.status = response.status;
    throw error;
  }
  return body;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function formatAmount(amount, currency) {
  if (amount === undefined) return '—';
  if (!currency) return String(amount);
  try {
    const format = new Intl.NumberFormat('en-GB', { style: 'currency', currency });
    return format.format(amount / 10 ** format.resolvedOptions().maximumFractionDigits);
  } catch {
    return amount + ' ' + currency;
  }
}

function formatTime(iso) {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

// To the second: a timeline's events are often seconds apart.
function formatInstant(iso) {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

function show(signedIn) {
  $('sign-in').hidden = signedIn;
  $('workspace').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
}

function row(s) {
  const tr = document.createElement('tr');
  tr.dataset.id = s.id;
  const link = el('a', s.orderId || '(no order id)');
  link.href = '#session/' + encodeURIComponent(s.id);
  const first = el('td');
  first.append(link);
  const state = el('td');
  state.append(el('span', s.state, 'state ' + s.state));
  tr.append(
    first,
    el('td', formatAmount(s.amount, s.currencyCode), 'num'),
    el('td', s.customerEmail || '—'),
    el('td', formatTime(s.createdAt)),
    el('td', formatTime(s.expiresAt)),
    state,
  );
  tr.addEventListener('click', () => { location.hash = 'session/' + encodeURIComponent(s.id); });
  return tr;
}

async function loadSessions(more) {
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (more && nextBefore) query.set('before', nextBefore);
  const page = await api('/dashboard/api/sessions?' + query);
  const body = $('sessions').tBodies[0];
  if (!more) body.replaceChildren();
  for (const s of page.sessions) body.append(row(s));
  nextBefore = page.nextBefore;
  $('more').hidden = !nextBefore;
  $('empty').hidden = body.rows.length > 0;
  $('list-error').textContent = '';
  markSelected();
}

function markSelected() {
  const id = currentId();
  for (const tr of $('sessions').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.id === id);
}

function currentId() {
  const match = /^#session\/(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : undefined;
}

async function showDetail() {
  const id = currentId();
  markSelected();
  if (!id || !apiKey()) {
    $('detail').hidden = true;
    return;
  }
  let detail;
  try {
    detail = await api('/dashboard/api/sessions/' + encodeURIComponent(id));
  } catch (error) {
    $('list-error').textContent = error.message;
    $('detail').hidden = true;
    return;
  }
  $('detail-id').textContent = detail.id;
  const facts = $('detail-facts');
  facts.replaceChildren();
  const fact = (name, value) => facts.append(el('dt', name), el('dd', value));
  fact('State', detail.state);
  fact('Created', formatTime(detail.createdAt));
  fact('Updated', formatTime(detail.updatedAt));
  fact('Token expires', formatTime(detail.expiresAt) + ' (clientTokenExpirationDate ' + detail.clientTokenExpirationDate + ')');
  fact('Version', detail.version);
  const warnings = $('detail-warnings');
  warnings.replaceChildren();
  warnings.className = 'warnings';
  for (const w of detail.warnings) warnings.append(el('li', w.type + ' ' + w.code + ': ' + w.message));
  if (detail.warnings.length === 0) warnings.append(el('li', 'None', 'muted'));
  $('detail-json').textContent = JSON.stringify(detail.session, null, 2);
  const customerId = detail.session.customerId;
  $('detail-customer').hidden = !customerId;
  if (customerId) {
    $('detail-customer-id').textContent = customerId;
    $('detail-vault-link').href = '#vault/' + encodeURIComponent(customerId);
  }
  $('detail').hidden = false;
  const currency = detail.session.currencyCode;
  await Promise.all([
    showTimeline($('detail-history'), '/dashboard/api/sessions/' + encodeURIComponent(detail.id) + '/events', sessionChanges, currency),
    showSessionPayments(detail.id),
  ]);
}

// ---- Payments ----------------------------------------------------------------------------------

const GOOD = ['AUTHORIZED', 'SETTLING', 'PARTIALLY_SETTLED', 'SETTLED'];
const BAD = ['DECLINED', 'FAILED'];

function statusBadge(status) {
  const kind = GOOD.includes(status) ? ' good' : BAD.includes(status) ? ' bad' : status === 'PENDING' ? ' waiting' : '';
  return el('span', status, 'status' + kind);
}

function cardText(card) {
  return card.network + ' •••• ' + card.last4Digits;
}

function link(text, hash) {
  const a = el('a', text);
  a.href = hash;
  return a;
}

function eventText(e, currency) {
  let text = e.type;
  if (e.amount !== undefined) text += ' ' + formatAmount(e.amount, currency);
  if (e.final !== undefined) text += e.final ? ' (final)' : ' (not final)';
  return text;
}

function transactionsTable(payment) {
  const table = el('table', undefined, 'transactions');
  const head = document.createElement('thead');
  const headRow = document.createElement('tr');
  headRow.append(el('th', 'Type'), el('th', 'Status'), el('th', 'Amount', 'num'), el('th', 'Date'), el('th', 'Details'));
  head.append(headRow);
  const body = document.createElement('tbody');
  for (const t of payment.transactions) {
    const tr = document.createElement('tr');
    const status = el('td');
    status.append(statusBadge(t.status));
    const details = [];
    if (t.reason !== undefined) details.push('reason: ' + t.reason);
    if (t.statusReason) details.push([t.statusReason.type, t.statusReason.declineType, t.statusReason.code, t.statusReason.message].filter(Boolean).join(' '));
    for (const e of t.events) details.push(eventText(e, t.currencyCode));
    tr.append(el('td', t.type), status, el('td', formatAmount(t.amount, t.currencyCode), 'num'), el('td', formatTime(t.date)), el('td', details.join(' · '), 'events'));
    body.append(tr);
  }
  table.append(head, body);
  return table;
}

function paymentBlock(p) {
  const block = el('div', undefined, 'payment-block');
  block.dataset.id = p.id;
  const head = el('div', undefined, 'payment-head');
  head.append(
    link(p.id, '#payment/' + encodeURIComponent(p.id)),
    statusBadge(p.status),
    el('span', formatAmount(p.amount, p.currencyCode), 'amount'),
    el('span', 'captured ' + formatAmount(p.amountCaptured, p.currencyCode), 'muted captured'),
    el('span', 'refunded ' + formatAmount(p.amountRefunded, p.currencyCode), 'muted refunded'),
    el('span', cardText(p.card), 'muted'),
  );
  block.append(head, transactionsTable(p));
  return block;
}

async function showSessionPayments(sessionId) {
  const list = $('detail-payments');
  list.replaceChildren();
  $('detail-payments-error').textContent = '';
  $('detail-payments-empty').hidden = true;
  try {
    const answer = await api('/dashboard/api/sessions/' + encodeURIComponent(sessionId) + '/payments');
    if (currentId() !== sessionId) return;
    const timelines = [];
    for (const p of answer.payments) {
      const block = paymentBlock(p);
      const history = el('div', undefined, 'history');
      block.append(el('h4', 'Timeline'), history);
      list.append(block);
      timelines.push(showTimeline(history, paymentEventsPath(p.id), paymentChanges, p.currencyCode));
    }
    $('detail-payments-empty').hidden = answer.payments.length > 0;
    await Promise.all(timelines);
  } catch (error) {
    $('detail-payments-error').textContent = error.message;
  }
}

function paymentRow(p) {
  const tr = document.createElement('tr');
  tr.dataset.id = p.id;
  const first = el('td');
  first.append(link(formatTime(p.createdAt), '#payment/' + encodeURIComponent(p.id)));
  const status = el('td');
  status.append(statusBadge(p.status));
  const customer = el('td');
  if (p.customerId) customer.append(link(p.customerId, '#vault/' + encodeURIComponent(p.customerId)));
  else customer.textContent = '—';
  tr.append(
    first,
    el('td', p.orderId),
    status,
    el('td', formatAmount(p.amount, p.currencyCode), 'num'),
    el('td', formatAmount(p.amountCaptured, p.currencyCode), 'num'),
    el('td', formatAmount(p.amountRefunded, p.currencyCode), 'num'),
    el('td', cardText(p.card)),
    customer,
  );
  tr.addEventListener('click', (event) => {
    if (event.target.closest('a')) return;
    location.hash = 'payment/' + encodeURIComponent(p.id);
  });
  return tr;
}

async function loadPayments(more) {
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (more && nextPaymentsBefore) query.set('before', nextPaymentsBefore);
  try {
    const page = await api('/dashboard/api/payments?' + query);
    const body = $('payments').tBodies[0];
    if (!more) body.replaceChildren();
    for (const p of page.payments) body.append(paymentRow(p));
    nextPaymentsBefore = page.nextBefore;
    $('payments-more').hidden = !nextPaymentsBefore;
    $('payments-empty').hidden = body.rows.length > 0;
    $('payments-error').textContent = '';
  } catch (error) {
    $('payments-error').textContent = error.message;
  }
  markSelectedPayment();
}

function currentPaymentId() {
  const match = /^#payment\/(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : undefined;
}

function markSelectedPayment() {
  const id = currentPaymentId();
  for (const tr of $('payments').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.id === id);
}

async function showPayment() {
  const id = currentPaymentId();
  markSelectedPayment();
  if (!id) {
    $('payment').hidden = true;
    return;
  }
  let p;
  try {
    p = await api('/dashboard/api/payments/' + encodeURIComponent(id));
  } catch (error) {
    $('payments-error').textContent = error.message;
    $('payment').hidden = true;
    return;
  }
  $('payment-id').textContent = p.id;
  const facts = $('payment-facts');
  facts.replaceChildren();
  const fact = (name, value) => {
    const dd = el('dd');
    if (value instanceof Node) dd.append(value);
    else dd.textContent = String(value);
    facts.append(el('dt', name), dd);
  };
  fact('Status', statusBadge(p.status));
  fact('Amount', formatAmount(p.amount, p.currencyCode));
  fact('Captured', formatAmount(p.amountCaptured, p.currencyCode));
  fact('Refunded', formatAmount(p.amountRefunded, p.currencyCode));
  fact('Order id', p.orderId);
  const card = cardText(p.card) + ', expires ' + p.card.expirationMonth + '/' + p.card.expirationYear + (p.card.cardholderName ? ', ' + p.card.cardholderName : '');
  fact('Card', card + (p.isVaulted ? ' (saved)' : ''));
  fact('3DS', p.threeDS);
  if (p.requiredAction) fact('Waiting for', p.requiredAction);
  if (p.statusReason) fact('Status reason', [p.statusReason.type, p.statusReason.declineType, p.statusReason.code, p.statusReason.message].filter(Boolean).join(' '));
  if (p.customerId) fact('Customer', link(p.customerId + ' (saved cards)', '#vault/' + encodeURIComponent(p.customerId)));
  if (p.sessionId) fact('Session', link(p.sessionId, '#session/' + encodeURIComponent(p.sessionId)));
  fact('Created', formatTime(p.createdAt));
  fact('Updated', formatTime(p.updatedAt));
  $('payment-transactions').replaceChildren(transactionsTable(p));
  $('payment').hidden = false;
  await showTimeline($('payment-history'), paymentEventsPath(p.id), paymentChanges, p.currencyCode);
}

// ---- Saved cards ---------------------------------------------------------------------------------

// A page at a time, as the payments: a customer may have many saved cards.
async function showVault(customerId, more) {
  $('vault-customer').textContent = customerId;
  const body = $('vault-cards').tBodies[0];
  if (!more) body.replaceChildren();
  vaultShown = customerId;
  $('vault-error').textContent = '';
  $('vault-empty').hidden = true;
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (more && nextVaultBefore) query.set('before', nextVaultBefore);
  let answer;
  try {
    answer = await api('/dashboard/api/customers/' + encodeURIComponent(customerId) + '/vault?' + query);
  } catch (error) {
    $('vault-error').textContent = error.message;
    return;
  }
  nextVaultBefore = answer.nextBefore;
  $('vault-more').hidden = !nextVaultBefore;
  for (const c of answer.cards) {
    const tr = document.createElement('tr');
    tr.dataset.id = c.id;
    tr.append(
      el('td', c.network),
      el('td', '•••• ' + c.last4Digits),
      el('td', c.expirationMonth + '/' + c.expirationYear),
      el('td', c.cardholderName || '—'),
      el('td', c.default ? 'Default' : ''),
      el('td', formatTime(c.createdAt)),
    );
    body.append(tr);
  }
  $('vault-empty').hidden = body.rows.length > 0;
}

// ---- Views -----------------------------------------------------------------------------------------

function viewOf(hash) {
  if (hash === '#payments' || hash.startsWith('#payment/')) return 'payments';
  if (hash.startsWith('#vault/')) return 'vault';
  if (hash === '#webhooks') return 'webhooks';
  return 'sessions';
}

async function route() {
  if (!apiKey()) return;
  const view = viewOf(location.hash);
  const entering = view !== shownView;
  shownView = view;
  $('sessions-view').hidden = view !== 'sessions';
  $('payments-view').hidden = view !== 'payments';
  $('vault-view').hidden = view !== 'vault';
  $('webhooks-view').hidden = view !== 'webhooks';
  for (const [tab, name] of [['tab-sessions', 'sessions'], ['tab-payments', 'payments'], ['tab-webhooks', 'webhooks']]) {
    if (view === name) $(tab).setAttribute('aria-current', 'page');
    else $(tab).removeAttribute('aria-current');
  }
  if (view === 'sessions') {
    if (entering) await loadSessions(false).catch((e) => { $('list-error').textContent = e.message; });
    await showDetail();
  } else if (view === 'payments') {
    if (entering) await loadPayments(false);
    await showPayment();
  } else if (view === 'webhooks') {
    await showEndpoints();
  } else {
    await showVault(decodeURIComponent(location.hash.slice('#vault/'.length)));
  }
}

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  try {
    await loadSessions(false);
    show(true);
    $('sign-in-error').textContent = '';
    shownView = 'sessions';
    await route();
  } catch (error) {
    sessionStorage.removeItem(KEY);
    show(false);
    $('sign-in-error').textContent = error.status === 401 || error.status === 403 ? error.message : 'Could not sign in: ' + error.message;
  }
}

async function createSession(form) {
  const data = new FormData(form);
  const body = {};
  const orderId = String(data.get('orderId') || '').trim();
  const currency = String(data.get('currencyCode') || '').trim().toUpperCase();
  const amount = String(data.get('amount') || '').trim();
  const email = String(data.get('email') || '').trim();
  if (orderId) body.orderId = orderId;
  if (currency) body.currencyCode = currency;
  if (amount) body.amount = Number(amount);
  if (email) body.customer = { emailAddress: email };
  const result = $('create-result');
  result.replaceChildren();
  try {
    const created = await api('/client-session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Api-Version': '2.4' },
      body: JSON.stringify(body),
    });
    result.append(el('p', 'Session created. Client token (expires ' + created.clientTokenExpirationDate + ' UTC):'));
    const token = el('input');
    token.id = 'created-token';
    token.readOnly = true;
    token.value = created.clientToken;
    token.addEventListener('focus', () => token.select());
    result.append(token);
    if (created.warnings && created.warnings.length > 0) {
      const list = el('ul', undefined, 'warnings');
      for (const w of created.warnings) list.append(el('li', w.code + ': ' + w.message));
      result.append(list);
    }
    await loadSessions(false);
  } catch (error) {
    result.append(el('p', error.message, 'error'));
  }
}

function start() {
  $('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void signIn($('api-key').value.trim());
  });
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    $('api-key').value = '';
    $('detail').hidden = true;
    $('payment').hidden = true;
    shownView = undefined;
    show(false);
  });
  $('create-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void createSession(event.target);
  });
  $('refresh').addEventListener('click', () => void loadSessions(false).catch((e) => { $('list-error').textContent = e.message; }));
  $('more').addEventListener('click', () => void loadSessions(true).catch((e) => { $('list-error').textContent = e.message; }));
  $('detail-close').addEventListener('click', (event) => {
    event.preventDefault();
    history.replaceState(null, '', location.pathname);
    void showDetail();
  });
  $('payments-refresh').addEventListener('click', () => void loadPayments(false));
  $('payments-more').addEventListener('click', () => void loadPayments(true));
  $('vault-more').addEventListener('click', () => void showVault(vaultShown, true));
  window.addEventListener('hashchange', () => void route());
  const key = apiKey();
  if (key) void signIn(key);
  else show(false);
}

`;

export const DASHBOARD_JS = `${CORE_JS}\n${TIMELINE_JS}\nstart();\n`;
