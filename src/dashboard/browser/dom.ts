// Building the page: every value from the server is written with textContent, never as HTML.

/** An element of the page (page.ts has them all). */
export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export function el(tag: string, text?: unknown, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

export function link(text: string, hash: string) {
  const a = el('a', text) as HTMLAnchorElement;
  a.href = hash;
  return a;
}

export function formatAmount(amount: number | undefined, currency: string | undefined) {
  if (amount === undefined) return '—';
  if (!currency) return String(amount);
  try {
    const format = new Intl.NumberFormat('en-GB', { style: 'currency', currency });
    return format.format(amount / 10 ** format.resolvedOptions().maximumFractionDigits!);
  } catch {
    return `${amount} ${currency}`;
  }
}

export function formatTime(iso: string) {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

// To the second: a timeline's events are often seconds apart.
export function formatInstant(iso: string) {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

const GOOD = ['AUTHORIZED', 'SETTLING', 'PARTIALLY_SETTLED', 'SETTLED'];
const BAD = ['DECLINED', 'FAILED'];

export function statusBadge(status: string) {
  const kind = GOOD.includes(status) ? ' good' : BAD.includes(status) ? ' bad' : status === 'PENDING' ? ' waiting' : '';
  return el('span', status, `status${kind}`);
}
