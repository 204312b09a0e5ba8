// The SHA-256 of a request's X-Api-Key, computed once per request: the rate limiter and the key
// lookup both need it. Kept beside the request (a WeakMap), never the secret itself.
import type { FastifyRequest } from 'fastify';
import { sha256 } from '../ids.ts';

const hashes = new WeakMap<FastifyRequest, { secret: string; hash: string }>();

/** sha256(secret) for the secret this request carries, hashed at most once per request. */
export function apiKeyHash(request: FastifyRequest, secret: string): string {
  const known = hashes.get(request);
  if (known && known.secret === secret) return known.hash;
  const hash = sha256(secret);
  hashes.set(request, { secret, hash });
  return hash;
}
