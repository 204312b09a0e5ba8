// What `npm start` and `kassa serve` both do: read config, open storage, migrate, listen, drain on
// SIGTERM. The environment is passed in (only the process entries read process.env).
import pino from 'pino';
import { buildApp } from './app.ts';
import { systemClock } from './clock.ts';
import { ConfigError, loadConfig } from './config.ts';
import { loggerOptions } from './http/logging.ts';
import { CheckoutConfigError, readCheckoutConfigFile, type CheckoutConfig } from './merchants/checkout-config.ts';
import { createMetrics } from './metrics.ts';
import { prepareStorage } from './startup.ts';
import { openStore } from './storage/open.ts';
import { startPurger } from './storage/purge.ts';
import { isStorageUnavailable } from './storage/unavailable.ts';

export async function serve(env: Record<string, string | undefined>): Promise<void> {
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`kassa: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  let checkout: CheckoutConfig | undefined;
  try {
    checkout = config.checkoutConfigPath ? readCheckoutConfigFile(config.checkoutConfigPath, config.sdkEnv) : undefined;
  } catch (error) {
    if (error instanceof CheckoutConfigError) {
      process.stderr.write(`kassa: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = pino(loggerOptions(config.logLevel));
  const store = await openStore(config.database, { poolSize: config.dbPoolSize, timeoutMs: config.dbTimeoutMs });
  const prepared = await prepareStorage(store, config, systemClock);
  if (prepared.generatedApiKey) {
    // Printed once, on purpose, outside the log stream: it is the only time the secret exists in clear.
    process.stdout.write(
      `\nNo API key existed, so Kassa made one for the default merchant (shown only now):\n\n  X-Api-Key: ${prepared.generatedApiKey}\n\n` +
        'Keep it, or set KASSA_API_KEY to choose your own.\n\n',
    );
  }
  const metrics = createMetrics({ processMetrics: true });
  const app = await buildApp({ store, clock: systemClock, config, logger, signingKeys: prepared.signingKeys, metrics, checkout, isStorageUnavailable });
  await app.listen({ port: config.port, host: config.host });
  const purger = startPurger({ store, clock: systemClock, logger, ...config.purge });

  // Graceful shutdown (issue 5): stop accepting, let in-flight requests finish (bounded by
  // KASSA_SHUTDOWN_TIMEOUT_MS, then open connections are cut), stop the purger, close storage.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: draining in-flight requests');
    let forced = false;
    const deadline = setTimeout(() => {
      forced = true;
      logger.warn('shutdown wait ran out: closing open connections');
      app.server.closeAllConnections();
    }, config.shutdownTimeoutMs);
    deadline.unref();
    let code = 0;
    try {
      await app.close();
      await purger.stop();
      await store.close();
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      code = 1;
    }
    clearTimeout(deadline);
    if (forced) code = 1;
    logger.info({ exitCode: code }, 'stopped');
    // pino writes synchronously to stdout by default, so the last line is out before exit.
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
