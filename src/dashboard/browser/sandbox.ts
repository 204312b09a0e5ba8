// The sandbox view: the merchant's clock with an Advance control, its faults with Delete and Clear,
// a triggered event, a dispute step, and Reset behind a confirmation (docs/sandbox.md). Each is a sandbox control called with the key
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
  tr.append(el('td', f.operation), el('td', f.status), el('td', f.phase), el('td', f.timesLeft, 'num'), action);
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
    const { removed } = await api<{ removed: Record<string, number> }>('/kassa/sandbox/reset', {
      method: 'POST',
      headers: JSON_BODY,
      body: '{}',
    });
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

/** Runs a form's call, showing its answer's summary in `result` (or the error). */
async function submit(form: HTMLFormElement, result: string, call: () => Promise<string>) {
  $('sandbox-error').textContent = '';
  $(result).textContent = '';
  const button = form.querySelector('button')!;
  button.disabled = true;
  try {
    $(result).textContent = await call();
  } catch (error) {
    fail(error);
  } finally {
    button.disabled = false;
  }
}

export function triggerEvent(form: HTMLFormElement) {
  const type = $<HTMLSelectElement>('sandbox-trigger-type').value;
  const id = $<HTMLInputElement>('sandbox-trigger-id').value.trim();
  const subject = type.startsWith('CLIENT_SESSION.') ? { clientSessionId: id } : { paymentId: id };
  return submit(form, 'sandbox-trigger-result', async () => {
    const event = await api<{ id: string }>('/kassa/sandbox/events', {
      method: 'POST',
      headers: JSON_BODY,
      body: JSON.stringify({ type, ...subject }),
    });
    return `Triggered ${type} (event ${event.id}).`;
  });
}

export function disputePayment(form: HTMLFormElement) {
  const id = $<HTMLInputElement>('sandbox-dispute-payment').value.trim();
  const type = $<HTMLSelectElement>('sandbox-dispute-type').value;
  const status = $<HTMLSelectElement>('sandbox-dispute-status').value;
  return submit(form, 'sandbox-dispute-result', async () => {
    await api(`/kassa/sandbox/payments/${encodeURIComponent(id)}/dispute`, {
      method: 'POST',
      headers: JSON_BODY,
      body: JSON.stringify({ status, type }),
    });
    return `Dispute of ${id}: ${type} ${status}.`;
  });
}
