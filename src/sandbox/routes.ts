// The sandbox controls a merchant's tests drive (docs/testing.md): each control registers its routes
// here, under /kassa/sandbox/, with scope sandbox:write, acting on the calling merchant's data only.
// app.ts registers them only when KASSA_MODE is not `production`, so there they answer 404.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Pipeline } from '../http/pipeline.ts';
import type { Clock } from '../lib/clock.ts';
import type { JobRunner } from '../payments/jobs.ts';
import type { Dispatcher } from '../webhooks/dispatcher.ts';
import type { PaymentService } from '../payments/service.ts';
import type { SessionExpiry } from '../sessions/expiry.ts';
import type { Store } from '../storage/store.ts';
import type { WebhookService } from '../webhooks/service.ts';
import { clockRoutes } from './clock/routes.ts';
import type { MerchantClocks } from './clock/merchant-clocks.ts';
import { SandboxClock } from './clock/service.ts';
import { faultRoutes } from './faults/routes.ts';
import type { FaultService } from './faults/service.ts';
import { disputeRoutes } from '../payments/disputes/routes.ts';
import { Disputes } from '../payments/disputes/service.ts';
import { triggerRoutes } from './events/routes.ts';
import { Triggers } from './events/service.ts';
import { resetRoutes } from './reset/routes.ts';

export const SANDBOX_SCOPE = 'sandbox:write';

export interface SandboxDeps {
  store: Store;
  clock: Clock;
  /** Each merchant's time (clock/merchant-clocks.ts). */
  clocks: MerchantClocks;
  config: Config;
  logger: Logger;
  pipeline: Pipeline;
  /** The faults the pipeline applies (sandbox/faults/); DELETE /kassa/sandbox/faults and reset empty them through it. */
  faults: FaultService;
  /** Absent when KASSA_PAYMENTS=off. */
  payments?: PaymentService;
  webhooks?: WebhookService;
  jobs?: Pick<JobRunner, 'runDue'>;
  /** Absent when KASSA_PAYMENTS=off. */
  dispatcher?: Pick<Dispatcher, 'tick'>;
  /** Records CLIENT_SESSION.EXPIRED for the sessions now expired (a clock advance runs it). */
  sessionExpiry?: Pick<SessionExpiry, 'runDue'>;
}

/** True when the sandbox controls are served (every mode but `production`). */
export const sandboxControls = (config: Pick<Config, 'mode'>): boolean => config.mode !== 'production';

export function sandboxRoutes(deps: SandboxDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    // Each control's routes are registered here.
    const { jobs, sessionExpiry } = deps;
    const clock = new SandboxClock({
      store: deps.store,
      clocks: deps.clocks,
      retentionMs: deps.config.purge.retentionMs,
      ...(jobs ? { runDueJobs: () => jobs.runDue() } : {}),
      ...(sessionExpiry ? { recordExpiredSessions: () => sessionExpiry.runDue() } : {}),
      ...(deps.dispatcher ? { sendDueWebhooks: () => void deps.dispatcher?.tick().catch(() => {}) } : {}),
    });
    await app.register(clockRoutes(clock, deps.pipeline, SANDBOX_SCOPE));
    await app.register(faultRoutes(deps.faults, deps.pipeline));
    await triggerRoutes(new Triggers(deps), deps.pipeline, SANDBOX_SCOPE)(app);
    if (deps.payments) await disputeRoutes(new Disputes(deps), deps.pipeline, SANDBOX_SCOPE)(app);
    await app.register(resetRoutes({ store: deps.store, pipeline: deps.pipeline, scope: SANDBOX_SCOPE }));
  };
}
