// buildApp(deps): the services, the request pipeline and the routes. No I/O of its own (server.ts
// opens storage and listens); tests build it in process with a fixed clock and a fresh store.
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import type { Logger } from 'pino';
import { Type } from 'typebox';
import { defaultCheckoutConfig, type CheckoutConfig } from './checkout/configuration.ts';
import { checkoutRoutes } from './checkout/routes.ts';
import { CheckoutService } from './checkout/service.ts';
import type { Config } from './config.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { KassaError } from './errors.ts';
import { corsOptions } from './http/cors.ts';
import { errorResponses, installErrorHandling, type UnavailableCheck } from './http/envelope.ts';
import { frameworkErrorOptions } from './http/framework-errors.ts';
import { installJsonBody } from './http/json-body.ts';
import { installObservability, metricsRoute } from './http/observability.ts';
import { installOpenApi } from './http/openapi.ts';
import { createPipeline } from './http/pipeline.ts';
import { RateLimits } from './http/rate-limit.ts';
import { idempotencySteps } from './idempotency/requests.ts';
import { IdempotencyService } from './idempotency/service.ts';
import { compile } from './lib/ajv.ts';
import type { Clock } from './lib/clock.ts';
import { createMetrics, type Metrics } from './lib/metrics.ts';
import { serializer } from './lib/serialize.ts';
import { Merchants } from './merchants/merchants.ts';
import { PaymentOverview } from './payments/overview.ts';
import { startJobRunner, type JobRunner } from './payments/jobs.ts';
import { walletRoutes } from './payments/methods/wallet-routes.ts';
import { paymentSdkRoutes } from './payments/sdk-routes.ts';
import { paymentServerRoutes } from './payments/server-routes.ts';
import { createPaymentService } from './payments/create.ts';
import { klarnaRoutes } from './payments/methods/klarna-routes.ts';
import { payPalPageRoutes, payPalRoutes } from './payments/methods/paypal-routes.ts';
import { redirectPageRoutes } from './payments/methods/redirect-page.ts';
import { threeDSPageRoutes } from './payments/three-ds-page.ts';
import { startDispatcher, type Dispatcher } from './webhooks/dispatcher.ts';
import { webhookRoutes } from './webhooks/routes.ts';
import { createWebhookService } from './webhooks/create.ts';
import type { WebhookService } from './webhooks/service.ts';
import { Sealer } from './lib/seal.ts';
import { MerchantClocks } from './sandbox/clock/merchant-clocks.ts';
import { FaultService } from './sandbox/faults/service.ts';
import { sandboxControls, sandboxRoutes } from './sandbox/routes.ts';
import { SessionAccess } from './sessions/access.ts';
import { SESSION_EXPIRY_POLL_MS, startSessionExpiry, type SessionExpiry } from './sessions/expiry.ts';
import { SessionOverview } from './sessions/overview.ts';
import { sessionRoutes } from './sessions/routes.ts';
import { SessionService } from './sessions/service.ts';
import { StorageHealth } from './storage/health.ts';
import type { Store } from './storage/store.ts';
import { ClientTokens } from './tokens/client-token.ts';
import type { SigningKey } from './tokens/signing-key.store.ts';

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
  /** How often the payments' due jobs (and expired sessions) are looked for (ms); 0: only when paymentJobs.runDue() (sessionExpiry.runDue()) is called. */
  jobPollMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The payments' durable jobs (async steps), run by this process. */
    paymentJobs?: JobRunner;
    /** Sends this process's share of webhook deliveries. */
    webhookDispatcher?: Dispatcher;
    /** Webhook endpoints (server.ts makes KASSA_WEBHOOK_URL's at start-up). */
    webhooks?: WebhookService;
    /** Records CLIENT_SESSION.EXPIRED as sessions expire (sessions/expiry.ts). */
    sessionExpiry: SessionExpiry;
  }
}

