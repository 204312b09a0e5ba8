// Primer's API versions Kassa speaks. A field or behaviour introduced in a later version is refused or
// changed for requests that ask for an earlier one (docs/api.md, "Versions").

export const SUPPORTED_API_VERSIONS = ['2.1', '2.2', '2.3', '2.4'] as const;
export type ApiVersion = (typeof SUPPORTED_API_VERSIONS)[number];
/** What a request without X-Api-Version gets: the earliest supported version, as Primer documents. */
export const DEFAULT_API_VERSION: ApiVersion = '2.1';

export const isApiVersion = (value: string): value is ApiVersion => (SUPPORTED_API_VERSIONS as readonly string[]).includes(value);

/** Negative when `a` is earlier than `b`. */
export function compareVersions(a: string, b: string): number {
  const [am, an] = versionParts(a);
  const [bm, bn] = versionParts(b);
  return am - bm || an - bn;
}

// Every request compares its version with a few rules; there are only a few versions.
const parsedVersions = new Map<string, readonly [number, number]>();
function versionParts(version: string): readonly [number, number] {
  let parts = parsedVersions.get(version);
  if (!parts) {
    parts = version.split('.').map(Number) as [number, number];
    if (parsedVersions.size < 64) parsedVersions.set(version, parts);
  }
  return parts;
}

/** Whether `version` is earlier than `than`, compared as numbers ('2.10' is after '2.4'). */
export const isBefore = (version: string, than: string): boolean => compareVersions(version, than) < 0;
