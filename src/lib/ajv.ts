// One configured Ajv for the whole process: Fastify's route validation, the domain's re-validation
// of merged sessions, the SDK actions and the checkout configuration file all compile through it.
// A schema object is compiled once, however many apps are built from it (tests build hundreds), and
// Ajv's errors become Primer's validationErrors here: one entry per problem, every problem at once,
// each with a JSON path and a sentence a merchant engineer can act on (docs/api.md, "Errors").
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FieldError } from '../errors.ts';
import { compiledOnce } from './compiled.ts';
import { jsonPath, pointerSegments } from './json-path.ts';

export const AJV_OPTIONS: Options = {
  allErrors: true,
  removeAdditional: false,
  coerceTypes: false,
  useDefaults: false,
  strict: false,
  // Errors carry their schema, so a message can name the enum (Currency, CountryCodeEnum).
  verbose: true,
};

/** Internationalized addresses are allowed: one @, no spaces, a dotted domain. */
export const EMAIL_FORMAT = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/u;

/** Plugs Kassa's formats into an Ajv instance (this one, and fast-json-stringify's own). */
export function configureAjv(instance: Ajv): Ajv {
  (addFormats as unknown as (a: Ajv) => Ajv)(instance);
  instance.addFormat('idn-email', EMAIL_FORMAT);
  return instance;
}

export const ajv = configureAjv(new Ajv(AJV_OPTIONS));

const compiledValidator = compiledOnce((schema) => ajv.compile(schema));
const validators = new WeakMap<object, ValidateFunction>();

/**
 * The validator of `schema`, compiled on its first call and shared by everything that asks again
 * (lib/compiled.ts): a process compiles only what its requests use.
 */
export function compile<T = unknown>(schema: object): ValidateFunction<T> {
  let lazy = validators.get(schema);
  if (!lazy) {
    const ready = compiledValidator(schema);
    let called = false;
    lazy = ((data: unknown) => {
      called = true;
      return ready()(data);
    }) as ValidateFunction;
    // Callers (and Fastify) read the problems of the last call from `errors`, as from Ajv's own function.
    Object.defineProperty(lazy, 'errors', { get: () => (called ? ready().errors : undefined), set: (value) => (ready().errors = value) });
    Object.defineProperty(lazy, 'schema', { get: () => schema });
    validators.set(schema, lazy);
  }
  return lazy as ValidateFunction<T>;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a valid string',
  integer: 'a valid integer',
  number: 'a valid number',
  boolean: 'a valid boolean',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function describe(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'Field required';
    case 'additionalProperties':
      return 'Unknown field: extra fields are not permitted here';
    case 'type': {
      const types = String(p.type).split(',');
      return `Value must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}`;
    }
    case 'minLength':
      return `Ensure this value has at least ${p.limit} characters`;
    case 'maxLength':
      return `Ensure this value has at most ${p.limit} characters`;
    case 'minimum':
      return `Ensure this value is greater than or equal to ${p.limit}`;
    case 'maximum':
      return p.limit === Number.MAX_SAFE_INTEGER
        ? `Ensure this value is less than or equal to ${p.limit}: Kassa keeps amounts within JavaScript's safe integer range (2^53-1)`
        : `Ensure this value is less than or equal to ${p.limit}`;
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]) ?? [];
      const title = (error.parentSchema as { title?: string } | undefined)?.title;
      return allowed.length <= 20
        ? `Value is not a valid enumeration member; permitted: ${allowed.map((v) => JSON.stringify(v)).join(', ')}`
        : `Value is not a valid member of ${title ?? 'the permitted list'}`;
    }
    case 'const':
      return `Value must be ${JSON.stringify(p.allowedValue)}`;
    case 'format':
      return p.format === 'idn-email' ? 'Value is not a valid email address' : `Value must be a valid ${p.format}`;
    case 'maxProperties':
      return `Ensure this object has at most ${p.limit} keys`;
    case 'minItems':
      return `Ensure this array has at least ${p.limit} items`;
    case 'maxItems':
      return `Ensure this array has at most ${p.limit} items`;
    case 'uniqueItems':
      return 'Values must be unique';
    case 'pattern':
      return `Value must match ${p.pattern}`;
    case 'propertyNames':
      return 'Key is not permitted here';
    default:
      return error.message ?? 'Value is not valid';
  }
}

function pathOf(error: ErrorObject, prefix: readonly string[]): string {
  const segments = [...prefix, ...pointerSegments(error.instancePath)];
  const p = error.params as Record<string, unknown>;
  if (error.keyword === 'required') segments.push(String(p.missingProperty));
  if (error.keyword === 'additionalProperties') segments.push(String(p.additionalProperty));
  if (p.propertyName !== undefined) segments.push(String(p.propertyName));
  return jsonPath(segments);
}

/**
 * Field errors from Ajv errors. `anyOf` wrappers come from Nullable (value or null, null second):
 * the wrapper error and the null branch's "must be null" say nothing useful and are dropped.
 */
export function fieldErrors(errors: readonly ErrorObject[], prefix: readonly string[] = []): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (error.keyword === 'anyOf') continue;
    if (/\/anyOf\/1\/type$/.test(error.schemaPath) && (error.params as { type?: string }).type === 'null') continue;
    // A propertyNames failure is reported twice by Ajv (the inner keyword and the wrapper).
    if (error.schemaPath.includes('/propertyNames/')) continue;
    const item = { path: pathOf(error, prefix), description: describe(error) };
    const key = `${item.path}\u0000${item.description}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}
