// Abuse limits: a token bucket per API key and one per client token, in memory, so limits hold per
// process (docs/operations.md, "Rate limits"). Buckets are keyed by a hash of the secret, never the
// secret itself. The clock is injected so a test can say exactly when a bucket refills. `limit` is
// the one place a 429 is made (the metrics counter is told there).
import type { RateLimitConfig } from '../config.ts';
import { KassaError } from '../errors.ts';
import type { Clock } from '../lib/clock.ts';

/** Past this many buckets, full (idle) ones are dropped so memory stays bounded. */
const SWEEP_AT = 10_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** `perSecond` requests per second, with a burst of one second's worth. */
  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {}

  /** Takes one token; returns 0 when allowed, else the whole seconds to wait. */
  take(key: string): number {
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: this.perSecond, at: now };
    bucket.tokens = Math.min(this.perSecond, bucket.tokens + ((now - bucket.at) * this.perSecond) / 1000);
    bucket.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= SWEEP_AT) this.sweep(now);
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  private sweep(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) * this.perSecond) / 1000 >= this.perSecond) this.buckets.delete(key);
    }
  }
}

export type LimitKind = 'key' | 'token';

const DETAIL: Record<LimitKind, string> = {
  key: 'Too many requests for this API key.',
  token: 'Too many requests for this client token.',
};

/** The pipeline's rate-limit step: one bucket set per kind, or none when that kind is off. */
export class RateLimits {
  private readonly buckets: Partial<Record<LimitKind, TokenBuckets>> = {};

  constructor(
    config: RateLimitConfig,
    clock: Clock,
    /** Told of every 429 (the kassa_rate_limited_total counter). */
    private readonly onLimited: () => void = () => {},
  ) {
    if (config.perKey !== null) this.buckets.key = new TokenBuckets(config.perKey, clock);
    if (config.perToken !== null) this.buckets.token = new TokenBuckets(config.perToken, clock);
  }

  /** Takes one request from `id`'s bucket (a hash, never a secret); throws 429 TooManyRequests when it is empty. */
  take(kind: LimitKind, id: string): void {
    const wait = this.buckets[kind]?.take(id) ?? 0;
    if (wait === 0) return;
    this.onLimited();
    throw new KassaError('TooManyRequests', { retryAfterSeconds: wait, detail: DETAIL[kind] });
  }

  enabled(kind: LimitKind): boolean {
    return this.buckets[kind] !== undefined;
  }
}
