// The session a token names, one rule for every route that takes a token: the server API's client
// token (a signed JWT, verified before any read) and the SDKs' access token (the Primer-Client-Token
// header) both come down to an access-token hash. Unknown, expired and another merchant's sessions
// get one answer, ClientSessionValidationError: it tells an attacker nothing.
import { KassaError } from '../errors.ts';
import { sha256 } from '../lib/ids.ts';
import type { ClientTokens } from '../tokens/client-token.ts';

/** accessTokens are 40 hex characters; anything much longer is not one of ours. */
const MAX_ACCESS_TOKEN = 256;

const invalid = () => new KassaError('ClientSessionValidationError');

/** The hash of a client token's accessToken, once its signature and expiry are checked. */
export function clientTokenHash(tokens: ClientTokens, clientToken: string): string {
  const verified = tokens.verify(clientToken);
  if (!verified) throw invalid();
  return verified.accessTokenHash;
}

/** The hash of an access token as the SDKs send it (Primer-Client-Token). */
export function accessTokenHash(accessToken: string | undefined): string {
  if (!accessToken || accessToken.length > MAX_ACCESS_TOKEN) throw invalid();
  return sha256(accessToken);
}

/** `found`, when it is a session the caller may use now (and owns, when `merchantId` is given). */
export function usable<T extends { merchantId: string; expiresAt: number }>(found: T | undefined, now: number, merchantId?: string): T {
  if (!found || found.expiresAt <= now || (merchantId !== undefined && found.merchantId !== merchantId)) throw invalid();
  return found;
}
