// Abuse limits: token buckets per API key, per client token, per client address (SDK requests with
// no token) and for failed authentications per address. In memory, so limits hold per process
// (docs/operations.md, "Rate limits"). Buckets are keyed by a hash of a secret, never the secret
// itself. The clock is injected so a test can say exactly when a bucket refills. `refuse` is the one
// place a 429 is made (the metrics counter is told there). A costly step (an API key's scrypt, a
// client token's lookup) reserves its token before it runs and gives it back when it succeeds, so
// concurrent requests cannot all pass a check made before any of them failed; failures counted after
// the fact may take a bucket into debt (down to minus one window), so a flood stays refused longer.
import type { RateLimitConfig } from '../config.ts';
import { KassaError } from '../errors.ts';
import type { Clock } from '../lib/clock.ts';

/** Past this many buckets, full (idle) ones are dropped so memory stays bounded. */
const SWEEP_AT = 10_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  /** `capacity` requests per `windowMs`, with a burst of one window's worth. */
  constructor(
    private readonly capacity: number,
    windowMs: number,
    private readonly clock: Clock,
  ) {
    this.perMs = capacity / windowMs;
  }

  /** Takes one token; returns 0 when allowed, else the whole seconds to wait. */
  take(key: string): number {
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    this.refill(bucket, now);
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= SWEEP_AT) this.sweep(now);
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return this.wait(bucket);
  }

  /** Takes one token even from an empty bucket, down to a debt of one window's worth. */
  charge(key: string): void {
    if (this.take(key) === 0) return;
    const bucket = this.buckets.get(key)!;
    bucket.tokens = Math.max(-this.capacity, bucket.tokens - 1);
  }

  /** Returns a token taken by `take` (the reserved step turned out not to count). */
  giveBack(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket) bucket.tokens = Math.min(this.capacity, bucket.tokens + 1);
  }

  /** The seconds to wait before `key` may take a token, without taking one; 0 when it may now. */
  peek(key: string): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    this.refill(bucket, this.clock());
    return bucket.tokens >= 1 ? 0 : this.wait(bucket);
  }

  /** The tokens `key` has now, fractions and debt included (the whole capacity when it has no bucket). */
  available(key: string): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return this.capacity;
    this.refill(bucket, this.clock());
    return bucket.tokens;
  }

  private refill(bucket: { tokens: number; at: number }, now: number): void {
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
  }

  private wait(bucket: { tokens: number }): number {
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  private sweep(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.perMs >= this.capacity) this.buckets.delete(key);
    }
  }
}

/**
 * key: per API key; token: per client token; address: per client address, for SDK requests that
 * carry no token; failures: failed authentications per client address (a guessing client is
 * stopped before its guesses cost a key hash).
 */
export type LimitKind = 'key' | 'token' | 'address' | 'failures';

const DETAIL: Record<LimitKind, string> = {
  key: 'Too many requests for this API key.',
  token: 'Too many requests for this client token.',
  address: 'Too many requests from this address.',
  failures: 'Too many failed authentications from this address.',
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
    if (config.perKey !== null) this.buckets.key = new TokenBuckets(config.perKey, 1000, clock);
    if (config.perToken !== null) this.buckets.token = new TokenBuckets(config.perToken, 1000, clock);
    if (config.perAddress !== null) this.buckets.address = new TokenBuckets(config.perAddress, 1000, clock);
    if (config.failuresPerMinute !== null) this.buckets.failures = new TokenBuckets(config.failuresPerMinute, 60_000, clock);
  }

  /** Takes one request from `id`'s bucket (a hash or an address, never a secret); throws 429 TooManyRequests when it is empty. */
  take(kind: LimitKind, id: string): void {
    this.refuse(kind, this.buckets[kind]?.take(id) ?? 0);
  }

  /** Throws 429 when `id`'s bucket is empty, without taking from it. */
  check(kind: LimitKind, id: string): void {
    this.refuse(kind, this.buckets[kind]?.peek(id) ?? 0);
  }

  /**
   * Takes one request from `id`'s bucket before a costly step, as `take` does (429 when empty);
   * true when a token was taken, to be given back (`giveBack`) if the step turns out not to count.
   */
  reserve(kind: LimitKind, id: string): boolean {
    this.take(kind, id);
    return this.buckets[kind] !== undefined;
  }

  giveBack(kind: LimitKind, id: string): void {
    this.buckets[kind]?.giveBack(id);
  }

  /** Counts one failure against `id`, into debt if need be (the request itself is answered as it was going to be). */
  count(kind: LimitKind, id: string): void {
    this.buckets[kind]?.charge(id);
  }

  enabled(kind: LimitKind): boolean {
    return this.buckets[kind] !== undefined;
  }

  private refuse(kind: LimitKind, wait: number): void {
    if (wait === 0) return;
    this.onLimited();
    throw new KassaError('TooManyRequests', { retryAfterSeconds: wait, detail: DETAIL[kind] });
  }
}
