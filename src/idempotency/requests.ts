// The idempotency step of the pipeline, for every route that takes keys, with one header rule and the
// route's policy (policy.ts). Only requests that send a key pay for it: after authentication, body
// parsing and schema validation, the key is claimed; the service that makes the change records its
// outcome in the same unit of work (Context.idempotency); a request that fails lets go of its claim
// before its answer is sent, so a retry runs again. `replay` is the one place a stored answer is sent back.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { validationError } from '../errors.ts';
import type { IdempotencyPolicy } from './policy.ts';
import { requestFingerprint, type IdempotencyService, type IdempotencyTicket, type StoredReply } from './service.ts';

/** Primer's name first; Idempotency-Key (the IETF draft's) is taken too. */
export const IDEMPOTENCY_HEADERS = ['x-idempotency-key', 'idempotency-key'] as const;
/** Primer's header is any string; Kassa bounds it to 255 characters (docs/api.md, "Idempotency"). */
const MAX_KEY_LENGTH = 255;

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyTicket?: IdempotencyTicket;
  }
}

/**
 * The idempotency key of a request, undefined when none was sent; the one rule for every route: 1 to
 * 255 characters, in X-Idempotency-Key or Idempotency-Key (the same value if both). Else a 422.
 */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const { headers } = request;
  const primer = headers['x-idempotency-key'];
  const draft = headers['idempotency-key'];
  if (primer === undefined && draft === undefined) return undefined;
  const values = [primer, draft].flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));
  const key = values[0]!;
  if (values.some((v) => v !== key) || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw validationError('RequestHeaders', [
      {
        path: 'X-Idempotency-Key',
        description: `Send one idempotency key of 1 to ${MAX_KEY_LENGTH} characters (X-Idempotency-Key or Idempotency-Key, not two different ones)`,
      },
    ]);
  }
  return key;
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

const succeeded = (reply: FastifyReply) => reply.statusCode >= 200 && reply.statusCode < 300;

/** The pipeline step (preHandler, onSend and onResponse) of the routes that take idempotency keys. */
export function idempotencySteps(service: IdempotencyService, onReplay: () => void) {
  /** Lets go of a failed request's claim (once); a release that fails only leaves the claim to lapse. */
  const release = async (request: FastifyRequest): Promise<void> => {
    const ticket = request.idempotencyTicket;
    if (!ticket) return;
    request.idempotencyTicket = undefined;
    try {
      await service.release(ticket);
    } catch (err) {
      request.log.warn({ err, requestId: request.id }, 'could not release an idempotency key; it lapses on its own');
    }
  };
  return {
    /** The step of a route with `policy`. */
    claim(policy: IdempotencyPolicy) {
      return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
        const key = idempotencyKeyOf(request);
        const ctx = request.ctx;
        if (key === undefined || !ctx?.merchantId) return;
        const ifMatch = request.headers['if-match'];
        const route = request.routeOptions.url ?? request.url;
        const outcome = await service.begin({
          merchantId: ctx.merchantId,
          key,
          policy,
          paymentId: (request.params as { id?: string } | undefined)?.id,
          apiVersion: ctx.apiVersion,
          fingerprint:
            policy.repeat === 'replay'
              ? requestFingerprint(request.method, route, ctx.apiVersion, request.body, typeof ifMatch === 'string' ? ifMatch : '')
              : '',
        });
        if (outcome.state === 'replay') {
          onReplay();
          replay(reply, outcome.reply);
          return;
        }
        const ticket = outcome.ticket;
        request.idempotencyTicket = ticket;
        ctx.idempotency = {
          key,
          record(uow, outcome) {
            if ('paymentId' in outcome) {
              service.completeRefusing(uow, ticket, outcome);
              return;
            }
            const headers: Record<string, string> = { ...outcome.headers, 'x-api-version': ctx.apiVersion };
            service.complete(uow, ticket, {
              statusCode: 200,
              headers,
              body: outcome.body,
              ...(outcome.validUntil !== undefined ? { validUntil: outcome.validUntil } : {}),
            });
          },
        };
      };
    },
    // Nothing to do after a success: the outcome was committed with the change. A failure lets go of
    // the key before its answer goes out, so a client retrying at once finds the key free. (A callback,
    // not an async hook: most answers pass here without a promise.)
    releaseOnFailure(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
      if (!request.idempotencyTicket || succeeded(reply)) {
        done(null, payload);
        return;
      }
      release(request).then(() => done(null, payload));
    },
    // An answer that never got as far as being sent must not hold the key until the claim lapses
    // either. A client that goes away mid-request is no reason to let go: the handler still completes.
    afterResponse(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
      if (!request.idempotencyTicket || succeeded(reply)) {
        done();
        return;
      }
      release(request).then(done, done);
    },
  };
}
