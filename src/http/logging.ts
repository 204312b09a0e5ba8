// Structured JSON logs with secrets kept out (conventions habit 8): no headers, no bodies, and the
// query string (which carries clientToken on GET /client-session) is never written.
import type { FastifyInstance } from 'fastify';
import type { LoggerOptions } from 'pino';

export const REDACTED_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers["primer-client-token"]',
  'req.headers.authorization',
  'headers["x-api-key"]',
  'clientToken',
  'accessToken',
  'secret',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({ method: req.method, path: req.url.split('?')[0], id: req.id }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

const QUIET_LEVELS = new Set(['warn', 'error', 'fatal', 'silent']);

/** One line per request: method, route, status, duration, merchant, request id. */
export function installRequestLog(app: FastifyInstance): void {
  // Callback form: it runs on every request and needs no promise.
  app.addHook('onResponse', (request, reply, done) => {
    // Below info (LOG_LEVEL=warn), skip building a line nobody writes.
    if (QUIET_LEVELS.has(request.log.level)) return done();
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        merchantId: request.principal?.merchantId,
        requestId: request.id,
      },
      'request',
    );
    done();
  });
}
