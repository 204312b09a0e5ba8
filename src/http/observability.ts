// What every request leaves behind: X-Request-Id and Server-Timing on the response, one log line, and
// the request metrics; and GET /metrics in Prometheus's text format. Two hooks for all of it, both in
// callback form (no promise per request). Logs never hold headers, bodies or query strings: they
// carry secrets (API keys, client tokens) and personal data.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';
import { Type } from 'typebox';
import type { Metrics } from '../lib/metrics.ts';

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
      // A path can carry what a client should not have sent there (a whole card number as a BIN): long digit runs are cut.
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        path: req.url.split('?')[0]!.replace(/\d{9,}/g, '[redacted]'),
        id: req.id,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

const QUIET_LEVELS = new Set(['warn', 'error', 'fatal', 'silent']);

const storageMs = (request: FastifyRequest) => request.ctx?.timing?.storageMs ?? 0;

export function installObservability(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('X-Request-Id', request.id);
    reply.header('Server-Timing', `storage;dur=${storageMs(request).toFixed(3)};desc="Time in storage"`);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeRequest({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
    // Below info (LOG_LEVEL=warn), no line is built that nobody writes.
    if (!QUIET_LEVELS.has(request.log.level)) {
      request.log.info(
        {
          method: request.method,
          route,
          status: reply.statusCode,
          durationMs: Math.round(reply.elapsedTime * 100) / 100,
          merchantId: request.ctx?.merchantId,
          requestId: request.id,
        },
        'request',
      );
    }
    done();
  });
}

export function metricsRoute(metrics: Metrics) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Metrics in Prometheus text format',
          tags: ['Operations'],
          response: {
            200: {
              description: 'Prometheus exposition format 0.0.4',
              content: { 'text/plain': { schema: Type.String() } },
            },
          },
        },
      },
      async (_request, reply) => {
        const body = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(body);
      },
    );
  };
}
