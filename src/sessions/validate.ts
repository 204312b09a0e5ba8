// Validation a route's schema cannot do alone: the whole session after a PATCH merge or the SDK's
// actions ("the whole session is validated again", with the schema and Ajv settings of POST), and the
// fields a requested API version does not have yet (docs/api.md, "Versions").
import type { FieldError } from '../errors.ts';
import type { Context } from '../lib/context.ts';
import { compile, fieldErrors } from '../lib/ajv.ts';
import { compareVersions } from '../lib/api-version.ts';
import { jsonPath } from '../lib/json-path.ts';
import { amountErrors } from './amount.ts';
import { CreateSessionBody, FIELD_VERSIONS, type SessionData } from './schemas.ts';

/** Every problem of a complete session: schema, then money rules. */
export function sessionErrors(session: SessionData): FieldError[] {
  const validate = compile(CreateSessionBody);
  if (!validate(session)) return fieldErrors(validate.errors ?? []);
  return amountErrors(session);
}

/**
 * Fields the requested API version does not have yet (a 422 naming the version that brought them, and
 * the missing header when the version is the default).
 */
export function fieldsNewerThan(
  body: unknown,
  request: Pick<Context, 'apiVersion' | 'apiVersionDefaulted'>,
  rules: typeof FIELD_VERSIONS = FIELD_VERSIONS,
): FieldError[] {
  const version = request.apiVersion;
  // Primer reads a request without the header as 2.1: a newcomer who never sent it should learn why.
  const uses = request.apiVersionDefaulted
    ? `this request sent no X-Api-Version header, so it uses ${version}, the version a request without one gets`
    : `this request uses ${version}`;
  const errors: FieldError[] = [];
  const visit = (value: unknown, path: readonly string[], at: (string | number)[], rule: (typeof FIELD_VERSIONS)[number]) => {
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
