// X-Api-Version (decisions.md, wire format): missing -> the earliest supported version, as Primer
// documents; unknown -> 400 InvalidApiVersion; the version used is echoed on the response.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

export const SUPPORTED_API_VERSIONS = ['2.1', '2.2', '2.3', '2.4'] as const;
export type ApiVersion = (typeof SUPPORTED_API_VERSIONS)[number];
export const DEFAULT_API_VERSION: ApiVersion = '2.1';

export function resolveApiVersion(header: string | string[] | undefined): ApiVersion {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined || raw.trim() === '') return DEFAULT_API_VERSION;
  const value = raw.trim();
  if ((SUPPORTED_API_VERSIONS as readonly string[]).includes(value)) return value as ApiVersion;
  throw new ApiError('InvalidApiVersion', {
    detail: `X-Api-Version "${value.slice(0, 32)}" is not supported. Supported versions: ${SUPPORTED_API_VERSIONS.join(', ')}.`,
  });
}

/** onRequest hook for versioned routes. */
export async function apiVersionHook(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  request.apiVersion = resolveApiVersion(request.headers['x-api-version']);
  reply.header('X-Api-Version', request.apiVersion);
}
