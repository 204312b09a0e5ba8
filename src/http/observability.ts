// Per-request metrics, storage time in Server-Timing, and GET /metrics in Prometheus's text format.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Metrics } from '../metrics.ts';
import { storageTiming, type StorageTiming } from '../storage/instrumented.ts';

const timings = new WeakMap<FastifyRequest, StorageTiming>();

export function installObservability(app: FastifyInstance, metrics: Metrics): void {
  // run() with the callback hook form: every later hook and the handler run inside this request's
  // context, so the instrumented store adds its time to this request alone.
  app.addHook('onRequest', (request, _reply, done) => {
    const timing: StorageTiming = { ms: 0 };
    timings.set(request, timing);
    storageTiming.run(timing, done);
  });
  // Callback forms: these run on every request and need no promise.
  app.addHook('onSend', (request, reply, payload, done) => {
    const ms = timings.get(request)?.ms ?? 0;
    reply.header('Server-Timing', `storage;dur=${ms.toFixed(3)};desc="Time in storage"`);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
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
