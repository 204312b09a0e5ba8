// A sandbox reset (docs/sandbox.md, "Reset"): a merchant's data goes, the merchant, its API keys and its
// webhook endpoints stay. Each store that keeps a merchant's data deletes its own rows (its
// `resetMerchant`), listed once in RESET_STORES; the answer sums what each removed, per kind.
import type { Stores } from '../../storage/store.ts';

/** The stores that can delete one merchant's rows, by their name in the engines' tables. */
type Resettable = {
  [K in keyof Stores]: Stores[K] extends { resetMerchant(merchantId: string): Promise<Record<string, number>> } ? K : never;
}[keyof Stores];

/**
 * Every store with a merchant's data, in the order a reset empties them: sessions first, so no new
 * token or payment starts from one meanwhile; idempotency records last, so a retry made meanwhile
 * cannot replay an answer naming something already gone. A new store with merchant data adds its line.
 */
export const RESET_STORES = [
  'sessions',
  'payments',
  'paypal',
  'webhooks',
  'faults',
  'sandboxClocks',
  'idempotency',
] as const satisfies readonly Resettable[];

type Listed = (typeof RESET_STORES)[number];
type KindsOf<K> = K extends Listed ? keyof Awaited<ReturnType<Stores[K]['resetMerchant']>> : never;
/** How many rows of each kind a reset removed: every kind a listed store names. */
export type Removed = Record<KindsOf<Listed>, number>;

/**
 * Each store deletes in one transaction of its own, so a reset that fails part way (the storage went
 * away) leaves some kinds emptied and others not; resetting again finishes it, as a reset is idempotent.
 */
export async function resetMerchant(store: Pick<Stores, Listed>, merchantId: string): Promise<Removed> {
  const removed: Record<string, number> = {};
  for (const name of RESET_STORES) {
    for (const [kind, n] of Object.entries(await store[name].resetMerchant(merchantId))) removed[kind] = (removed[kind] ?? 0) + n;
  }
  return removed as Removed;
}
