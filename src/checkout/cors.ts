// CORS for the routes a browser calls (contract §2.1): the SDKs call from the merchant's page with
// custom headers, so preflights must be answered. The X-Api-Key routes stay closed to browsers: a
// secret key must never be used from a page, and no CORS header invites it.
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

/** Paths a browser may call: the SDK routes and the icons. */
const BROWSER_PATHS = [
  /^\/client-sdk\/configuration\/?$/,
  /^\/client-session\/actions\/?$/,
  /^\/client-token\/validate\/?$/,
  /^\/assets\/icons\/[^/]+$/,
];

export function isBrowserPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return BROWSER_PATHS.some((p) => p.test(path));
}

/** @fastify/cors options: allowed origins on browser paths, nothing anywhere else. */
export function corsOptions(origins: '*' | readonly string[]): FastifyCorsOptions {
  const open: FastifyCorsOptions = {
    origin: origins === '*' ? '*' : [...origins],
    methods: ['GET', 'POST'],
    allowedHeaders: [...SDK_REQUEST_HEADERS],
    exposedHeaders: ['x-primer-session-cache-ttl', 'x-request-id', 'x-api-version'],
    maxAge: 600,
    strictPreflight: false,
  };
  const delegator: FastifyCorsOptionsDelegateCallback = (request, callback) => {
    callback(null, isBrowserPath((request as FastifyRequest).url) ? open : { origin: false });
  };
  return { delegator };
}
