// The session a token names, one rule for every route that takes a token: the server API's client
// token (a signed JWT, verified before any read) and the SDKs' access token (the Primer-Client-Token
// header) both come down to an access-token hash. Unknown, expired and another merchant's sessions
// get one answer, ClientSessionValidationError: it tells an attacker nothing.
import { KassaError } from '../errors.ts';
import { sha256 } from '../lib/ids.ts';
import type { ClientTokens } from '../tokens/client-token.ts';

/** accessTokens are 40 hex characters; anything much longer is not one of ours. */
const MAX_ACCESS_TOKEN = 256;

/** `reason` goes to the operator's log at debug, never to the client. */
const invalid = (reason: string) => new KassaError('ClientSessionValidationError', { reason });

/** A JWT's shape: the whole client token, which the SDKs decode to send only its accessToken. */
const JWT = /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/;

/** The hash of a client token's accessToken, once its signature and expiry are checked. */
export function clientTokenHash(tokens: ClientTokens, clientToken: string): string {
  const verified = tokens.verify(clientToken);
  if (!verified) throw invalid(`client token refused: ${tokens.whyRefused(clientToken)}`);
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
