// The dashboard's page and style sheet, shipped inside the package as strings (no CDN). Its script is
// browser/ (script.ts serves it); the page loads both from /dashboard/.
import { DISPUTE_STATUSES, DISPUTE_TYPES } from '../payments/disputes/machine.ts';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/webhook.store.ts';

const options = (values: readonly string[]) => values.map((v) => `<option>${v}</option>`).join('');

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kassa dashboard</title>
<link rel="stylesheet" href="/dashboard/app.css">
<script type="module" src="/dashboard/app.js"></script>
</head>
<body>
<header class="bar">
  <h1>Kassa <span class="muted">dashboard</span></h1>
  <nav><a href="/docs">API reference</a><button id="sign-out" type="button" hidden>Sign out</button></nav>
</header>
<main>
  <section id="sign-in" class="panel narrow" hidden>
    <h2>Sign in</h2>
    <p>Use an API key with the <code>client_tokens:write</code> scope (sessions), <code>transactions:retrieve</code> (payments), <code>payment_instrument:read</code> (saved cards) , <code>webhooks:write</code> (webhook endpoints, delivery logs, redelivering) and <code>sandbox:write</code> (the sandbox controls). It is kept in this browser tab only and forgotten when the tab closes.</p>
    <form id="sign-in-form">
      <label for="api-key">API key</label>
      <input id="api-key" name="apiKey" type="password" autocomplete="off" spellcheck="false" required>
      <button type="submit">Sign in</button>
    </form>
    <p id="sign-in-error" class="error" role="alert"></p>
  </section>

  <div id="workspace" hidden>
    <nav class="tabs" aria-label="Views">
      <a href="#" id="tab-sessions">Sessions</a>
      <a href="#payments" id="tab-payments">Payments</a>
      <a href="#webhooks" id="tab-webhooks">Webhooks</a>
      <a href="#sandbox" id="tab-sandbox">Sandbox</a>
    </nav>
    <div id="sessions-view">
    <div class="columns">
      <section class="panel create">
        <h2>New test session</h2>
        <form id="create-form">
          <label for="order-id">Order id</label>
          <input id="order-id" name="orderId" maxlength="255">
          <label for="currency">Currency</label>
          <input id="currency" name="currencyCode" value="EUR" maxlength="3" list="currencies" autocomplete="off">
          <datalist id="currencies"><option value="EUR"><option value="GBP"><option value="USD"><option value="SEK"><option value="JPY"></datalist>
          <label for="amount">Amount <span class="muted">(minor units, e.g. 1250 = 12.50)</span></label>
          <input id="amount" name="amount" inputmode="numeric" pattern="[0-9]+">
          <label for="email">Customer e-mail</label>
          <input id="email" name="email" type="email">
          <button type="submit">Create session</button>
        </form>
        <div id="create-result" role="status"></div>
      </section>

      <section class="panel list">
        <div class="heading"><h2>Recent sessions</h2><button id="refresh" type="button" class="secondary">Refresh</button></div>
        <table id="sessions">
          <thead><tr><th>Order id</th><th class="num">Amount</th><th>Customer e-mail</th><th>Created</th><th>Expires</th><th>State</th></tr></thead>
          <tbody></tbody>
        </table>
        <p id="empty" class="muted" hidden>No sessions yet: create one with the form.</p>
        <button id="more" type="button" class="secondary" hidden>Older sessions</button>
        <p id="list-error" class="error" role="alert"></p>
      </section>
    </div>

    <section id="detail" class="panel" hidden>
      <div class="heading"><h2>Session <code id="detail-id"></code></h2><a href="#" id="detail-close">Close</a></div>
      <dl id="detail-facts"></dl>
      <h3>Warnings</h3>
      <ul id="detail-warnings"></ul>
      <h3>Timeline</h3>
      <div id="detail-history" class="history"></div>
      <h3>Payments</h3>
      <p id="detail-customer" hidden>Customer <code id="detail-customer-id"></code>: <a id="detail-vault-link" href="#">saved cards</a></p>
      <div id="detail-payments"></div>
      <p id="detail-payments-empty" class="muted" hidden>No payments for this session.</p>
      <p id="detail-payments-error" class="error" role="alert"></p>
      <h3>Session JSON</h3>
      <pre id="detail-json"></pre>
    </section>
    </div>

    <div id="payments-view" hidden>
      <section class="panel">
        <div class="heading"><h2>Payments</h2><button id="payments-refresh" type="button" class="secondary">Refresh</button></div>
        <table id="payments">
          <thead><tr><th>Created</th><th>Order id</th><th>Status</th><th class="num">Amount</th><th class="num">Captured</th><th class="num">Refunded</th><th>Card</th><th>Customer</th></tr></thead>
          <tbody></tbody>
        </table>
        <p id="payments-empty" class="muted" hidden>No payments yet.</p>
        <button id="payments-more" type="button" class="secondary" hidden>Older payments</button>
        <p id="payments-error" class="error" role="alert"></p>
      </section>
      <section id="payment" class="panel" hidden>
        <div class="heading"><h2>Payment <code id="payment-id"></code></h2><a href="#payments">Close</a></div>
        <dl id="payment-facts"></dl>
        <h3>Transactions</h3>
        <div id="payment-transactions"></div>
        <h3>Timeline</h3>
        <div id="payment-history" class="history"></div>
      </section>
    </div>

    <div id="vault-view" hidden>
      <section class="panel">
        <div class="heading"><h2>Saved cards of customer <code id="vault-customer"></code></h2></div>
        <p class="muted">Only what a token keeps is shown: network, last four digits, expiry. Card numbers are never stored.</p>
        <table id="vault-cards">
          <thead><tr><th>Network</th><th>Card</th><th>Expires</th><th>Cardholder</th><th>Default</th><th>Saved</th></tr></thead>
          <tbody></tbody>
        </table>
        <p id="vault-empty" class="muted" hidden>No saved cards.</p>
        <button id="vault-more" type="button" class="secondary" hidden>Older saved cards</button>
        <p id="vault-error" class="error" role="alert"></p>
      </section>
    </div>

    <div id="webhooks-view" hidden>
      <section class="panel">
        <div class="heading"><h2>Webhook endpoints</h2></div>
        <p class="muted">An endpoint whose every attempt failed for 3 days (10 or more in a row) is disabled: it gets no new deliveries until it is enabled again.</p>
        <table id="webhook-endpoints">
          <thead><tr><th>URL</th><th>Events</th><th>Status</th><th>Failing</th><th></th></tr></thead>
          <tbody></tbody>
        </table>
        <p id="webhook-endpoints-empty" class="muted" hidden>No webhook endpoints.</p>
        <p id="webhook-endpoints-error" class="error" role="alert"></p>
      </section>
    </div>

    <div id="sandbox-view" hidden>
      <section class="panel">
        <div class="heading"><h2>Clock</h2></div>
        <p>Now: <b id="sandbox-now"></b> <span id="sandbox-offset" class="muted"></span></p>
        <form id="sandbox-advance" class="bar">
          <label>Advance by <input id="sandbox-advance-seconds" type="number" min="1" step="1" value="3600" required> seconds</label>
          <button type="submit">Advance</button>
        </form>
        <p class="muted">What that much time passing does happens at once: tokens expire, 3DS is abandoned, retries run. Time never goes back.</p>
      </section>
      <section class="panel">
        <div class="heading"><h2>Faults</h2><button id="sandbox-faults-clear" type="button" class="secondary" hidden>Clear all</button></div>
        <table id="sandbox-faults">
          <thead><tr><th>Operation</th><th>Status</th><th>Phase</th><th class="num">Times left</th><th></th></tr></thead>
          <tbody></tbody>
        </table>
        <p id="sandbox-faults-empty" class="muted" hidden>No faults.</p>
      </section>
      <section class="panel">
        <div class="heading"><h2>Trigger an event</h2></div>
        <form id="sandbox-trigger" class="bar">
          <label>Type <select id="sandbox-trigger-type">${options(WEBHOOK_EVENT_TYPES)}</select></label>
          <label>Payment or session id <input id="sandbox-trigger-id" required maxlength="100"></label>
          <button type="submit">Trigger</button>
        </form>
        <p class="muted">The object's event as it is now, recorded (marked triggered) and sent to the endpoints that take its type.</p>
        <p id="sandbox-trigger-result" role="status"></p>
      </section>
      <section class="panel">
        <div class="heading"><h2>Dispute a payment</h2></div>
        <form id="sandbox-dispute" class="bar">
          <label>Payment id <input id="sandbox-dispute-payment" required maxlength="100"></label>
          <label>Type <select id="sandbox-dispute-type">${DISPUTE_TYPES.map((t) => `<option${t === 'DISPUTE' ? ' selected' : ''}>${t}</option>`).join('')}</select></label>
          <label>Status <select id="sandbox-dispute-status">${options(DISPUTE_STATUSES)}</select></label>
          <button type="submit">Send</button>
        </form>
        <p class="muted">Opens a dispute on a settled payment (status OPEN), then moves it on; each step sends its webhook.</p>
        <p id="sandbox-dispute-result" role="status"></p>
      </section>
      <section class="panel">
        <div class="heading"><h2>Reset</h2></div>
        <p class="muted">Empties this merchant's sessions, payments, events, deliveries, faults and clock; keeps its keys and webhook endpoints.</p>
        <button id="sandbox-reset" type="button">Reset the sandbox</button>
        <p id="sandbox-reset-result" role="status"></p>
      </section>
      <p id="sandbox-error" class="error" role="alert"></p>
    </div>
  </div>
