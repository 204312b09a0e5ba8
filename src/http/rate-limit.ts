// Abuse limits (issue 5): a token bucket per API key and one per client token, in memory, so limits
// hold per process. Buckets are keyed by a hash of the secret, never the secret itself. The clock is
// injected so a test can say exactly when a bucket refills. `tooManyRequests` is the one place a 429
// is made (a metrics counter belongs there).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.ts';
import type { RateLimitConfig } from '../config.ts';
import { sha256 } from '../ids.ts';
import { apiKeyHash } from './api-key-hash.ts';
import { ApiError } from './errors.ts';

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

function tooManyRequests(kind: 'key' | 'token', retryAfterSeconds: number): ApiError {
  return new ApiError('TooManyRequests', {
    headers: { 'Retry-After': String(retryAfterSeconds) },
    detail: kind === 'key' ? 'Too many requests for this API key.' : 'Too many requests for this client token.',
  });
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** The client token a request carries: the query (GET), the body (PATCH) or the SDK header. */
function clientTokenOf(request: FastifyRequest): string | undefined {
  const header = first(request.headers['primer-client-token']);
  if (header) return header;
  const query = request.query as Record<string, unknown> | undefined;
  if (query && typeof query.clientToken === 'string') return query.clientToken;
  const body = request.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object' && typeof body.clientToken === 'string') return body.clientToken;
  return undefined;
}

export function installRateLimits(
  app: FastifyInstance,
  limits: RateLimitConfig,
  clock: Clock,
  /** Told of every 429 (the kassa_rate_limited_total counter). */
  onLimited: () => void = () => {},
): void {
  if (limits.perKey !== null) {
    const perKey = new TokenBuckets(limits.perKey, clock);
    // onRequest, before the key is looked up: a flood costs no storage read.
    app.addHook('onRequest', async (request) => {
      if (!request.routeOptions.config.scope) return;
      const secret = first(request.headers['x-api-key']);
      if (!secret) return;
      const wait = perKey.take(apiKeyHash(request, secret));
      if (wait > 0) {
        onLimited();
        throw tooManyRequests('key', wait);
      }
    });
  }
  if (limits.perToken !== null) {
    const perToken = new TokenBuckets(limits.perToken, clock);
    // preHandler: PATCH carries its token in the body, which is parsed by then.
    app.addHook('preHandler', async (request) => {
      const token = clientTokenOf(request);
      if (!token) return;
      const wait = perToken.take(sha256(token));
      if (wait > 0) {
        onLimited();
        throw tooManyRequests('token', wait);
      }
    });
  }
}