export const BODY_LIMIT = 1024 * 1024;
export const KASSA_VERSION = '0.1.0';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const hops =
  (n: number) =>
  (_address: string, hop: number): boolean =>
    hop < n;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const metrics = deps.metrics ?? createMetrics();
  const requestTimeout = deps.config.requestTimeoutMs;
  const app = Fastify({
    // A request, body included, must arrive within the timeout: a body trickled a byte at a time
    // would otherwise hold its connection for ever. Node checks at this interval.
    requestTimeout,
    http: {
      headersTimeout: Math.min(60_000, requestTimeout),
      connectionsCheckingInterval: Math.min(30_000, Math.max(250, requestTimeout / 4)),
    },
    ...frameworkErrorOptions(deps.logger, metrics),
    loggerInstance: deps.logger as FastifyBaseLogger,
    // http/observability.ts writes the one line per request instead of Fastify's two, with the
    // request id in it; so requests log through the app's logger, without a child logger each.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
    bodyLimit: BODY_LIMIT,
    // A well-formed X-Request-Id is kept; anything else gets a fresh id (it is the diagnosticsId).
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
    requestIdHeader: false,
    // A hop count trusts that many proxies nearest to Kassa.
    trustProxy: typeof deps.config.trustProxy === 'number' ? hops(deps.config.trustProxy) : deps.config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
  });
  // Schemas are compiled on first use, once per process whatever the number of apps (lib/ajv.ts, lib/serialize.ts).
  app.setValidatorCompiler(({ schema }) => compile(schema));
  app.setSerializerCompiler(({ schema }) => serializer(schema));

  // Services decide with each merchant's time (its sandbox clock); the pollers and limits keep the system's.
  const clocks = new MerchantClocks(deps.clock);
  await clocks.load(deps.store.sandboxClocks);
  const clock = clocks.now;
  const checkout = deps.checkout ?? defaultCheckoutConfig(deps.config.sdkEnv);
  const offered = checkout.paymentMethods.map((m) => m.type);
  const tokens = new ClientTokens(
    deps.signingKeys,
    // The token's env and the configuration's env must agree.
    { publicUrl: deps.config.publicUrl, env: checkout.env, ttlSeconds: deps.config.tokenTtlSeconds },
    clock,
  );
  const store = deps.store;
  const merchants = new Merchants(store, deps.clock, metrics.apiKeyHashed);
  const offeredPaymentMethods = () => offered;
  // The one place a token's session is found; payments' action tokens name one too (after 3DS).
  const access = new SessionAccess({
    sessions: store.sessions,
    tokens,
    clock,
    clocks,
    ...(deps.config.payments ? { actions: store.payments } : {}),
  });
  const sessions = new SessionService({ store, tokens, access, clock, offeredPaymentMethods, events: metrics });
  const checkoutService = new CheckoutService({ access, sessions, checkout, publicUrl: deps.config.publicUrl });
  const sealer = new Sealer(deps.signingKeys.map((k) => k.secret));
  const idempotency = new IdempotencyService({ store: store.idempotency, clock, ttlMs: deps.config.idempotencyTtlMs, sealer });
  const payments = createPaymentService({
    store,
    clock,
    signingKeys: deps.signingKeys,
    checkout,
    config: deps.config,
    tokens,
    sealer,
  });
  // Faults exist only where the sandbox controls do: production mode pays nothing for them.
  const faults = sandboxControls(deps.config) ? new FaultService({ store, clock: deps.clock, logger: deps.logger, metrics }) : undefined;
  const pipeline = createPipeline({
    merchants,
    observeStorage: metrics.observeStorage,
    rateLimits: new RateLimits(deps.config.rateLimit, deps.clock, metrics.rateLimited),
    clocks,
    idempotency: idempotencySteps(idempotency, metrics.idempotentReplay),
    clientSessions: access,
    ...(faults ? { faults } : {}),
  });

  // What the pipeline puts on a request, declared up front so every request object has one shape
  // (a property added later changes it, and slows every access).
  for (const name of ['ctx', 'principal', 'clientSession', 'ignoredFields', 'idempotencyTicket', 'sandboxFault'] as const)
    app.decorateRequest(name, undefined);

  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);
  if (faults) {
    app.addHook('onRoute', faults.learnRoute);
    app.addHook('onClose', () => faults.close());
  }
  const storageHealth = new StorageHealth(store);
  installErrorHandling(app, deps.isStorageUnavailable ?? (() => false), storageHealth.fault);
  installObservability(app, metrics);
  installJsonBody(app);

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
  // Readiness for load balancers: this process's storage works (a 503 envelope when not; health.ts).
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
      if (!(await storageHealth.ready())) throw new KassaError('ServiceUnavailable');
      return { status: 'ready' as const, storage: 'ok' as const };
    },
  );
  // A browser opening the server's address lands on the dashboard; an API client gets the usual 404.
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    if (!/\btext\/html\b/.test(request.headers.accept ?? '')) throw new KassaError('NotFound');
    return reply.redirect('/dashboard');
  });
  await app.register(sessionRoutes(sessions, pipeline));
  const sessionExpiry = startSessionExpiry(store.sessions, deps.clock, deps.logger, deps.jobPollMs === 0 ? 0 : SESSION_EXPIRY_POLL_MS);
  app.decorate('sessionExpiry', sessionExpiry);
  app.addHook('onClose', () => sessionExpiry.stop());
  const paymentsRoutes = deps.config.payments
    ? { server: paymentServerRoutes(payments, pipeline, sandboxControls(deps.config)), browser: paymentSdkRoutes(payments, pipeline) }
    : undefined;
  if (paymentsRoutes) {
    await app.register(paymentsRoutes.server);
    const jobs = startJobRunner(store.payments, payments, deps.clock, deps.logger, deps.config.authorizationValidityMs, deps.jobPollMs);
    app.decorate('paymentJobs', jobs);
    app.addHook('onClose', () => jobs.stop());
    const webhooks = createWebhookService({
      store,
      clock,
      signingKeys: deps.signingKeys,
      config: deps.config,
      sealer,
      metrics,
      logger: deps.logger,
    });
    await app.register(webhookRoutes(webhooks, store.payments, store.sessions, pipeline));
    const dispatcher = startDispatcher(store.webhooks, webhooks, deps.clock, deps.logger, deps.jobPollMs);
    metrics.watchWebhookBacklog(() => store.webhooks.backlog(), deps.clock);
    app.decorate('webhookDispatcher', dispatcher);
    app.decorate('webhooks', webhooks);
    app.addHook('onClose', () => dispatcher.stop());
  }
  // The routes a browser calls, in a scope of their own: only they answer CORS.
  await app.register(async (browser) => {
    const paths: RegExp[] = [];
    browser.addHook('onRoute', (route) => {
      if (route.method !== 'OPTIONS') paths.push(new RegExp(`^${route.url.replace(/:[^/]+/g, '[^/]+')}/?$`));
    });
    await browser.register(
      cors,
      corsOptions(deps.config.corsOrigins, (path) => paths.some((p) => p.test(path))),
    );
    await browser.register(checkoutRoutes(checkoutService, pipeline));
    if (paymentsRoutes) {
      await browser.register(paymentsRoutes.browser);
      await browser.register(threeDSPageRoutes(payments));
      await browser.register(redirectPageRoutes(payments, pipeline));
      await browser.register(walletRoutes(pipeline));
      await browser.register(klarnaRoutes(payments.klarna, pipeline));
      await browser.register(payPalRoutes(payments.paypal, pipeline));
      await browser.register(payPalPageRoutes(payments.paypal, pipeline));
    }
  });
  if (sandboxControls(deps.config)) {
    await app.register(
      sandboxRoutes({
        store,
        clock,
        clocks,
        config: deps.config,
        logger: deps.logger,
        pipeline,
        sessionExpiry,
        ...(deps.config.payments ? { payments, webhooks: app.webhooks, jobs: app.paymentJobs, dispatcher: app.webhookDispatcher } : {}),
        faults: faults as FaultService,
      }),
    );
  }
  await app.register(metricsRoute(metrics));
  await app.register(
    dashboardRoutes(
      new SessionOverview(store, clock, offeredPaymentMethods),
      pipeline,
      deps.config.payments ? new PaymentOverview(store.payments) : undefined,
    ),
  );
  return app;
}
