// buildApp(deps): plugins, routes, error handling. No I/O of its own (conventions: app/server split).
import type { Ajv } from 'ajv';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { apiVersionHook } from './http/api-version.ts';
import { apiKeyAuth } from './http/auth.ts';
import { installJsonParser } from './http/body-guards.ts';
import { installErrorHandling, type UnavailableCheck } from './http/error-handler.ts';
import { installIdempotency } from './http/idempotency.ts';
import { installRateLimits } from './http/rate-limit.ts';
import { IdempotencyService } from './idempotency/service.ts';
import { installRequestLog } from './http/logging.ts';
import { AJV_OPTIONS, EMAIL_FORMAT } from './http/validation.ts';
import { Merchants } from './merchants/merchants.ts';
import { sessionRoutes } from './sessions/routes.ts';
import { SessionService } from './sessions/service.ts';
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
}

export const BODY_LIMIT = 1024 * 1024;
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
      plugins: [(ajv: Ajv) => ajv.addFormat('email', EMAIL_FORMAT)],
    },
    routerOptions: { ignoreTrailingSlash: true },
  });

  const tokens = new ClientTokens(deps.signingKeys, {
    publicUrl: deps.config.publicUrl,
    env: deps.config.sdkEnv,
    ttlSeconds: deps.config.tokenTtlSeconds,
  }, deps.clock);
  const merchants = new Merchants(deps.store, deps.clock);
  const sessions = new SessionService({
    store: deps.store,
    tokens,
    clock: deps.clock,
    offeredPaymentMethods: () => [],
  });

  installErrorHandling(app, deps.isStorageUnavailable ?? (() => false));
  installRequestLog(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
    if (request.routeOptions.config.versioned) await apiVersionHook(request, reply);
  });

  // Issue 5: hostile input, abuse limits, idempotency keys (in this order: a refused request claims no key).
  installJsonParser(app);
  installRateLimits(app, deps.config.rateLimit, deps.clock);
  installIdempotency(
    app,
    new IdempotencyService({
      store: deps.store.idempotency,
      clock: deps.clock,
      ttlMs: deps.config.idempotencyTtlMs,
      secrets: deps.signingKeys.map((k) => k.secret),
    }),
  );

  app.get('/health', async () => ({ status: 'ok' }));
  await app.register(sessionRoutes(sessions, apiKeyAuth(merchants)));
  return app;
}
