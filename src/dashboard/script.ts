// The dashboard's script: plain browser JavaScript, no framework, no build step. It uses only the
// public Client Session API and the dashboard's read endpoints, with the API key the operator signs
// in with, kept in sessionStorage (this tab only). Every value from the server is written with
// textContent, never as HTML.

export const DASHBOARD_JS = String.raw`
const KEY = 'kassa.apiKey';
const PAGE = 25;
const $ = (id) => document.getElementById(id);
let nextBefore;

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
  $('detail').hidden = false;
}

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  try {
    await loadSessions(false);
    show(true);
    $('sign-in-error').textContent = '';
    await showDetail();
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
  window.addEventListener('hashchange', () => void showDetail());
  const key = apiKey();
  if (key) void signIn(key);
  else show(false);
}

start();
`;
