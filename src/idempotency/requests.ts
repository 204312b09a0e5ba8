// Idempotency keys on requests. Only routes that take them run this step, and only requests that
// send the header pay for it: after authentication, body parsing and schema validation, the key is
// claimed; the service that makes the change records its answer in the same unit of work
// (Context.idempotency); a request that fails lets go of its claim so a retry runs again.
// `replay` is the one place a stored answer is sent back.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { validationError } from '../errors.ts';
import { requestFingerprint, type IdempotencyService, type IdempotencyTicket, type StoredReply } from './service.ts';

export const IDEMPOTENCY_HEADERS = ['x-idempotency-key', 'idempotency-key'] as const;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyTicket?: IdempotencyTicket;
  }
}

/** The idempotency key of a request, undefined when none was sent; a malformed key is a 422. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const { headers } = request;
  if (headers['x-idempotency-key'] === undefined && headers['idempotency-key'] === undefined) return undefined;
  const values = IDEMPOTENCY_HEADERS.flatMap((name) => {
    const v = headers[name];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  });
  const distinct = [...new Set(values)];
  if (distinct.length > 1 || !KEY_PATTERN.test(distinct[0]!)) {
    throw validationError('RequestHeaders', [
      {
        path: 'X-Idempotency-Key',
        description:
          'Send one idempotency key of 1 to 255 visible ASCII characters (X-Idempotency-Key or Idempotency-Key, not two different ones)',
      },
    ]);
  }
  return distinct[0];
}

/** Sends a stored answer again. */
function replay(reply: FastifyReply, stored: StoredReply): FastifyReply {
  return reply
    .code(stored.statusCode)
    .headers(stored.headers)
    .header('Idempotent-Replayed', 'true')
    .type('application/json; charset=utf-8')
    .send(stored.body);
}

/** The pipeline step (preHandler and onResponse) of the routes that honour idempotency keys. */
export function idempotencySteps(service: IdempotencyService, onReplay: () => void) {
  return {
    async claim(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      const key = idempotencyKeyOf(request);
      const ctx = request.ctx;
      if (key === undefined || !ctx?.merchantId) return;
      const ifMatch = request.headers['if-match'];
      const fingerprint = requestFingerprint(
        request.method,
        request.routeOptions.url ?? request.url,
        ctx.apiVersion,
        request.body,
        typeof ifMatch === 'string' ? ifMatch : '',
      );
      const outcome = await service.begin(ctx.merchantId, key, fingerprint);
      if (outcome.state === 'replay') {
        onReplay();
        replay(reply, outcome.reply);
        return;
      }
      const ticket = outcome.ticket;
      request.idempotencyTicket = ticket;
      ctx.idempotency = {
        key,
        record(uow, answer) {
          const headers: Record<string, string> = { ...answer.headers, 'x-api-version': ctx.apiVersion };
          service.complete(uow, ticket, {
            statusCode: 200,
            headers,
            body: answer.body,
            ...(answer.validUntil !== undefined ? { validUntil: answer.validUntil } : {}),
          });
        },
      };
    },
    // Nothing to do after a success: the answer was committed with the change. A failure (or a
    // response that never got that far) must not hold the key until the claim lapses. A client that
    // goes away mid-request is no reason to let go: the handler still runs and completes.
    release(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
      const ticket = request.idempotencyTicket;
      if (!ticket || reply.statusCode === 200) {
        done();
        return;
      }
      request.idempotencyTicket = undefined;
      service.release(ticket).then(
        () => done(),
        (err: unknown) => {
          request.log.warn({ err, requestId: request.id }, 'could not release an idempotency key; it lapses on its own');
          done();
        },
      );
    },
  };
}
