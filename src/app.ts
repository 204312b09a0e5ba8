// buildApp(deps): plugins, routes, error handling. No I/O of its own (conventions: app/server split).
import cors from '@fastify/cors';
import type { Ajv } from 'ajv';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import type { Logger } from 'pino';
import { corsOptions } from './checkout/cors.ts';
import { checkoutRoutes } from './checkout/routes.ts';
import { CheckoutService } from './checkout/service.ts';
import { Type } from 'typebox';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { apiVersionHook } from './http/api-version.ts';
import { apiKeyAuth } from './http/auth.ts';
import { ApiError, errorResponses } from './http/errors.ts';
import { installJsonParser } from './http/body-guards.ts';
import { installErrorHandling, type UnavailableCheck } from './http/error-handler.ts';
import { installIdempotency } from './http/idempotency.ts';
import { installRateLimits } from './http/rate-limit.ts';
import { IdempotencyService } from './idempotency/service.ts';
import { installRequestLog } from './http/logging.ts';
import { installObservability, metricsRoute } from './http/observability.ts';
import { installOpenApi } from './http/openapi.ts';
import { AJV_OPTIONS, EMAIL_FORMAT } from './http/validation.ts';
import { defaultCheckoutConfig, type CheckoutConfig } from './merchants/checkout-config.ts';
import { Merchants } from './merchants/merchants.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { SessionOverview } from './sessions/overview.ts';
import { sessionRoutes } from './sessions/routes.ts';
import { SessionService } from './sessions/service.ts';
import { instrumentStore } from './storage/instrumented.ts';
import type { SigningKey, Store } from './storage/store.ts';
import { ClientTokens } from './tokens/client-token.ts';

export interface AppDeps {
  store: Store;
  clock: Clock;
  config: Config;
  logger: Logger;
  signingKeys: SigningKey[];
  /** Recognises a storage outage in an error, for a 503 instead of a 500. */
  isStorageUnavailable?: UnavailableCheck;
  /** Payment methods and checkout modules the SDKs see; the built-in default when absent. */
  checkout?: CheckoutConfig;
  /** Prometheus metrics; a fresh registry when absent. */
  metrics?: Metrics;
  /** Told of every route as it is registered (tests compare them with the OpenAPI document). */
  onRoute?: (route: RouteOptions) => void;
}

export const BODY_LIMIT = 1024 * 1024;
export const KASSA_VERSION = '0.1.0';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // installRequestLog writes the one line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // A well-formed X-Request-Id is kept; anything else gets a fresh id (it is the diagnosticsId).
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
    requestIdHeader: false,
    ajv: {
      customOptions: { ...AJV_OPTIONS },
      plugins: [(ajv: Ajv) => ajv.addFormat('idn-email', EMAIL_FORMAT)],
    },
    // fast-json-stringify compiles anyOf branches with its own Ajv: it needs Kassa's format too.
    serializerOpts: { ajv: { formats: { 'idn-email': EMAIL_FORMAT } } },
    routerOptions: { ignoreTrailingSlash: true },
  });

  const checkout = deps.checkout ?? defaultCheckoutConfig(deps.config.sdkEnv);
  const offered = checkout.paymentMethods.map((m) => m.type);
  const tokens = new ClientTokens(deps.signingKeys, {
    publicUrl: deps.config.publicUrl,
    // The token's env and the configuration's env must agree.
    env: checkout.env,
    ttlSeconds: deps.config.tokenTtlSeconds,
  }, deps.clock);
  const metrics = deps.metrics ?? createMetrics();
  // Every storage call is timed (metrics, Server-Timing), whatever the engine.
  const store = instrumentStore(deps.store, metrics.observeStorage);
  const merchants = new Merchants(store, deps.clock);
  const offeredPaymentMethods = () => offered;
  const sessions = new SessionService({
    store,
    tokens,
    clock: deps.clock,
    offeredPaymentMethods,
    events: metrics,
  });
  const checkoutService = new CheckoutService({
    store,
    clock: deps.clock,
    tokens,
    sessions,
    checkout,
    publicUrl: deps.config.publicUrl,
  });

  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);
  installErrorHandling(app, deps.isStorageUnavailable ?? (() => false));
  installRequestLog(app);
  installObservability(app, metrics);
  // Before the version hook, so even its 400 is readable by the browser that caused it.
  await app.register(cors, corsOptions(deps.config.corsOrigins));
  // Callback form: a hook on every request should not cost a promise.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    if (!request.routeOptions.config.versioned) return done();
    apiVersionHook(request, reply).then(() => done(), done);
  });

  // Issue 5: hostile input, abuse limits, idempotency keys (in this order: a refused request claims no key).
  installJsonParser(app);
  installRateLimits(app, deps.config.rateLimit, deps.clock, metrics.rateLimited);
  installIdempotency(
    app,
    new IdempotencyService({
      store: store.idempotency,
      clock: deps.clock,
      ttlMs: deps.config.idempotencyTtlMs,
      secrets: deps.signingKeys.map((k) => k.secret),
    }),
    metrics.idempotentReplay,
  );


  // Before every route, so the document sees them all.
  await installOpenApi(app, { version: KASSA_VERSION });
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness',
        tags: ['Operations'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }, { title: 'Health' }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  // Readiness for load balancers: this process can reach its storage (a 503 envelope when not).
  app.get(
    '/health/ready',
    {
      schema: {
        summary: 'Readiness: the storage answers',
        tags: ['Operations'],
        response: {
          200: Type.Object({ status: Type.Literal('ready'), storage: Type.Literal('ok') }, { title: 'Readiness' }),
          ...errorResponses('ServiceUnavailable'),
        },
      },
    },
    async () => {
      if (!(await store.ping())) throw new ApiError('ServiceUnavailable');
      return { status: 'ready' as const, storage: 'ok' as const };
    },
  );
  await app.register(sessionRoutes(sessions, apiKeyAuth(merchants)));
  await app.register(checkoutRoutes(checkoutService));
  await app.register(metricsRoute(metrics));
  await app.register(dashboardRoutes(new SessionOverview(store, deps.clock, offeredPaymentMethods), apiKeyAuth(merchants)));
  return app;
}
