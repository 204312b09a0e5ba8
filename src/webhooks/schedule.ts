// When a failed delivery is tried again (docs/webhooks.md, "Retries"): after about 10 s, 60 s, 5, 10
// and 15 min, each with ±10 % jitter so receivers that failed together are not retried together; after
// the last retry the delivery is FAILED. KASSA_WEBHOOK_RETRY_SCALE shortens (or stretches) the whole
// schedule, for tests and CI.
export const RETRY_DELAYS_MS = [10_000, 60_000, 5 * 60_000, 10 * 60_000, 15 * 60_000] as const;

/** Attempts in all: the first and one per retry. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** The delay before the retry that follows attempt `attempts` (1-based), or undefined when none is left. */
export function retryDelay(attempts: number, scale: number, random: () => number = Math.random): number | undefined {
  const base = RETRY_DELAYS_MS[attempts - 1];
  if (base === undefined) return undefined;
  const jitter = 1 + (random() * 2 - 1) * 0.1;
  return Math.max(0, Math.round(base * scale * jitter));
}
