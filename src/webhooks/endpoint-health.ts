// When an endpoint is disabled (docs/webhooks.md, "Disabled endpoints"): as Stripe does, once every attempt
// to it has failed for three days, and at least ten in a row, so a receiver that was quiet for days and
// fails once more is not cut off on that one failure. The store applies the rule in the transaction that
// records the attempt; `disabledBy` is the same rule for tests and readers.
import type { EndpointHealthChange } from './webhook.store.ts';

export const DISABLE_AFTER_MS = 3 * 86_400_000;
export const DISABLE_AFTER_FAILURES = 10;

/** What a send at `now` tells the store about its endpoint. */
export function healthChange(ok: boolean, now: number): EndpointHealthChange {
  return {
    ok,
    at: now,
    disableIfFailingSince: now - DISABLE_AFTER_MS,
    disableAfterFailures: DISABLE_AFTER_FAILURES,
    disableReason: `Every attempt failed for ${DISABLE_AFTER_MS / 86_400_000} days (${DISABLE_AFTER_FAILURES} or more in a row).`,
  };
}

/** The rule: a failure streak that began at `failingSince` and counts `failures` disables its endpoint at `now`. */
export const disabledBy = (streak: { failingSince?: number; failures?: number }, now: number): boolean =>
  streak.failingSince !== undefined && streak.failingSince <= now - DISABLE_AFTER_MS && (streak.failures ?? 0) >= DISABLE_AFTER_FAILURES;
