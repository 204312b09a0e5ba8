// Process entry: read config, open storage, migrate, listen, drain on SIGTERM.
import pino from 'pino';
import { buildApp } from './app.ts';
import { systemClock } from './clock.ts';
import { ConfigError, loadConfig } from './config.ts';
import { loggerOptions } from './http/logging.ts';
import { prepareStorage } from './startup.ts';
import { openStore } from './storage/open.ts';
import { isStorageUnavailable } from './storage/unavailable.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
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
  const app = await buildApp({
    store,
    clock: systemClock,
    config,
    logger,
    signingKeys: prepared.signingKeys,
    isStorageUnavailable,
  });
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

main().catch((error: unknown) => {
  process.stderr.write(`kassa: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
