// Validation of a whole session after a PATCH merge (decisions.md, PATCH: "the whole session is
// validated again"), with the same schema and Ajv settings Fastify uses for POST bodies.
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { AJV_OPTIONS, EMAIL_FORMAT, fieldErrors } from '../http/validation.ts';
import type { FieldError } from '../http/errors.ts';
import { CreateSessionBody, FIELD_VERSIONS, type SessionData } from './schemas.ts';
import { amountErrors } from './amount.ts';
import { jsonPath } from '../json-path.ts';

/** Plugs Kassa's formats into an Ajv instance (Fastify's and ours). */
export function configureAjv(ajv: Ajv): Ajv {
  (addFormats as unknown as (a: Ajv) => Ajv)(ajv);
  ajv.addFormat('idn-email', EMAIL_FORMAT);
  return ajv;
}

const ajv = configureAjv(new Ajv(AJV_OPTIONS));
const validateCreate = ajv.compile(CreateSessionBody);

/** Every problem of a complete session: schema, then money rules. */
export function sessionErrors(session: SessionData): FieldError[] {
  if (!validateCreate(session)) return fieldErrors(validateCreate.errors ?? []);
  return amountErrors(session);
}

/** Fields the requested API version does not have yet (decisions.md: 422 naming the version). */
export function fieldsNewerThan(body: unknown, version: string): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (value: unknown, path: readonly string[], at: (string | number)[], rule: (typeof FIELD_VERSIONS)[number]) => {
    if (value === null || typeof value !== 'object') return;
    const [head, ...rest] = path;
    if (head === undefined) return;
    if (head === '*') {
      if (Array.isArray(value)) value.forEach((item, i) => visit(item, rest, [...at, i], rule));
      return;
    }
    const child = (value as Record<string, unknown>)[head];
    if (child === undefined || child === null) return;
    if (rest.length === 0) {
      errors.push({
        path: jsonPath([...at, head]),
        description: `${rule.label} was introduced in API version ${rule.version}; this request uses ${version}. Send X-Api-Version: ${rule.version} or later.`,
      });
    } else visit(child, rest, [...at, head], rule);
  };
  for (const rule of FIELD_VERSIONS) {
    if (compareVersions(version, rule.version) < 0) visit(body, rule.path, [], rule);
  }
  return errors;
}

export function compareVersions(a: string, b: string): number {
  const [am, an] = versionParts(a);
  const [bm, bn] = versionParts(b);
  return am - bm || an - bn;
}

// Every request compares its version with each FIELD_VERSIONS rule; there are only a few versions.
const parsedVersions = new Map<string, readonly [number, number]>();
function versionParts(version: string): readonly [number, number] {
  let parts = parsedVersions.get(version);
  if (!parts) {
    parts = version.split('.').map(Number) as [number, number];
    if (parsedVersions.size < 64) parsedVersions.set(version, parts);
  }
  return parts;
}
