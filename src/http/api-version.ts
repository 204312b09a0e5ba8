// X-Api-Version: missing means the earliest supported version, as Primer documents; an unknown one is
// 400 InvalidApiVersion; the version used is echoed on the response.
import { KassaError } from '../errors.ts';
import { DEFAULT_API_VERSION, isApiVersion, SUPPORTED_API_VERSIONS, type ApiVersion } from '../primer/versions.ts';

export function resolveApiVersion(header: string | string[] | undefined): ApiVersion {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined) return DEFAULT_API_VERSION;
  if (isApiVersion(raw)) return raw;
  const value = raw.trim();
  if (value === '') return DEFAULT_API_VERSION;
  if (isApiVersion(value)) return value;
  throw new KassaError('InvalidApiVersion', {
    detail: `X-Api-Version "${value.slice(0, 32)}" is not supported. Supported versions: ${SUPPORTED_API_VERSIONS.join(', ')}.`,
  });
}
