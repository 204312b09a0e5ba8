// The server process (what `npm start` runs through main.ts, and `kassa serve`): read the configuration,
// open and migrate the storage, listen, and drain on SIGTERM or SIGINT. Only main.ts and the CLI read
// process.env, and hand it to serve().
import pino from 'pino';
import { buildApp } from './app.ts';
import { CheckoutConfigError, readCheckoutConfigFile, type CheckoutConfig } from './checkout/configuration.ts';
import { ConfigError, describeDatabase, loadConfig, type Config } from './config.ts';
import { KassaError } from './errors.ts';
import { loggerOptions } from './http/observability.ts';
import { prepareDrain } from './http/shutdown.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { newSigningSecret } from './lib/ids.ts';
import { endOfLifeWarning } from './lib/node-support.ts';
import { compile } from './lib/ajv.ts';
import { createMetrics } from './lib/metrics.ts';
import { warmKeyHash } from './merchants/key-hash.ts';
import { DEFAULT_MERCHANT_ID, Merchants } from './merchants/merchants.ts';
import { seedAtStart } from './sandbox/seed/start.ts';
import { CreateSessionBody } from './sessions/schemas.ts';
import { openStore } from './storage/open.ts';
import { startPurger } from './storage/purge.ts';
import type { Store } from './storage/store.ts';
import { isStorageUnavailable } from './storage/unavailable.ts';
import { signingKeyId } from './tokens/client-token.ts';
import type { SigningKey } from './tokens/signing-key.store.ts';

export interface Prepared {
  /** Signing keys, the one that signs first. */
  signingKeys: SigningKey[];
  /** A key generated because none existed: print it once. */
  generatedApiKey?: string;
}

/**
 * What a process does with its storage before it serves: migrate, agree on the token signing key
 * with every other process, make sure an API key exists.
 */
export async function prepareStorage(store: Store, config: Config, clock: Clock): Promise<Prepared> {
  const signingKeys = await prepareSigningKeys(store, config, clock);
  const { generatedSecret } = await new Merchants(store, clock).bootstrap(config.apiKey);
  return { signingKeys, ...(generatedSecret ? { generatedApiKey: generatedSecret } : {}) };
}

/** prepareStorage's first part: migrate, and agree on the token signing key with every other process. */
async function prepareSigningKeys(store: Store, config: Config, clock: Clock): Promise<SigningKey[]> {
  await store.migrate();
  let signingKeys: SigningKey[];
  if (config.tokenSecret) {
    // A configured secret signs; keys kept in the database still verify the tokens they signed.
    const configured = { kid: signingKeyId(config.tokenSecret), secret: config.tokenSecret, createdAt: clock() };
    signingKeys = [configured, ...(await store.signingKeys.list()).filter((k) => k.kid !== configured.kid)];
  } else {
    const secret = newSigningSecret();
    const shared = await store.signingKeys.ensure({ kid: signingKeyId(secret), secret, createdAt: clock() });
    signingKeys = [shared, ...(await store.signingKeys.list()).filter((k) => k.kid !== shared.kid)];
  }
  return signingKeys;
}

/**
 * For a server process once it listens: the costliest schema to compile (Ajv, ~250 ms), the body of
 * POST /client-session, which comes first in every checkout, compiled while the client reacts to the
 * server listening; the first session finds it compiled (lib/compiled.ts). Only that one: a request
 * takes several event-loop turns, and any further compile would run in the middle of it.
 */
export function compileFirstSchemas(): void {
  setImmediate(() => compile(CreateSessionBody)(undefined));
}

