// Payments: the list a page at a time, one payment open with its facts, transactions and timeline, and
// a session's payments (each with its timeline) in the session view.
import type { Card, Page, PaymentDetail, PaymentSummary, StatusReason, Transaction } from './answers.ts';
import { api, messageOf, PAGE } from './api.ts';
import { $, el, formatAmount, formatTime, link, statusBadge } from './dom.ts';
import { currentId, currentPaymentId } from './hash.ts';
import { paymentChanges, paymentEventsPath, showTimeline } from './timeline.ts';

let nextPaymentsBefore: string | undefined;

function cardText(card: Card) {
  return `${card.network} •••• ${card.last4Digits}`;
}

/** The card paid with, else the method's type (a redirect or test method has no card). */
const paidWith = (p: Pick<PaymentSummary, 'card' | 'paymentMethodType'>) => (p.card ? cardText(p.card) : p.paymentMethodType);

const reasonText = (r: StatusReason) => [r.type, r.declineType, r.code, r.message].filter(Boolean).join(' ');

function eventText(e: Transaction['events'][number], currency: string) {
  let text = e.type;
  if (e.amount !== undefined) text += ` ${formatAmount(e.amount, currency)}`;
  if (e.final !== undefined) text += e.final ? ' (final)' : ' (not final)';
  return text;
}

function transactionsTable(payment: PaymentDetail) {
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
    if (t.reason !== undefined) details.push(`reason: ${t.reason}`);
    if (t.statusReason) details.push(reasonText(t.statusReason));
    for (const e of t.events) details.push(eventText(e, t.currencyCode));
    tr.append(
      el('td', t.type),
      status,
      el('td', formatAmount(t.amount, t.currencyCode), 'num'),
      el('td', formatTime(t.date)),
      el('td', details.join(' · '), 'events'),
    );
    body.append(tr);
  }
  table.append(head, body);
  return table;
}

function paymentBlock(p: PaymentDetail) {
  const block = el('div', undefined, 'payment-block');
  block.dataset.id = p.id;
  const head = el('div', undefined, 'payment-head');
  head.append(
    link(p.id, `#payment/${encodeURIComponent(p.id)}`),
    statusBadge(p.status),
    el('span', formatAmount(p.amount, p.currencyCode), 'amount'),
    el('span', `captured ${formatAmount(p.amountCaptured, p.currencyCode)}`, 'muted captured'),
    el('span', `refunded ${formatAmount(p.amountRefunded, p.currencyCode)}`, 'muted refunded'),
    el('span', paidWith(p), 'muted'),
  );
  block.append(head, transactionsTable(p));
  return block;
}

export async function showSessionPayments(sessionId: string) {
  const list = $('detail-payments');
  list.replaceChildren();
  $('detail-payments-error').textContent = '';
  $('detail-payments-empty').hidden = true;
  try {
    const answer = await api<{ payments: PaymentDetail[] }>(`/dashboard/api/sessions/${encodeURIComponent(sessionId)}/payments`);
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
    $('detail-payments-error').textContent = messageOf(error);
  }
}

function paymentRow(p: PaymentSummary) {
  const tr = document.createElement('tr');
  tr.dataset.id = p.id;
  const first = el('td');
  first.append(link(formatTime(p.createdAt), `#payment/${encodeURIComponent(p.id)}`));
  const status = el('td');
  status.append(statusBadge(p.status));
  const customer = el('td');
  if (p.customerId) customer.append(link(p.customerId, `#vault/${encodeURIComponent(p.customerId)}`));
  else customer.textContent = '—';
  tr.append(
    first,
    el('td', p.orderId),
    status,
    el('td', formatAmount(p.amount, p.currencyCode), 'num'),
    el('td', formatAmount(p.amountCaptured, p.currencyCode), 'num'),
    el('td', formatAmount(p.amountRefunded, p.currencyCode), 'num'),
    el('td', paidWith(p)),
    customer,
  );
  tr.addEventListener('click', (event) => {
    if ((event.target as Element).closest('a')) return;
    location.hash = `payment/${encodeURIComponent(p.id)}`;
  });
  return tr;
}

export async function loadPayments(more: boolean) {
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (more && nextPaymentsBefore) query.set('before', nextPaymentsBefore);
  try {
    const page = await api<Page & { payments: PaymentSummary[] }>(`/dashboard/api/payments?${query}`);
    const body = $<HTMLTableElement>('payments').tBodies[0];
    if (!more) body.replaceChildren();
    for (const p of page.payments) body.append(paymentRow(p));
    nextPaymentsBefore = page.nextBefore;
    $('payments-more').hidden = !nextPaymentsBefore;
    $('payments-empty').hidden = body.rows.length > 0;
    $('payments-error').textContent = '';
  } catch (error) {
    $('payments-error').textContent = messageOf(error);
  }
  markSelectedPayment();
}

function markSelectedPayment() {
  const id = currentPaymentId();
  for (const tr of $<HTMLTableElement>('payments').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.id === id);
}

export async function showPayment() {
  const id = currentPaymentId();
  markSelectedPayment();
  if (!id) {
    $('payment').hidden = true;
    return;
  }
  let p: PaymentDetail;
  try {
    p = await api<PaymentDetail>(`/dashboard/api/payments/${encodeURIComponent(id)}`);
  } catch (error) {
    $('payments-error').textContent = messageOf(error);
    $('payment').hidden = true;
    return;
  }
  $('payment-id').textContent = p.id;
  const facts = $('payment-facts');
  facts.replaceChildren();
  const fact = (name: string, value: unknown) => {
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
  if (p.card) {
    const card = `${cardText(p.card)}, expires ${p.card.expirationMonth}/${p.card.expirationYear}${p.card.cardholderName ? `, ${p.card.cardholderName}` : ''}`;
    fact('Card', card + (p.isVaulted ? ' (saved)' : ''));
    fact('3DS', p.threeDS);
  } else fact('Method', p.paymentMethodType);
  if (p.requiredAction) fact('Waiting for', p.requiredAction);
  if (p.statusReason) fact('Status reason', reasonText(p.statusReason));
  if (p.customerId) fact('Customer', link(`${p.customerId} (saved cards)`, `#vault/${encodeURIComponent(p.customerId)}`));
  if (p.sessionId) fact('Session', link(p.sessionId, `#session/${encodeURIComponent(p.sessionId)}`));
  fact('Created', formatTime(p.createdAt));
  fact('Updated', formatTime(p.updatedAt));
  $('payment-transactions').replaceChildren(transactionsTable(p));
  $('payment').hidden = false;
  await showTimeline($('payment-history'), paymentEventsPath(p.id), paymentChanges, p.currencyCode);
}
