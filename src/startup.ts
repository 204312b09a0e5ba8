// What a process does with its storage before it serves: migrate, agree on the token signing key
// with every other process, make sure an API key exists.
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { newSigningSecret } from './ids.ts';
import { Merchants } from './merchants/merchants.ts';
import type { SigningKey, Store } from './storage/store.ts';
import { signingKeyId } from './tokens/client-token.ts';

export interface Prepared {
  /** Signing keys, the one that signs first. */
  signingKeys: SigningKey[];
  /** A key generated because none existed: print it once. */
  generatedApiKey?: string;
}

export async function prepareStorage(store: Store, config: Config, clock: Clock): Promise<Prepared> {
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
  const { generatedSecret } = await new Merchants(store, clock).bootstrap(config.apiKey);
  return { signingKeys, ...(generatedSecret ? { generatedApiKey: generatedSecret } : {}) };
}
