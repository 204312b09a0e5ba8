// X-Api-Key -> merchant + scopes (decisions.md: 401 Unauthorized, 403 Forbidden).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Merchants } from '../merchants/merchants.ts';
import { apiKeyHash } from './api-key-hash.ts';
import { ApiError } from './errors.ts';

export function apiKeyAuth(merchants: Merchants) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const scope = request.routeOptions.config.scope;
    const header = request.headers['x-api-key'];
    const secret = Array.isArray(header) ? header[0] : header;
    if (!secret || secret.length > 512) throw new ApiError('Unauthorized');
    const principal = await merchants.authenticateHash(apiKeyHash(request, secret));
    if (!principal) throw new ApiError('Unauthorized');
    if (scope && !principal.scopes.includes(scope)) {
      throw new ApiError('Forbidden', { detail: `The API key does not have the ${scope} scope this operation needs.` });
    }
    request.principal = principal;
  };
}
