// The sandbox view: the merchant's clock with an Advance control, its faults with Delete and Clear,
// and Reset behind a confirmation (docs/sandbox.md). Each is a sandbox control called with the key
// the operator signed in with, which needs the sandbox:write scope; in production they answer 404.
import type { SandboxClock, SandboxFault } from './answers.ts';
import { api, messageOf } from './api.ts';
import { $, el, formatInstant } from './dom.ts';

const JSON_BODY = { 'Content-Type': 'application/json' };

const fail = (error: unknown) => {
  $('sandbox-error').textContent = messageOf(error);
};

function showClock(clock: SandboxClock) {
  $('sandbox-now').textContent = formatInstant(clock.now);
  $('sandbox-offset').textContent = clock.offsetSeconds === 0 ? 'real time' : `${clock.offsetSeconds} s ahead of real time`;
}

function faultRow(f: SandboxFault) {
  const tr = document.createElement('tr');
  tr.dataset.id = f.id;
  const remove = el('button', 'Delete', 'secondary delete') as HTMLButtonElement;
  remove.type = 'button';
  remove.addEventListener('click', () => void deleteFaults(`/kassa/sandbox/faults/${encodeURIComponent(f.id)}`, remove));
  const action = el('td');
  action.append(remove);
  tr.append(el('td', f.operation), el('td', f.status), el('td', f.phase), el('td', f.times, 'num'), action);
  return tr;
}

async function loadFaults() {
  // The list is `{data: [...]}` like the other lists.
  const answer = await api<{ data: SandboxFault[] }>('/kassa/sandbox/faults');
  $<HTMLTableElement>('sandbox-faults').tBodies[0]!.replaceChildren(...answer.data.map(faultRow));
  $('sandbox-faults-empty').hidden = answer.data.length > 0;
  $('sandbox-faults-clear').hidden = answer.data.length === 0;
}

export async function showSandbox() {
  $('sandbox-error').textContent = '';
  try {
    showClock(await api<SandboxClock>('/kassa/sandbox/clock'));
    await loadFaults();
  } catch (error) {
    fail(error);
  }
}

export async function advanceClock(form: HTMLFormElement) {
  $('sandbox-error').textContent = '';
  const seconds = Number($<HTMLInputElement>('sandbox-advance-seconds').value);
  const button = form.querySelector('button')!;
  button.disabled = true;
  try {
    showClock(
      await api<SandboxClock>('/kassa/sandbox/clock', {
        method: 'POST',
        headers: JSON_BODY,
        body: JSON.stringify({ advanceSeconds: seconds }),
      }),
    );
  } catch (error) {
    fail(error);
  } finally {
    button.disabled = false;
  }
}

/** One fault (its path) or all of them (`/kassa/sandbox/faults`). */
export async function deleteFaults(path: string, button: HTMLButtonElement) {
  $('sandbox-error').textContent = '';
  button.disabled = true;
  try {
    await api(path, { method: 'DELETE' });
    await loadFaults();
  } catch (error) {
    button.disabled = false;
    fail(error);
  }
}

export async function resetSandbox(button: HTMLButtonElement) {
  $('sandbox-error').textContent = '';
  $('sandbox-reset-result').textContent = '';
  if (!confirm("Empty this merchant's sessions, payments, events, deliveries, faults and clock? Its keys and webhook endpoints stay."))
    return;
  button.disabled = true;
  try {
    const removed = await api<Record<string, number>>('/kassa/sandbox/reset', { method: 'POST', headers: JSON_BODY, body: '{}' });
    $('sandbox-reset-result').textContent = `Removed: ${Object.entries(removed)
      .map(([what, count]) => `${count} ${what}`)
      .join(', ')}.`;
    await showSandbox();
  } catch (error) {
    fail(error);
  } finally {
    button.disabled = false;
  }
}
