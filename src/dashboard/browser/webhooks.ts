// The webhooks view: the merchant's endpoints, each disabled one with since when and why, and an Enable
// button that lets it take new deliveries again.
import type { WebhookEndpoint, WebhookEndpoints } from './answers.ts';
import { api, messageOf } from './api.ts';
import { $, el, formatInstant } from './dom.ts';

function endpointRow(e: WebhookEndpoint) {
  const tr = document.createElement('tr');
  tr.dataset.id = e.id;
  const disabled = e.status === 'DISABLED';
  const status = el('td', disabled ? `Disabled ${formatInstant(e.disabledAt!)}` : 'Enabled', disabled ? 'bad' : 'good');
  if (e.disabledReason) status.append(el('div', e.disabledReason, 'muted disabled-reason'));
  const action = el('td');
  if (disabled) {
    const button = el('button', 'Enable', 'secondary enable') as HTMLButtonElement;
    button.type = 'button';
    button.addEventListener('click', () => void enableEndpoint(e.id, button));
    action.append(button);
  }
  const failing = e.failingSince ? `${e.failures} in a row since ${formatInstant(e.failingSince)}` : '—';
  tr.append(el('td', e.url), el('td', e.events.join(', ')), status, el('td', failing), action);
  return tr;
}

export async function showEndpoints() {
  const body = $<HTMLTableElement>('webhook-endpoints').tBodies[0]!;
  $('webhook-endpoints-error').textContent = '';
  let answer: WebhookEndpoints;
  try {
    answer = await api<WebhookEndpoints>('/dashboard/api/webhook-endpoints');
  } catch (error) {
    $('webhook-endpoints-error').textContent = messageOf(error);
    return;
  }
  body.replaceChildren(...answer.endpoints.map(endpointRow));
  $('webhook-endpoints-empty').hidden = answer.endpoints.length > 0;
}

async function enableEndpoint(id: string, button: HTMLButtonElement) {
  button.disabled = true;
  try {
    await api(`/dashboard/api/webhook-endpoints/${encodeURIComponent(id)}/enable`, { method: 'POST' });
  } catch (error) {
    button.disabled = false;
    $('webhook-endpoints-error').textContent = messageOf(error);
    return;
  }
  await showEndpoints();
}
