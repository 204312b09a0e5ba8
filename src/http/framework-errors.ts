// The answers Fastify and Node give on their own, before any route runs: a path part the router will
// not take (414), a path it cannot decode (400), a request the HTTP parser rejects (400, 431) or that
// did not arrive in time (408). Each is Primer's envelope with a diagnosticsId (sent as X-Request-Id),
// gets one log line and is counted, like every other answer. The raw request bytes are never logged:
// they hold API keys and client tokens.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { KassaError, type ErrorId } from '../errors.ts';
import type { Metrics } from '../lib/metrics.ts';
import { envelope, sendError } from './envelope.ts';

const ROUTER_ERRORS: Record<string, ErrorId> = {
  FST_ERR_MAX_PARAM_LENGTH: 'UriTooLong',
  FST_ERR_BAD_URL: 'BadRequest',
};

/** Node's HTTP parser and timers, by error code. */
function clientErrorId(code: string | undefined): ErrorId {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'RequestTimeout';
  if (code === 'HPE_HEADER_OVERFLOW') return 'RequestHeaderFieldsTooLarge';
  return 'BadRequest';
}

export function frameworkErrorOptions(
  logger: Logger,
  metrics: Metrics,
): Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> {
  const record = (fields: { method: string; status: number; requestId: string; code?: string }, seconds: number) => {
    metrics.observeRequest({ method: fields.method, route: 'unmatched', status: fields.status }, seconds);
    logger.info({ ...fields, route: 'unmatched', durationMs: Math.round(seconds * 100_000) / 100 }, 'request');
  };
  return {
    frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
      const kassaError = new KassaError(ROUTER_ERRORS[error.code] ?? 'BadRequest');
      reply.header('X-Request-Id', request.id);
      sendError(reply, kassaError, request.id);
      record({ method: request.method, status: kassaError.status, requestId: request.id, code: error.code }, reply.elapsedTime / 1000);
    },
    clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
      // A connection reset or closed by the client has no one left to answer.
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      const requestId = randomUUID();
      const kassaError = new KassaError(clientErrorId(error.code));
      const body = JSON.stringify(envelope(kassaError, requestId));
      socket.end(
        `HTTP/1.1 ${kassaError.status} ${STATUS_CODES[kassaError.status]}\r\n` +
          'Content-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          `X-Request-Id: ${requestId}\r\n` +
          'Connection: close\r\n\r\n' +
          body,
      );
      record({ method: 'UNKNOWN', status: kassaError.status, requestId, ...(error.code ? { code: error.code } : {}) }, 0);
    },
  };
}
