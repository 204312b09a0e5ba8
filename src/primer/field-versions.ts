// The fields a requested API version does not have yet (docs/api.md, "Versions"): each API states its
// own list (the client session's, the payment's), one rule refuses them.
import type { FieldError } from '../errors.ts';
import type { Context } from '../lib/context.ts';
import { jsonPath } from '../lib/json-path.ts';
import { compareVersions } from './versions.ts';

/** A field brought by `version`, by JSON path (`*` for every item of an array). */
export interface FieldVersion {
  path: readonly string[];
  version: string;
  label: string;
}

/**
 * Fields the requested API version does not have yet (a 422 naming the version that brought them, and
 * the missing header when the version is the default).
 */
export function fieldsNewerThan(
  body: unknown,
  request: Pick<Context, 'apiVersion' | 'apiVersionDefaulted'>,
  rules: readonly FieldVersion[],
): FieldError[] {
  const version = request.apiVersion;
  // Primer reads a request without the header as 2.1: a newcomer who never sent it should learn why.
  const uses = request.apiVersionDefaulted
    ? `this request sent no X-Api-Version header, so it uses ${version}, the version a request without one gets`
    : `this request uses ${version}`;
  const errors: FieldError[] = [];
  const visit = (value: unknown, path: readonly string[], at: (string | number)[], rule: FieldVersion) => {
    if (value === null || typeof value !== 'object') return;
    const [head, ...rest] = path;
    if (head === undefined) return;
    if (head === '*') {
      if (Array.isArray(value)) {
        for (const [i, item] of value.entries()) visit(item, rest, [...at, i], rule);
      }
      return;
    }
    const child = (value as Record<string, unknown>)[head];
    if (child === undefined || child === null) return;
    if (rest.length === 0) {
      errors.push({
        path: jsonPath([...at, head]),
        description: `${rule.label} was introduced in API version ${rule.version}; ${uses}. Send X-Api-Version: ${rule.version} or later.`,
      });
    } else visit(child, rest, [...at, head], rule);
  };
  for (const rule of rules) {
    if (compareVersions(version, rule.version) < 0) visit(body, rule.path, [], rule);
  }
  return errors;
}
