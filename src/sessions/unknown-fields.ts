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

// `path` is one array pushed and popped along the walk (not copied at every node): it is only read
// when an unknown field is found, which is rare.
function walk(schema: SchemaNode, value: unknown, path: (string | number)[], ignored: string[]): unknown {
  if (schema.anyOf) {
    if (value === null) return value;
    const branch = schema.anyOf.find((s) => s.type !== 'null');
    return branch ? walk(branch, value, path, ignored) : value;
  }
  if (Array.isArray(value)) {
    if (!schema.items) return value;
    const items = schema.items;
    return value.map((item, i) => {
      path.push(i);
      const out = walk(items, item, path, ignored);
      path.pop();
      return out;
    });
  }
  if (!isPlainObject(value)) return value;
  const props = schema.properties;
  const pattern = schema.patternProperties ? Object.values(schema.patternProperties)[0] : undefined;
  const additional = schema.additionalProperties;
  // A free-form object (metadata, extraMerchantData) keeps whatever it holds.
  if (!props && pattern === undefined && (additional === undefined || additional === true)) return value;
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const child = value[key];
    const childSchema = props?.[key] ?? pattern ?? (typeof additional === 'object' ? additional : undefined);
    path.push(key);
    if (childSchema) out[key] = walk(childSchema, child, path, ignored);
    else if (additional === true) out[key] = child;
    else ignored.push(jsonPath(path));
    path.pop();
  }
  return out;
}

/** The value without fields its schema does not name, and the JSON paths of those fields. */
export function stripUnknownFields<T>(schema: object, value: T): { value: T; ignored: string[] } {
  const ignored: string[] = [];
  const stripped = walk(schema as SchemaNode, value, [], ignored) as T;
  return { value: stripped, ignored };
}
