// A WebhookService as a process builds it: the server (app.ts) and the `kassa webhooks` commands, so
// both seal and open endpoint secrets with the same server secrets (an endpoint made by the CLI signs
// in the server's dispatcher, and the CLI's `test` signs with a secret the server sealed).
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Clock } from '../lib/clock.ts';
import { createMetrics, type Metrics } from '../lib/metrics.ts';
import { Sealer } from '../lib/seal.ts';
import type { Store } from '../storage/store.ts';
import type { SigningKey } from '../tokens/signing-key.store.ts';
import { WebhookService } from './service.ts';

export interface WebhookServiceSetup {
  store: Store;
  clock: Clock;
  /** The process's signing keys, the one that signs first (server.ts, prepareStorage): their secrets seal the endpoints' secrets. */
  signingKeys: readonly SigningKey[];
  config: Pick<Config, 'webhookRetryScale' | 'webhookTimeoutMs' | 'webhookEndpointsMax' | 'webhookPrivate' | 'mode'>;
  /** Where failed attempts are logged (warn); none for the CLI. */
  logger?: Logger;
  /** The process's metrics; a registry of its own when absent (the CLI, which serves none). */
  metrics?: Metrics;
  /** The process's sealer when it has one already (app.ts shares one with the payments); made from the keys otherwise. */
  sealer?: Sealer;
}

export function createWebhookService(setup: WebhookServiceSetup): WebhookService {
  const { store, clock, signingKeys, config } = setup;
  return new WebhookService({
    store,
    clock,
    sealer: setup.sealer ?? new Sealer(signingKeys.map((k) => k.secret)),
    metrics: setup.metrics ?? createMetrics(),
    retryScale: config.webhookRetryScale,
    timeoutMs: config.webhookTimeoutMs,
    endpointsMax: config.webhookEndpointsMax,
    privateDestinations: config.webhookPrivate,
    // Chaos is a sandbox control: KASSA_MODE=production switches it off with the others.
    chaos: config.mode !== 'production',
    ...(setup.logger ? { logger: setup.logger } : {}),
  });
}
