// Compiled JSON serializers (fast-json-stringify), one per response schema for the whole process:
// Fastify's routes and the services that answer with a ready string (so a response is serialized once
// and that same string is what an idempotency record keeps and a cache reuses) share them, however
// many apps are built from the schemas. They write fields in the schema's order: Primer's order.
import build from 'fast-json-stringify';
import { EMAIL_FORMAT } from './ajv.ts';

export type Serializer = (value: unknown) => string;

const compiled = new WeakMap<object, Serializer>();
const compiledByContent = new Map<string, Serializer>();
// fast-json-stringify compiles anyOf branches with an Ajv of its own: it needs Kassa's format too.
const OPTIONS = { ajv: { formats: { 'idn-email': EMAIL_FORMAT } } };

/**
 * The serializer of `schema`, compiled on its first call (start-up compiles nothing a process does
 * not answer with; docs/performance.md, "Start-up") and shared by the same object or an equal copy.
 */
export function serializer(schema: object): Serializer {
  const known = compiled.get(schema);
  if (known) return known;
  let serialize: Serializer | undefined;
  const lazy: Serializer = (value) => {
    if (!serialize) {
      const key = JSON.stringify(schema);
      serialize = compiledByContent.get(key);
      if (!serialize) {
        serialize = build(schema as Parameters<typeof build>[0], OPTIONS as Parameters<typeof build>[1]) as Serializer;
        compiledByContent.set(key, serialize);
      }
    }
    return serialize(value);
  };
  compiled.set(schema, lazy);
  return lazy;
}