/** Exits with code 2 and the message of a configuration mistake; rethrows anything else. */
function orExit<T>(read: () => T): T {
  const exit = (error: unknown): never => {
    if (error instanceof ConfigError || error instanceof CheckoutConfigError) {
      process.stderr.write(`kassa: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  };
  try {
    const value = read();
    return (value instanceof Promise ? value.catch(exit) : value) as T;
  } catch (error) {
    return exit(error);
  }
}

export async function serve(env: Record<string, string | undefined>): Promise<void> {
  const config = orExit(() => loadConfig(env));
  // Its slow hash runs on the thread pool while the storage opens and the app is built.
  if (config.apiKey !== undefined) warmKeyHash(config.apiKey);
  const checkout: CheckoutConfig | undefined = orExit(() =>
    config.checkoutConfigPath ? readCheckoutConfigFile(config.checkoutConfigPath, config.sdkEnv) : undefined,
  );
  const logger = pino(loggerOptions(config.logLevel));
  const outdated = endOfLifeWarning(process.version, systemClock());
  if (outdated) logger.warn({ node: process.version }, outdated);
  if (config.database.engine === 'sqlite' && config.database.path === ':memory:') {
    logger.warn(
      { database: 'sqlite::memory:' },
      'DATABASE_URL is sqlite::memory: — sessions, payments and keys live in a temporary file deleted at exit: nothing survives a restart',
    );
  }
  const store = await openStore(config.database, { poolSize: config.dbPoolSize, timeoutMs: config.dbTimeoutMs });
  const signingKeys = await prepareSigningKeys(store, config, systemClock);
  // The API key waits for its slow hash (warmKeyHash): the app is built meanwhile, and the key is
  // there before the server listens. A failure is awaited below and fails the start, as before.
  const bootstrapped = new Merchants(store, systemClock).bootstrap(config.apiKey);
  bootstrapped.catch(() => {});
  // Which file or server, resolved: a relative path or a default is where surprises hide.
  logger.info({ database: describeDatabase(config.database) }, 'storage ready');
  // KASSA_SEED: a bad file is a configuration mistake (exit 2, nothing written), like a bad variable.
  if (config.seedFile) {
    await bootstrapped;
    await orExit(() =>
      seedAtStart(config.seedFile!, { store, clock: systemClock, config, signingKeys, ...(checkout ? { checkout } : {}) }, logger),
    );
  }
  const metrics = createMetrics({ processMetrics: true });
  const app = await buildApp({
    store,
    clock: systemClock,
    config,
    logger,
    signingKeys,
    metrics,
    checkout,
    isStorageUnavailable,
  });
  const { generatedSecret } = await bootstrapped;
  if (generatedSecret) {
    // Printed once, on stderr: the JSON log on stdout is collected and kept, the secret must not be.
    process.stderr.write(
      `\nNo API key existed, so Kassa made one for the default merchant (shown only now):\n\n  X-Api-Key: ${generatedSecret}\n\n` +
        'Keep it, or set KASSA_API_KEY to choose your own.\n\n',
    );
  }
  if (config.webhookUrl && app.webhooks) {
    const webhooks = app.webhooks;
    const url = config.webhookUrl;
    // A refused destination (KASSA_WEBHOOK_PRIVATE, a metadata address) is a configuration mistake: named, exit 2.
    const made = await orExit(() =>
      webhooks.ensureEndpoint(DEFAULT_MERCHANT_ID, url, config.webhookSecret).catch((error: unknown) => {
        const refused = error instanceof KassaError ? error.validationErrors?.[0]?.errors[0]?.description : undefined;
        throw refused ? new ConfigError([`KASSA_WEBHOOK_URL: ${refused}`]) : error;
      }),
    );
    if (made) {
      // Printed once on stderr, like a generated API key: the only time this secret exists in clear.
      process.stderr.write(
        `\nKassa made a signing secret for KASSA_WEBHOOK_URL (shown only now):\n\n  ${made}\n\n` +
          'Keep it to verify Kassa-Signature and X-Signature-Primary, or set KASSA_WEBHOOK_SECRET to choose your own.\n\n',
      );
    }
  }
  const drain = prepareDrain(app);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
    // A configuration mistake like any other: named, exit code 2, no stack trace.
    const why = code === 'EADDRINUSE' ? 'the port is already in use' : 'this process may not use the port';
    process.stderr.write(
      `kassa: cannot listen on ${config.host}:${config.port}: ${why} (${code}); set PORT to another port, or stop what holds this one\n`,
    );
    await store.close();
    process.exit(2);
  }
  const purger = startPurger({ store, clock: systemClock, logger, ...config.purge });

  // Graceful shutdown (http/shutdown.ts): stop accepting, close idle and half-sent connections, answer
  // every request already received with Connection: close and exit as soon as the last answer is
  // out. Only a request still running after KASSA_SHUTDOWN_TIMEOUT_MS is cut, and then the exit
  // code is 1. npm start execs node (package.json), so the signal a process manager sends reaches
  // this process, and npm, which waits for it, exits with its code.
  let stopping = false;
  const stop = async (signal: string) => {
    // A second signal changes nothing: npm forwards the one a whole process group also got.
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    let forced = false;
    const deadline = setTimeout(() => {
      forced = true;
      logger.warn('shutdown wait ran out: closing open connections');
      drain.cut();
    }, config.shutdownTimeoutMs);
    const { inFlight, closed, drained } = await drain.begin();
    logger.info(
      { signal, inFlight, closedConnections: closed, timeoutMs: config.shutdownTimeoutMs },
      'shutting down: draining in-flight requests',
    );
    let code = 0;
    try {
      await drained;
      // The deadline is for requests; closing the app and the storage after them is not cut.
      clearTimeout(deadline);
      await app.close();
      await purger.stop();
      await store.close();
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      code = 1;
    }
    if (forced) code = 1;
    logger.info({ exitCode: code, drainMs: Math.round(performance.now() - started) }, 'stopped');
    // pino writes synchronously to stdout by default, so the last line is out before exit.
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
