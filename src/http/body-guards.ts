// Checks that run before schema validation, because their answer is not a 422
// (decisions.md, errors): wrong content type, a body that is not an object, an empty metadata key.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** preValidation hook for routes that take a JSON body. */
export async function jsonObjectBody(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const type = request.headers['content-type'];
  if (!type || !/^application\/json\s*(;|$)/i.test(type)) throw new ApiError('UnsupportedMediaType');
  if (!isPlainObject(request.body)) throw new ApiError('InvalidRequestBody', { detail: 'The request body must be a JSON object.' });
  const metadata = request.body.metadata;
  if (isPlainObject(metadata) && Object.hasOwn(metadata, '')) throw new ApiError('MetadataContainsEmptyKey');
}
