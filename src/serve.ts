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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
