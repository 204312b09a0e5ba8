// Unknown nested fields are accepted, not stored, and reported (decisions.md, values: "so nothing
// vanishes silently"). Walks a validated value along its TypeBox/JSON schema; pure.
import { jsonPath } from '../json-path.ts';

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function walk(schema: SchemaNode, value: unknown, path: (string | number)[], ignored: string[]): unknown {
  if (schema.anyOf) {
    if (value === null) return value;
    const branch = schema.anyOf.find((s) => s.type !== 'null');
    return branch ? walk(branch, value, path, ignored) : value;
  }
  if (Array.isArray(value)) {
    return schema.items ? value.map((item, i) => walk(schema.items!, item, [...path, i], ignored)) : value;
  }
  if (!isPlainObject(value)) return value;
  const props = schema.properties;
  const patterns = schema.patternProperties ? Object.values(schema.patternProperties) : [];
  const additional = schema.additionalProperties;
  // A free-form object (metadata, extraMerchantData) keeps whatever it holds.
  if (!props && patterns.length === 0 && (additional === undefined || additional === true)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childSchema = props?.[key] ?? patterns[0] ?? (typeof additional === 'object' ? additional : undefined);
    if (childSchema) out[key] = walk(childSchema, child, [...path, key], ignored);
    else if (additional === true) out[key] = child;
    else ignored.push(jsonPath([...path, key]));
  }
  return out;
}

/** The value without fields its schema does not name, and the JSON paths of those fields. */
export function stripUnknownFields<T>(schema: object, value: T): { value: T; ignored: string[] } {
  const ignored: string[] = [];
  const stripped = walk(schema as SchemaNode, value, [], ignored) as T;
  return { value: stripped, ignored };
}
