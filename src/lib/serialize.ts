// Compiled JSON serializers (fast-json-stringify), one per response schema for the whole process:
// Fastify's routes and the services that answer with a ready string (so a response is serialized once
// and that same string is what an idempotency record keeps and a cache reuses) share them, however
// many apps are built from the schemas. They write fields in the schema's order: Primer's order.
import build from 'fast-json-stringify';
import { EMAIL_FORMAT } from './ajv.ts';

export type Serializer = (value: unknown) => string;

const compiled = new WeakMap<object, Serializer>();
// fast-json-stringify compiles anyOf branches with an Ajv of its own: it needs Kassa's format too.
const OPTIONS = { ajv: { formats: { 'idn-email': EMAIL_FORMAT } } };

export function serializer(schema: object): Serializer {
  let serialize = compiled.get(schema);
  if (!serialize) {
    serialize = build(schema as Parameters<typeof build>[0], OPTIONS as Parameters<typeof build>[1]) as Serializer;
    compiled.set(schema, serialize);
  }
  return serialize;
}
