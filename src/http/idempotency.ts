// Idempotency keys over HTTP (issue 5). Routes opt in with `config.idempotent`. After auth, body
// parsing and schema validation, the key is claimed (preHandler); the 200 response is stored as it
// goes out (onSend, before any byte is written); any other outcome releases the key so a retry runs
// again. `replay` is the one place a stored response is sent back.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestFingerprint, type IdempotencyService, type IdempotencyTicket, type StoredReply } from '../idempotency/service.ts';
import { validationError } from './errors.ts';

export const IDEMPOTENCY_HEADERS = ['x-idempotency-key', 'idempotency-key'] as const;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** Response headers kept with a stored response (besides the body and status). */
const KEPT_HEADERS = ['etag', 'x-api-version'] as const;

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyTicket?: IdempotencyTicket;
  }
  interface FastifyContextConfig {
    /** Whether the route honours X-Idempotency-Key. */
    idempotent?: boolean;
  }
}

/** The idempotency key of a request, undefined when none was sent; a malformed key is a 422. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const values = IDEMPOTENCY_HEADERS.flatMap((name) => {
    const v = request.headers[name];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  });
  if (values.length === 0) return undefined;
  const distinct = [...new Set(values)];
  if (distinct.length > 1 || !KEY_PATTERN.test(distinct[0]!)) {
    throw validationError('RequestHeaders', [
      {
        path: 'X-Idempotency-Key',
        description: 'Send one idempotency key of 1 to 255 visible ASCII characters (X-Idempotency-Key or Idempotency-Key, not two different ones)',
      },
    ]);
  }
  return distinct[0];
}

/** Sends a stored response again. */
function replay(reply: FastifyReply, stored: StoredReply): FastifyReply {
  return reply
    .code(stored.statusCode)
    .headers(stored.headers)
    .header('Idempotent-Replayed', 'true')
    .type('application/json; charset=utf-8')
    .send(stored.body);
}

export function installIdempotency(
  app: FastifyInstance,
  service: IdempotencyService,
  /** Told of every replayed response (the kassa_idempotent_replays_total counter). */
  onReplay: () => void = () => {},
): void {
  const begin = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.principal) return;
    const key = idempotencyKeyOf(request);
    if (key === undefined) return;
    const ifMatch = request.headers['if-match'];
    const fingerprint = requestFingerprint(
      request.method,
      request.routeOptions.url ?? request.url,
      request.apiVersion,
      request.body,
      typeof ifMatch === 'string' ? ifMatch : '',
    );
    const outcome = await service.begin(request.principal.merchantId, key, fingerprint);
    if (outcome.state === 'replay') {
      onReplay();
      return replay(reply, outcome.reply);
    }
    request.idempotencyTicket = outcome.ticket;
  };

  const store = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const ticket = request.idempotencyTicket;
    if (!ticket) return payload;
    request.idempotencyTicket = undefined;
    if (reply.statusCode === 200 && typeof payload === 'string') {
      const headers: Record<string, string> = {};
      for (const name of KEPT_HEADERS) {
        const value = reply.getHeader(name);
        if (typeof value === 'string') headers[name] = value;
      }
      await service.complete(ticket, { statusCode: 200, headers, body: payload });
    } else {
      await service.release(ticket);
    }
    return payload;
  };

  // A response that never went through onSend must not hold its key until the lock expires. (A client
  // that goes away mid-request is not a reason to release: the handler still runs and completes.)
  const release = async (request: FastifyRequest) => {
    const ticket = request.idempotencyTicket;
    if (!ticket) return;
    request.idempotencyTicket = undefined;
    await service.release(ticket);
  };

  // Only routes with `config.idempotent` get these hooks, decided once as each route is registered;
  // the others pay nothing per request. Route hooks run after the global ones of the same kind, as
  // these did when they were global and added last.
  app.addHook('onRoute', (route) => {
    if (!(route.config as { idempotent?: boolean } | undefined)?.idempotent) return;
    route.preHandler = [...asArray(route.preHandler), begin];
    route.onSend = [...asArray(route.onSend), store];
    route.onResponse = [...asArray(route.onResponse), release];
  });
}

function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
