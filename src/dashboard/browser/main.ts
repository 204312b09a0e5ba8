// The dashboard's script, bundled by esbuild into /dashboard/app.js (../script.ts): no framework, only
// the public Client Session API and the dashboard's read endpoints, with the API key the operator
// signs in with. The view follows the address's hash (hash.ts).
import { apiKey, forgetApiKey, keepApiKey, messageOf, type ApiError } from './api.ts';
import { $ } from './dom.ts';
import { vaultCustomer, viewOf, type View } from './hash.ts';
import { loadPayments, showPayment } from './payments.ts';
import { advanceClock, deleteFaults, disputePayment, resetSandbox, showSandbox, triggerEvent } from './sandbox.ts';
import { createSession, loadSessions, reloadSessions, showDetail } from './sessions.ts';
import { showMoreVault, showVault } from './vault.ts';
import { showEndpoints } from './webhooks.ts';

let shownView: View | undefined;

function show(signedIn: boolean) {
  $('sign-in').hidden = signedIn;
  $('workspace').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
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
  $('sandbox-view').hidden = view !== 'sandbox';
  for (const [tab, name] of [
    ['tab-sessions', 'sessions'],
    ['tab-payments', 'payments'],
    ['tab-webhooks', 'webhooks'],
    ['tab-sandbox', 'sandbox'],
  ]) {
    if (view === name) $(tab).setAttribute('aria-current', 'page');
    else $(tab).removeAttribute('aria-current');
  }
  if (view === 'sessions') {
    if (entering) await reloadSessions(false);
    await showDetail();
  } else if (view === 'payments') {
    if (entering) await loadPayments(false);
    await showPayment();
  } else if (view === 'webhooks') {
    await showEndpoints();
  } else if (view === 'sandbox') {
    await showSandbox();
  } else {
    await showVault(vaultCustomer());
  }
}

async function signIn(key: string) {
  keepApiKey(key);
  try {
    await loadSessions(false);
    show(true);
    $('sign-in-error').textContent = '';
    shownView = 'sessions';
    await route();
  } catch (error) {
    forgetApiKey();
    show(false);
    const status = (error as ApiError).status;
    $('sign-in-error').textContent = status === 401 || status === 403 ? messageOf(error) : `Could not sign in: ${messageOf(error)}`;
  }
}

function start() {
  $('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void signIn($<HTMLInputElement>('api-key').value.trim());
  });
  $('sign-out').addEventListener('click', () => {
    forgetApiKey();
    $<HTMLInputElement>('api-key').value = '';
    $('detail').hidden = true;
    $('payment').hidden = true;
    shownView = undefined;
    show(false);
  });
  $('create-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void createSession(event.target as HTMLFormElement);
  });
  $('refresh').addEventListener('click', () => void reloadSessions(false));
  $('more').addEventListener('click', () => void reloadSessions(true));
  $('detail-close').addEventListener('click', (event) => {
    event.preventDefault();
    history.replaceState(null, '', location.pathname);
    void showDetail();
  });
  $('payments-refresh').addEventListener('click', () => void loadPayments(false));
  $('payments-more').addEventListener('click', () => void loadPayments(true));
  $('vault-more').addEventListener('click', () => void showMoreVault());
  $('sandbox-advance').addEventListener('submit', (event) => {
    event.preventDefault();
    void advanceClock(event.target as HTMLFormElement);
  });
  $('sandbox-faults-clear').addEventListener(
    'click',
    (event) => void deleteFaults('/kassa/sandbox/faults', event.target as HTMLButtonElement),
  );
  for (const [form, run] of [
    ['sandbox-trigger', triggerEvent],
    ['sandbox-dispute', disputePayment],
  ] as const) {
    $(form).addEventListener('submit', (event) => {
      event.preventDefault();
      void run(event.target as HTMLFormElement);
    });
  }
  $('sandbox-reset').addEventListener('click', (event) => void resetSandbox(event.target as HTMLButtonElement));
  window.addEventListener('hashchange', () => void route());
  const key = apiKey();
  if (key) void signIn(key);
  else show(false);
}

start();
