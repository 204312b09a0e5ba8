// A customer's saved cards, a page at a time as the payments: a customer may have many.
import type { Page, VaultedCard } from './answers.ts';
import { api, messageOf, PAGE } from './api.ts';
import { $, el, formatTime } from './dom.ts';

let vaultShown: string | undefined;
let nextVaultBefore: string | undefined;

export async function showVault(customerId: string, more = false) {
  $('vault-customer').textContent = customerId;
  const body = $<HTMLTableElement>('vault-cards').tBodies[0];
  if (!more) body.replaceChildren();
  vaultShown = customerId;
  $('vault-error').textContent = '';
  $('vault-empty').hidden = true;
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (more && nextVaultBefore) query.set('before', nextVaultBefore);
  let answer: Page & { cards: VaultedCard[] };
  try {
    answer = await api(`/dashboard/api/customers/${encodeURIComponent(customerId)}/vault?${query}`);
  } catch (error) {
    $('vault-error').textContent = messageOf(error);
    return;
  }
  nextVaultBefore = answer.nextBefore;
  $('vault-more').hidden = !nextVaultBefore;
  for (const c of answer.cards) {
    const tr = document.createElement('tr');
    tr.dataset.id = c.id;
    tr.append(
      el('td', c.network),
      el('td', `•••• ${c.last4Digits}`),
      el('td', `${c.expirationMonth}/${c.expirationYear}`),
      el('td', c.cardholderName || '—'),
      el('td', c.default ? 'Default' : ''),
      el('td', formatTime(c.createdAt)),
    );
    body.append(tr);
  }
  $('vault-empty').hidden = body.rows.length > 0;
}

/** The next page of the cards shown. */
export const showMoreVault = () => showVault(vaultShown!, true);
