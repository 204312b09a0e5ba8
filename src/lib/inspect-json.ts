// One walk over a parsed JSON value, guided by its schema, doing two jobs at once:
// - the hostile-input guards: NUL characters, unpaired surrogates, numbers outside the safe range,
//   oversized strings, arrays, objects and keys, prototype keys and deep nesting, anywhere
//   (free-form objects such as extraMerchantData included);
// - unknown nested fields (where the schema leaves objects open) are removed and their paths kept,
//   for the UNKNOWN_FIELD_IGNORED warnings.
// Pure apart from removing those fields from the value it is given.
import { KassaError, type FieldError } from '../errors.ts';
import { jsonPath } from './json-path.ts';

/** Deepest nesting of objects and arrays a body may have. */
export const MAX_JSON_DEPTH = 32;
/** Bounds that hold everywhere in a body; the schemas set tighter ones on the fields they know. */
export const JSON_LIMITS = { arrayItems: 1000, objectKeys: 1000, keyLength: 255, stringLength: 16_384 } as const;
/** Keys that mean something to JavaScript objects; refused anywhere in a body. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** At most this many problems are listed; the rest are counted. */
export const MAX_REPORTED = 50;

interface SchemaNode {
  type?: string | string[];
  title?: string;
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shortKey = (key: string) => (key.length > 64 ? `${key.slice(0, 64)}…` : key);
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export interface Inspection {
  problems: FieldError[];
  /** Problems past MAX_REPORTED, not listed. */
  unreported: number;
  /** Paths of the unknown fields removed. */
  ignored: string[];
  /** Keys of every object in the value, counted (to detect duplicate keys in the text). */
  keys: number;
  /** Whether `metadata` has an empty key (a 400 of its own). */
  emptyMetadataKey: boolean;
}

/**
 * The one walk over a parsed body (see the top of this file). `escapes`: whether the text had `\u`
 * escapes at all: NUL characters and unpaired surrogates can only come from those, so strings are
 * searched for them only then. Throws for a forbidden key or nesting past MAX_JSON_DEPTH (a 400).
 */
export function inspectBody(value: unknown, schema: object | undefined, escapes: boolean): Inspection {
  const out: Inspection = { problems: [], unreported: 0, ignored: [], keys: 0, emptyMetadataKey: false };
  // One path array, pushed and popped: it is only read when something is reported.
  const path: (string | number)[] = [];
  const report = (description: string, at: (string | number)[] = path) => {
    if (out.problems.length < MAX_REPORTED) out.problems.push({ path: jsonPath(at), description });
    else out.unreported++;
  };
  const checkText = (s: string, what: string, at?: (string | number)[]) => {
    if (s.includes('\u0000')) report(`${what} must not contain NUL characters`, at);
    if (LONE_SURROGATE.test(s)) report(`${what} must be valid Unicode (it holds an unpaired surrogate)`, at);
  };
  const walk = (node: unknown, schema: SchemaNode | undefined, depth: number): void => {
    if (typeof node === 'string') {
      if (node.length > JSON_LIMITS.stringLength) report(`Ensure this value has at most ${JSON_LIMITS.stringLength} characters`);
      if (escapes) checkText(node, 'Value');
      return;
    }
    if (typeof node === 'number') {
      if (!Number.isFinite(node) || Math.abs(node) > Number.MAX_SAFE_INTEGER) {
        report('Number is outside the range Kassa keeps exactly (JavaScript safe integers, ±(2^53-1))');
      }
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    if (depth >= MAX_JSON_DEPTH) {
      throw new KassaError('InvalidRequestBody', { detail: `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.` });
    }
    // A nullable field: walk the value's own branch.
    if (schema?.anyOf) schema = schema.anyOf.find((s) => s.type !== 'null');
    if (Array.isArray(node)) {
      if (node.length > JSON_LIMITS.arrayItems) {
        report(`Ensure this array has at most ${JSON_LIMITS.arrayItems} items`);
        return;
      }
      const items = schema?.items;
      for (let i = 0; i < node.length; i++) {
        path.push(i);
        walk(node[i], items, depth + 1);
        path.pop();
      }
      return;
    }
    const object = node as Record<string, unknown>;
    const keys = Object.keys(object);
    out.keys += keys.length;
    if (keys.length > JSON_LIMITS.objectKeys) {
      report(`Ensure this object has at most ${JSON_LIMITS.objectKeys} keys`);
      return;
    }
    const props = schema?.properties;
    const pattern = schema?.patternProperties ? Object.values(schema.patternProperties)[0] : undefined;
    const additional = schema?.additionalProperties;
    // Fields the schema does not name are removed where it leaves the object open; where it closes
    // it (additionalProperties: false) Ajv reports them; free-form objects keep everything.
    const open = schema !== undefined && props !== undefined && additional === undefined;
    for (const key of keys) {
      if (FORBIDDEN_KEYS.has(key)) {
        throw new KassaError('InvalidRequestBody', { detail: `The key "${key}" is not permitted (at ${jsonPath(path)}).` });
      }
      path.push(shortKey(key));
      if (key.length > JSON_LIMITS.keyLength) report(`Key must have at most ${JSON_LIMITS.keyLength} characters`);
      if (escapes) checkText(key, 'Key');
      const child = props?.[key] ?? pattern ?? (typeof additional === 'object' ? additional : undefined);
      if (child === undefined && open) {
        out.ignored.push(jsonPath(path));
        // Still guarded (it was sent), then dropped.
        walk(object[key], undefined, depth + 1);
        delete object[key];
      } else {
        walk(object[key], child, depth + 1);
      }
      path.pop();
    }
  };
  walk(value, schema as SchemaNode | undefined, 0);
  if (isObject(value) && isObject(value.metadata) && Object.hasOwn(value.metadata, '')) out.emptyMetadataKey = true;
  return out;
}

/** Keys in JSON text: a quote, optional spaces, a colon. Inside strings only `\":` matches, so this never undercounts. */
export const KEY_ENDS = /"\s*:/g;

/**
 * The path of the first key an object of `text` names twice (`text` is valid JSON), or undefined.
 * Only run when the quick count says there may be one.
 */
export function duplicateKeyPath(text: string): string | undefined {
  type Frame = { keys: Set<string> | undefined; at: string | number | undefined; index: number };
  const stack: Frame[] = [];
  const path = () => stack.slice(0, -1).map((f) => f.at!);
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (expectKey && top?.keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return jsonPath([...path(), key]);
        top.keys.add(key);
        top.at = key;
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      const parent = stack.at(-1);
      if (parent && !parent.keys) parent.at = parent.index;
      stack.push({ keys: c === '{' ? new Set() : undefined, at: undefined, index: 0 });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.keys) expectKey = true;
      else if (top) top.index++;
    }
  }
  return undefined;
}
