// JSON request bodies, read once. The parser refuses what must never reach a handler (invalid UTF-8,
// a body that is not an object, duplicate keys), then one walk of the parsed value (lib/inspect-json.ts)
// guards it and removes unknown nested fields; Ajv then validates the result against the route's body
// schema (compiled code, no walk of ours). A guard's problems are reported on their own, before
// schema validation (docs/api.md, "Hostile input").
import { isUtf8 } from 'node:buffer';
import { Transform } from 'node:stream';
import { errorCodes, type FastifyInstance, type FastifyRequest, type preParsingHookHandler } from 'fastify';
import { KassaError, validationError, type FieldError } from '../errors.ts';
import { duplicateKeyPath, inspectBody, KEY_ENDS } from '../lib/inspect-json.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

declare module 'fastify' {
  interface FastifyRequest {
    /** JSON paths of unknown nested fields removed from the body. */
    ignoredFields?: string[];
    /** This request's body limit when smaller than its route's: an SDK call to a route both audiences share. */
    audienceBodyLimit?: number;
  }
}

/** A JSON body, decoded and parsed: the text must be UTF-8 and name each key of an object once. */
export function parseJson(body: Buffer): { value: unknown; text: string } {
  // Fastify would decode invalid UTF-8 with replacement characters: something the client never sent.
  if (!isUtf8(body)) throw new KassaError('InvalidRequestBody', { detail: 'The request body is not valid UTF-8.' });
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KassaError('InvalidRequestBody');
  }
  return { value, text };
}

/** Parses, guards and trims a body for `schema` (the route's); sets `request.ignoredFields`. */
export function readBody(request: FastifyRequest, body: Buffer): unknown {
  const { value, text } = parseJson(body);
  if (!isObject(value)) throw new KassaError('InvalidRequestBody', { detail: 'The request body must be a JSON object.' });
  const schema = request.routeOptions.schema?.body as { title?: string } | undefined;
  const inspection = inspectBody(value, schema, text.includes('\\u'));
  const model = schema?.title ?? 'body';
  if (inspection.keys < (text.match(KEY_ENDS)?.length ?? 0)) {
    const at = duplicateKeyPath(text);
    if (at) throw validationError(model, [{ path: at, description: 'Duplicate key: an object may name each key once' }]);
  }
  if (inspection.problems.length > 0) throw problemsError(model, inspection.problems, inspection.unreported);
  if (inspection.emptyMetadataKey) throw new KassaError('MetadataContainsEmptyKey');
  request.ignoredFields = inspection.ignored;
  return value;
}

/** A 422 listing at most MAX_REPORTED problems, and saying how many more there were. */
export function problemsError(model: string, problems: FieldError[], unreported: number): KassaError {
  const listed = unreported > 0 ? [...problems, { path: '$', description: `${unreported} more problems were not listed` }] : problems;
  return validationError(model, listed);
}

/**
 * Holds a request to `request.audienceBodyLimit` where one is set (the route's own limit is larger):
 * a declared length past it is refused before any byte is read, a chunked body as it passes it.
 */
export const audienceBodyLimit: preParsingHookHandler = (request, _reply, payload, done) => {
  const limit = request.audienceBodyLimit;
  if (limit === undefined) return done(null, payload);
  const declared = request.headers['content-length'];
  // With a length, Node's parser reads no more than it, and Fastify checks the two agree.
  if (declared !== undefined) return Number(declared) > limit ? done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE()) : done(null, payload);
  let read = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      read += chunk.length;
      if (read > limit) next(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      else next(null, chunk);
    },
  });
  done(null, payload.pipe(capped));
};

/** Replaces Fastify's JSON parser (keeping its body limit) with readBody. */
export function installJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, readBody(request, body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