</main>
</body>
</html>
`;

export const DASHBOARD_CSS = `:root { color-scheme: light; --ink: #1d2433; --muted: #6b7385; --line: #dde1ea; --bg: #f5f6f9; --accent: #2f5bd3; --ok: #1f7a4d; --warn: #a15c00; --bad: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
.bar { display: flex; align-items: center; justify-content: space-between; padding: 10px 24px; background: #fff; border-bottom: 1px solid var(--line); }
.bar h1 { font-size: 18px; margin: 0; }
.bar nav { display: flex; gap: 16px; align-items: center; }
main { padding: 20px 24px; max-width: 1280px; margin: 0 auto; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin-bottom: 20px; }
.narrow { max-width: 440px; margin: 40px auto; }
.columns { display: grid; grid-template-columns: 300px 1fr; gap: 20px; align-items: start; margin-bottom: 20px; }
.columns .panel { margin-bottom: 0; }
@media (max-width: 860px) { .columns { grid-template-columns: 1fr; } }
h2 { font-size: 16px; margin: 0 0 12px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.heading { display: flex; justify-content: space-between; align-items: baseline; }
label { display: block; margin: 10px 0 4px; font-weight: 600; }
input { width: 100%; padding: 7px 9px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
button { margin-top: 14px; padding: 7px 14px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; cursor: pointer; }
button.secondary { background: #e8ecf5; color: var(--ink); margin-top: 0; }
.bar button { margin-top: 0; }
a { color: var(--accent); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr { cursor: pointer; }
tbody tr:hover, tbody tr.selected { background: #eef2fc; }
.state { padding: 1px 8px; border-radius: 10px; font-size: 12px; }
.state.active { background: #e3f4ea; color: var(--ok); }
.state.expired { background: #f1f1f1; color: var(--muted); }
.muted { color: var(--muted); font-weight: normal; }
.error { color: var(--bad); white-space: pre-wrap; }
.warnings li { color: var(--warn); }
.warnings li.muted { color: var(--muted); }
pre { background: #f7f8fb; border: 1px solid var(--line); border-radius: 6px; padding: 12px; overflow: auto; max-height: 480px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
#create-result { margin-top: 12px; }
#create-result input { font-family: ui-monospace, monospace; font-size: 12px; }
.tabs { display: flex; gap: 4px; margin-bottom: 16px; }
.tabs a { padding: 6px 14px; border-radius: 6px; text-decoration: none; color: var(--ink); }
.tabs a[aria-current="page"] { background: #fff; border: 1px solid var(--line); font-weight: 600; }
.status { padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #f1f1f1; color: var(--muted); }
.status.good { background: #e3f4ea; color: var(--ok); }
.status.waiting { background: #fdf1e0; color: var(--warn); }
.status.bad { background: #fbe5e3; color: var(--bad); }
.payment-block { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin: 8px 0; }
.payment-head { display: flex; flex-wrap: wrap; gap: 10px; align-items: baseline; margin-bottom: 6px; }
table.transactions tbody tr { cursor: default; }
table.transactions tbody tr:hover { background: none; }
td.events { white-space: normal; color: var(--muted); font-size: 12px; }
h4 { font-size: 13px; margin: 10px 0 4px; color: var(--muted); }
table.timeline tbody tr { cursor: default; }
table.timeline tbody tr:hover { background: none; }
table.timeline td { vertical-align: top; }
table.timeline td.changes, table.timeline td.webhooks { white-space: normal; }
table.timeline td.changes { font-size: 12px; }
.delivery { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; font-size: 12px; margin: 2px 0; }
.delivery .last-error { color: var(--bad); }
.delivery button, .delivery .error { margin: 0; }
.delivery button { padding: 2px 10px; font-size: 12px; }
.attempt-log { flex-basis: 100%; margin: 2px 0 6px 12px; font-size: 12px; }
.attempt-log pre { max-height: 12em; overflow: auto; margin: 2px 0; }
`;
