// Compiled JSON serializers (fast-json-stringify), one per response schema for the whole process:
// Fastify's routes and the services that answer with a ready string (so a response is serialized once
// and that same string is what an idempotency record keeps and a cache reuses) share them, however
// many apps are built from the schemas. They write fields in the schema's order: Primer's order.
import build from 'fast-json-stringify';
import { EMAIL_FORMAT } from './ajv.ts';
import { compiledOnce } from './compiled.ts';

export type Serializer = (value: unknown) => string;

// fast-json-stringify compiles anyOf branches with an Ajv of its own: it needs Kassa's format too.
const OPTIONS = { ajv: { formats: { 'idn-email': EMAIL_FORMAT } } };
const compiledSerializer = compiledOnce(
  (schema) => build(schema as Parameters<typeof build>[0], OPTIONS as Parameters<typeof build>[1]) as Serializer,
);
const serializers = new WeakMap<object, Serializer>();

/** The serializer of `schema`, compiled on its first call and shared (lib/compiled.ts). */
export function serializer(schema: object): Serializer {
  let lazy = serializers.get(schema);
  if (!lazy) {
    const ready = compiledSerializer(schema);
    lazy = (value) => ready()(value);
    serializers.set(schema, lazy);
  }
  return lazy;
}

/**
 * The serializer of `schema` writing fields in the order the schema declares them: fast-json-stringify
 * writes required fields first, and answers keep the order their render builds (Primer's). `required`
 * stays in the schema for the document.
 */
export function orderedSerializer(schema: object): Serializer {
  let lazy = ordered.get(schema);
  if (!lazy) {
    lazy = serializer(withoutRequired(schema));
    ordered.set(schema, lazy);
  }
  return lazy;
}
const ordered = new WeakMap<object, Serializer>();

/** `schema` without its `required` lists, at every depth. */
export function withoutRequired<T>(schema: T): T {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k]) => k !== 'required')
        .map(([k, v]) => [k, strip(v)]),
    );
  };
  return strip(schema) as T;
}
