// Views follow the address's hash: #session/<id> (the sessions, one open), #payments and #payment/<id>
// (the payments, one open), #vault/<customerId> (a customer's saved cards), #webhooks (the endpoints),
// #sandbox (the sandbox controls).

export type View = 'sessions' | 'payments' | 'vault' | 'webhooks' | 'sandbox';

export function viewOf(hash: string): View {
  if (hash === '#payments' || hash.startsWith('#payment/')) return 'payments';
  if (hash.startsWith('#vault/')) return 'vault';
  if (hash === '#webhooks') return 'webhooks';
  if (hash === '#sandbox') return 'sandbox';
  return 'sessions';
}

/** The session open, if any. */
export function currentId() {
  const match = /^#session\/(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : undefined;
}

/** The payment open, if any. */
export function currentPaymentId() {
  const match = /^#payment\/(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : undefined;
}

/** The customer whose saved cards are shown (the vault view's hash). */
export const vaultCustomer = () => decodeURIComponent(location.hash.slice('#vault/'.length));
