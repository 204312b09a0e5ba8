// Client tokens, in one place (docs/decisions.md, "Client tokens"). An HS256 JWT with a compact
// payload the three SDKs decode without verifying. The server verifies signature and expiry before
// any storage read, and stores only a hash of the accessToken. A verified token is remembered (the
// answer depends only on the signing keys; expiry is checked against the clock on every use).
import { createDecoder, createSigner, createVerifier } from 'fast-jwt';
import type { Clock } from '../lib/clock.ts';
import { newAccessToken, sha256 } from '../lib/ids.ts';
import type { SigningKey } from './signing-key.store.ts';

export interface TokenSettings {
  /** Base of every URL in the token, without a trailing slash. */
  publicUrl: string;
  /** The `env` claim; the SDKs accept LOCAL_DOCKER, DEV, SANDBOX, STAGING, PRODUCTION. */
  env: string;
  ttlSeconds: number;
}

export interface IssuedToken {
  clientToken: string;
  accessTokenHash: string;
  /** The expiry instant in ms; `exp` is this floored to whole seconds. */
  expiresAt: number;
}

export interface VerifiedToken {
  accessTokenHash: string;
  exp: number;
}

/** `clientTokenExpirationDate`: UTC, no zone designator, microseconds, as Primer writes it. */
export function formatExpirationDate(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000`;
}

export const signingKeyId = (secret: string) => `kassa-${sha256(secret).slice(0, 12)}`;

/** How many verified tokens are remembered; past it the oldest are forgotten. */
const VERIFIED_TOKENS = 10_000;

export class ClientTokens {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly verifiers: Map<string, (token: string) => Record<string, unknown>>;
  private readonly claims: Record<string, string>;
  private readonly onlyVerifier: ((token: string) => Record<string, unknown>) | undefined;
  private readonly verified = new Map<string, VerifiedToken>();

  /** `keys[0]` signs; every key verifies (so a rotated-out key keeps its tokens valid). */
  constructor(
    keys: readonly SigningKey[],
    private readonly settings: TokenSettings,
    private readonly clock: Clock,
  ) {
    if (keys.length === 0) throw new Error('at least one signing key is needed');
    const active = keys[0]!;
    this.sign = createSigner({ key: active.secret, algorithm: 'HS256', kid: active.kid, noTimestamp: true });
    // Expiry is checked below against the injected clock, not fast-jwt's own.
    this.verifiers = new Map(
      keys.map((k) => [k.kid, createVerifier({ key: k.secret, algorithms: ['HS256'], ignoreExpiration: true, cache: false })]),
    );
    this.onlyVerifier = this.verifiers.size === 1 ? [...this.verifiers.values()][0] : undefined;
    const base = settings.publicUrl;
    this.claims = {
      intent: 'CHECKOUT',
      configurationUrl: `${base}/client-sdk/configuration`,
      coreUrl: base,
      pciUrl: base,
      env: settings.env,
      paymentFlow: 'DEFAULT',
      analyticsUrlV2: `${base}/sdk-analytics`,
    };
  }

  private verifierFor(clientToken: string): ((token: string) => Record<string, unknown>) | undefined {
    const { header } = decodeComplete(clientToken) as { header: { kid?: unknown } };
    return typeof header.kid === 'string' ? this.verifiers.get(header.kid) : undefined;
  }

  /** A session's token for `merchantId`, expiring on that merchant's clock. */
  issue(merchantId?: string): IssuedToken {
    const accessToken = newAccessToken();
    const expiresAt = this.clock(merchantId) + this.settings.ttlSeconds * 1000;
    // Key order: exp and accessToken first, like Primer's tokens; JSON.stringify is compact, which
    // Android's `"accessToken":` substring search needs (docs/sdk.md).
    const clientToken = this.sign({ exp: Math.floor(expiresAt / 1000), accessToken, ...this.claims });
    return { clientToken, accessTokenHash: sha256(accessToken), expiresAt };
  }

  /**
   * The client token of a payment's required action (3DS): a new access token, which names the payment
   * (its hash is kept with it), the session's expiry, the action's intent and any extra claims.
   */
  issueAction(options: { intent: string; expiresAt: number; claims?: Record<string, string> }): {
    clientToken: string;
    accessTokenHash: string;
  } {
    const accessToken = newAccessToken();
    const clientToken = this.sign({
      exp: Math.floor(options.expiresAt / 1000),
      accessToken,
      ...this.claims,
      intent: options.intent,
      ...options.claims,
    });
    return { clientToken, accessTokenHash: sha256(accessToken) };
  }

  /**
   * The token's access-token hash when its signature is ours and it has not expired (on the clock of
   * `merchantId`, the caller's, when known); else undefined.
   */
  verify(clientToken: string, merchantId?: string): VerifiedToken | undefined {
    let verified = this.verified.get(clientToken);
    if (!verified) {
      verified = this.check(clientToken);
      if (!verified) return undefined;
      if (this.verified.size >= VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(clientToken, verified);
    }
    // Expired when now >= exp, as Android decides.
    return Math.floor(this.clock(merchantId) / 1000) >= verified.exp ? undefined : verified;
  }

  /** Why verify() refuses `clientToken`, for the operator's log: never the token or its claims' values. */
  whyRefused(clientToken: string, merchantId?: string): string {
    let header: { kid?: unknown };
    try {
      header = (decodeComplete(clientToken) as { header: { kid?: unknown } }).header;
    } catch {
      return 'not a JWT (an accessToken sent where the whole client token belongs?)';
    }
    const verifier = typeof header.kid === 'string' ? this.verifiers.get(header.kid) : this.onlyVerifier;
    if (!verifier) return 'signed with a key this server does not hold (another server, or a rotated-out KASSA_TOKEN_SECRET)';
    let payload: Record<string, unknown>;
    try {
      payload = verifier(clientToken);
    } catch {
      return 'bad signature (the token was changed, or signed with another secret)';
    }
    if (typeof payload.accessToken !== 'string' || !Number.isInteger(payload.exp)) return 'no accessToken or exp claim';
    return `expired at ${new Date((payload.exp as number) * 1000).toISOString()}, before ${new Date(this.clock(merchantId)).toISOString()}`;
  }

  private check(clientToken: string): VerifiedToken | undefined {
    let payload: Record<string, unknown>;
    try {
      // With one key (the usual case) its verifier decides alone: reading the kid first would decode
      // the token twice, and only the holder of that key can sign a token it accepts.
      const verifier = this.onlyVerifier ?? this.verifierFor(clientToken);
      if (!verifier) return undefined;
      payload = verifier(clientToken);
    } catch {
      return undefined; // malformed, tampered or signed with a key we do not hold
    }
    if (typeof payload.accessToken !== 'string' || !Number.isInteger(payload.exp)) return undefined;
    return { accessTokenHash: sha256(payload.accessToken), exp: payload.exp as number };
  }
}

const decodeComplete = createDecoder({ complete: true });
