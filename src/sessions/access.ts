// The session a token names, found in this one place for every route that takes a token: the server
// API's client token (a signed JWT, verified before any read) and the SDKs' access token (the
// Primer-Client-Token header, or a payment's action token after 3DS) both come down to an access-token
// hash. Unknown, expired and another merchant's sessions get one answer, ClientSessionValidationError:
// it tells an attacker nothing.
import { KassaError } from '../errors.ts';
import { then, type Awaitable } from '../lib/awaitable.ts';
import type { Clock } from '../lib/clock.ts';
import { timed, type Context } from '../lib/context.ts';
import { sha256 } from '../lib/ids.ts';
import type { ClientTokens } from '../tokens/client-token.ts';
import type { SessionStore, SessionVersion, StoredSession } from './session.store.ts';

/** accessTokens are 40 hex characters; anything much longer is not one of ours. */
const MAX_ACCESS_TOKEN = 256;

/** `reason` goes to the operator's log at debug, never to the client. */
const invalid = (reason: string) => new KassaError('ClientSessionValidationError', { reason });

/** A JWT's shape: the whole client token, which the SDKs decode to send only its accessToken. */
const JWT = /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/;

/** The hash of a client token's accessToken, once its signature and expiry (on the caller's clock) are checked. */
export function clientTokenHash(tokens: ClientTokens, clientToken: string, merchantId?: string): string {
  const verified = tokens.verify(clientToken, merchantId);
  if (!verified) throw invalid(`client token refused: ${tokens.whyRefused(clientToken, merchantId)}`);
  return verified.accessTokenHash;
}

/** The hash of an access token as the SDKs send it (Primer-Client-Token). */
export function accessTokenHash(accessToken: string | undefined): string {
  if (!accessToken) throw invalid('no access token was sent (Primer-Client-Token)');
  // No access token looks like this, so the answer is the same as the lookup's would be, without it.
  if (JWT.test(accessToken)) throw invalid('a whole client token (JWT) was sent where its accessToken claim belongs');
  if (accessToken.length > MAX_ACCESS_TOKEN) throw invalid(`the access token has ${accessToken.length} characters; Kassa's have 40`);
  return sha256(accessToken);
}

/** `found`, when it is a session the caller may use now (and owns, when `merchantId` is given). */
export function usable<T extends { merchantId: string; expiresAt: number }>(found: T | undefined, now: number, merchantId?: string): T {
  if (!found) throw invalid('no session has this access token (unknown, or its session purged)');
  if (found.expiresAt <= now) throw invalid(`the session expired at ${new Date(found.expiresAt).toISOString()}`);
  if (merchantId !== undefined && found.merchantId !== merchantId)
    throw invalid("the session belongs to another merchant than the API key's");
  return found;
}

export interface SessionAccessDeps {
  sessions: Pick<SessionStore, 'findByAccessTokenHash' | 'versionOf' | 'findById'>;
  tokens: ClientTokens;
  clock: Clock;
  /** Told the merchant's sandbox clock offset each lookup reads, before the session's expiry is judged on it. */
  clocks?: { observe(merchantId: string, offsetMs: number | undefined): void };
  /**
   * A payment's required action has a token of its own, which the SDKs carry on with after a 3DS
   * action; absent when payments are off. Structural, so sessions/ imports nothing from payments/.
   */
  actions?: { findByActionTokenHash(hash: string): Awaitable<{ merchantId: string; sessionId?: string | undefined } | undefined> };
}

/** Finds the session for either kind of token; the pipeline's SDK step and the services use it. */
export class SessionAccess {
  constructor(private readonly deps: SessionAccessDeps) {}

  /** The access-token hash a client token names, once its signature and expiry are checked. */
  clientTokenHash(clientToken: string, merchantId?: string): string {
    return clientTokenHash(this.deps.tokens, clientToken, merchantId);
  }

  /** The session with this access-token hash, usable now (and the merchant's, when `merchantId` is given). */
  byHash(ctx: Context, hash: string, merchantId?: string): Awaitable<StoredSession> {
    return then(
      timed(ctx, 'sessions.findByAccessTokenHash', () => this.deps.sessions.findByAccessTokenHash(hash)),
      (found) => usable(this.observed(found), this.deps.clock(found?.merchantId), merchantId),
    );
  }

  /** The stored version of that session, checked the same way: enough to tell whether a cached answer is current. */
  versionOf(ctx: Context, hash: string, merchantId?: string): Awaitable<SessionVersion> {
    return then(
      timed(ctx, 'sessions.versionOf', () => this.deps.sessions.versionOf(hash)),
      (found) => usable(this.observed(found), this.deps.clock(found?.merchantId), merchantId),
    );
  }

  /** Another process may have advanced (or reset) the merchant's clock: what the lookup read wins. */
  private observed<T extends { merchantId: string; clockOffsetMs?: number }>(found: T | undefined): T | undefined {
    if (found) this.deps.clocks?.observe(found.merchantId, found.clockOffsetMs);
    return found;
  }

  /**
   * The session an SDK request's access token names (the pipeline's SDK step): the session's own
   * token, else, with payments on, the token of one of its payments' required actions.
   */
  find(ctx: Context, accessToken: string | undefined): Awaitable<StoredSession> {
    if (!this.deps.actions) return this.byHash(ctx, accessTokenHash(accessToken));
    try {
      const found = this.byHash(ctx, accessTokenHash(accessToken));
      if (!(found instanceof Promise)) return found;
      return found.catch(() => this.byActionToken(ctx, accessToken));
    } catch {
      return this.byActionToken(ctx, accessToken);
    }
  }

  /**
   * That a client token names a usable session (POST /client-token/validate): its own, or with payments
   * on the session of the payment whose required action it is (Android validates every action token).
   */
  async validate(ctx: Context, clientToken: string): Promise<void> {
    const hash = this.clientTokenHash(clientToken);
    try {
      await this.versionOf(ctx, hash);
    } catch (error) {
      if (!this.deps.actions) throw error;
      await this.byActionHash(ctx, hash);
    }
  }

  private byActionToken(ctx: Context, accessToken: string | undefined): Promise<StoredSession> {
    return this.byActionHash(ctx, accessTokenHash(accessToken));
  }

  private async byActionHash(ctx: Context, hash: string): Promise<StoredSession> {
    const actions = this.deps.actions;
    const payment = await timed(ctx, 'payments.findByActionTokenHash', () => actions?.findByActionTokenHash(hash));
    const session = payment?.sessionId ? await this.deps.sessions.findById(payment.merchantId, payment.sessionId) : undefined;
    return usable(session, this.deps.clock(session?.merchantId));
  }
}
