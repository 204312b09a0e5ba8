// CORS for the routes a browser calls: the SDKs call from the merchant's page with custom headers, so
// preflights must be answered (docs/sdk.md, "CORS"). Only the browser routes' scope of the app
// registers it (http/pipeline.ts): the X-Api-Key routes stay closed to browsers, since a secret key
// must never be used from a page, and no CORS header invites it.
import type { FastifyCorsOptions, FastifyCorsOptionsDelegateCallback } from '@fastify/cors';
import type { FastifyRequest } from 'fastify';

/** Request headers the web SDKs send (lowercase, as the web SDK writes them). */
export const SDK_REQUEST_HEADERS = [
  'content-type',
  'primer-client-token',
  'primer-sdk-version',
  'primer-sdk-client',
  'primer-sdk-checkout-session-id',
  'x-api-version',
  'x-request-id',
  'x-idempotency-key',
] as const;

/**
 * @fastify/cors options for the browser routes' scope. Its preflight route answers OPTIONS for any
 * path, so preflights name the browser paths they may answer (`isBrowserPath`); every other request
 * in the scope is a browser route.
 */
export function corsOptions(origins: '*' | readonly string[], isBrowserPath: (path: string) => boolean): FastifyCorsOptions {
  const open: FastifyCorsOptions = {
    origin: origins === '*' ? '*' : [...origins],
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: [...SDK_REQUEST_HEADERS],
    exposedHeaders: ['x-primer-session-cache-ttl', 'x-request-id', 'x-api-version'],
    maxAge: 600,
    strictPreflight: false,
  };
  const closed: FastifyCorsOptions = { origin: false };
  const delegator: FastifyCorsOptionsDelegateCallback = (request, callback) => {
    const req = request as FastifyRequest;
    callback(null, req.method !== 'OPTIONS' || isBrowserPath(req.url.split('?')[0] ?? '') ? open : closed);
  };
  return { delegator };
}
