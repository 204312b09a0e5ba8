// What the `kassa` command groups share (program.ts builds the kit; payments.ts and webhooks.ts use
// it): the store from DATABASE_URL, the merchant and --json options, and what a service needs to run
// in the CLI as it runs in the server: the configuration and the server's signing keys.
import { InvalidArgumentError, type Option } from 'commander';
import { CheckoutConfigError, defaultCheckoutConfig, readCheckoutConfigFile, type CheckoutConfig } from '../checkout/configuration.ts';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { systemClock } from '../lib/clock.ts';
import { newSigningSecret } from '../lib/ids.ts';
import type { Merchants } from '../merchants/merchants.ts';
import type { Store } from '../storage/store.ts';
import { signingKeyId } from '../tokens/client-token.ts';
import type { SigningKey } from '../tokens/signing-key.store.ts';
import { CliError } from './cli-error.ts';
import type { Io } from './output.ts';

export type Env = Record<string, string | undefined>;

export interface CommandKit {
  env: Env;
  io: Io;
  withStore<T>(work: (store: Store, merchants: Merchants) => Promise<T>): Promise<T>;
  requireMerchant(merchants: Merchants, id: string): Promise<void>;
  merchantOption(): Option;
  jsonOption(): Option;
}

export const parseWhole = (min: number, max: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
  }
  return Number(value);
};

/** The configuration the server would run with; a mistake in it exits 2, as the server does. */
export function settings(env: Env): { config: Config; checkout: CheckoutConfig } {
  try {
    const config = loadConfig(env);
    const checkout = config.checkoutConfigPath
      ? readCheckoutConfigFile(config.checkoutConfigPath, config.sdkEnv)
      : defaultCheckoutConfig(config.sdkEnv);
    return { config, checkout };
  } catch (error) {
    if (error instanceof ConfigError || error instanceof CheckoutConfigError) throw new CliError(error.message, 2);
    throw error;
  }
}

/**
 * The signing keys a server on this database uses (server.ts, prepareStorage), without making an API
 * key: they seal a payment's action token and a webhook endpoint's secret, so the CLI must hold the
 * same ones to open them.
 */
export async function signingKeys(store: Store, tokenSecret: string | undefined): Promise<SigningKey[]> {
  const stored = await store.signingKeys.list();
  if (tokenSecret) {
    const kid = signingKeyId(tokenSecret);
    return [{ kid, secret: tokenSecret, createdAt: systemClock() }, ...stored.filter((k) => k.kid !== kid)];
  }
  if (stored.length > 0) return stored;
  const secret = newSigningSecret();
  return [await store.signingKeys.ensure({ kid: signingKeyId(secret), secret, createdAt: systemClock() })];
}
