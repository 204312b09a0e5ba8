// Checks that run before schema validation, because their answer is not a 422
// (decisions.md, errors): wrong content type, a body that is not an object, an empty metadata key;
// and the hostile-input guards of issue 5: invalid UTF-8, deep nesting, prototype keys, NUL
// characters, numbers outside the safe range, and oversized strings, arrays and objects anywhere
// (free-form objects such as extraMerchantData included).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jsonPath } from '../json-path.ts';
import { ApiError, validationError, type FieldError } from './errors.ts';

/** Deepest nesting of objects and arrays a body may have. */
export const MAX_JSON_DEPTH = 32;
/** Bounds that hold everywhere in a body; the schemas set tighter ones on the fields they know. */
export const JSON_LIMITS = { arrayItems: 1000, objectKeys: 1000, keyLength: 255, stringLength: 16_384 } as const;
/** Keys that mean something to JavaScript objects; refused anywhere in a body. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_REPORTED = 50;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Nesting depth of JSON text, without parsing it (so a deep body cannot exhaust the stack). */
export function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/**
 * Replaces Fastify's JSON parser with one that refuses invalid UTF-8 (Fastify would decode it with
 * replacement characters and store something the client never sent) and deep nesting, and keeps
 * Fastify's body limit and prototype-poisoning protection.
 */
export function installJsonParser(app: FastifyInstance): void {
  const secureParse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new ApiError('InvalidRequestBody', { detail: 'The request body is not valid UTF-8.' }), undefined);
      return;
    }
    if (exceedsDepth(text, MAX_JSON_DEPTH)) {
      done(new ApiError('InvalidRequestBody', { detail: `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.` }), undefined);
      return;
    }
    secureParse(request, text, done);
  });
}

const shortKey = (key: string) => (key.length > 64 ? `${key.slice(0, 64)}…` : key);
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Problems anywhere in a parsed body; throws for a forbidden key (a 400 like `__proto__`). */
export function hostileValueErrors(value: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const report = (path: (string | number)[], description: string) => {
    if (errors.length < MAX_REPORTED) errors.push({ path: jsonPath(path), description });
  };
  const checkString = (s: string, path: (string | number)[], what: string) => {
    if (s.includes('\u0000')) report(path, `${what} must not contain NUL characters`);
    if (LONE_SURROGATE.test(s)) report(path, `${what} must be valid Unicode (it holds an unpaired surrogate)`);
  };
  const walk = (node: unknown, path: (string | number)[]) => {
    if (typeof node === 'string') {
      checkString(node, path, 'Value');
      if (node.length > JSON_LIMITS.stringLength) report(path, `Ensure this value has at most ${JSON_LIMITS.stringLength} characters`);
    } else if (typeof node === 'number') {
      if (!Number.isFinite(node) || Math.abs(node) > Number.MAX_SAFE_INTEGER) {
        report(path, 'Number is outside the range Kassa keeps exactly (JavaScript safe integers, ±(2^53-1))');
      }
    } else if (Array.isArray(node)) {
      if (node.length > JSON_LIMITS.arrayItems) report(path, `Ensure this array has at most ${JSON_LIMITS.arrayItems} items`);
      else node.forEach((item, i) => walk(item, [...path, i]));
    } else if (isPlainObject(node)) {
      const keys = Object.keys(node);
      if (keys.length > JSON_LIMITS.objectKeys) {
        report(path, `Ensure this object has at most ${JSON_LIMITS.objectKeys} keys`);
        return;
      }
      for (const key of keys) {
        const at = [...path, shortKey(key)];
        if (FORBIDDEN_KEYS.has(key)) {
          throw new ApiError('InvalidRequestBody', { detail: `The key "${key}" is not permitted (at ${jsonPath(path)}).` });
        }
        checkString(key, at, 'Key');
        if (key.length > JSON_LIMITS.keyLength) report(at, `Key must have at most ${JSON_LIMITS.keyLength} characters`);
        walk(node[key], at);
      }
    }
  };
  walk(value, []);
  return errors;
}

/** preValidation hook for routes that take a JSON body. */
export async function jsonObjectBody(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const type = request.headers['content-type'];
  if (!type || !/^application\/json\s*(;|$)/i.test(type)) throw new ApiError('UnsupportedMediaType');
  if (!isPlainObject(request.body)) throw new ApiError('InvalidRequestBody', { detail: 'The request body must be a JSON object.' });
  const problems = hostileValueErrors(request.body);
  if (problems.length > 0) {
    const model = (request.routeOptions.schema?.body as { title?: string } | undefined)?.title ?? 'body';
    throw validationError(model, problems);
  }
  const metadata = request.body.metadata;
  if (isPlainObject(metadata) && Object.hasOwn(metadata, '')) throw new ApiError('MetadataContainsEmptyKey');
}
