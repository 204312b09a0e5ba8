// The sandbox controls a merchant's tests drive (docs/testing.md): each control registers its routes
// here, under /kassa/sandbox/, with scope sandbox:write, acting on the calling merchant's data only.
// app.ts registers them only when KASSA_MODE is not `production`, so there they answer 404.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Pipeline } from '../http/pipeline.ts';
import type { Clock } from '../lib/clock.ts';
import type { PaymentService } from '../payments/service.ts';
import type { Store } from '../storage/store.ts';
import type { WebhookService } from '../webhooks/service.ts';
import { resetRoutes } from './reset/routes.ts';

export const SANDBOX_SCOPE = 'sandbox:write';

export interface SandboxDeps {
  store: Store;
  clock: Clock;
  config: Config;
  logger: Logger;
  pipeline: Pipeline;
  /** Absent when KASSA_PAYMENTS=off. */
  payments?: PaymentService;
  webhooks?: WebhookService;
}

/** True when the sandbox controls are served (every mode but `production`). */
export const sandboxControls = (config: Pick<Config, 'mode'>): boolean => config.mode !== 'production';

export function sandboxRoutes(deps: SandboxDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    // Each control's routes are registered here.
    await app.register(resetRoutes({ store: deps.store, pipeline: deps.pipeline, scope: SANDBOX_SCOPE }));
  };
}
