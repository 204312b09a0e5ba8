// Merchants and their API keys. Keys are stored as hashes with scopes; the secret is shown once, when
// it is made, and never logged.
import { KassaError } from '../errors.ts';
import { then, type Awaitable } from '../lib/awaitable.ts';
import type { Clock } from '../lib/clock.ts';
import { newApiKeyId, newApiKeySecret, newMerchantId, sha256 } from '../lib/ids.ts';
import type { Store } from '../storage/store.ts';
import type { ApiKey, Merchant } from './merchant.store.ts';

/** Primer's scopes. Kassa checks client_tokens:write on the client-session routes. */
export const SCOPES = [
  'client_tokens:write',
  'third_party:webhook_trigger',
  'transactions:authorize',
  'transactions:cancel',
  'transactions:capture',
  'transactions:retrieve',
  'transactions:refund',
  'payment_instrument:read',
  'payment_instrument:write',
] as const;

export const DEFAULT_MERCHANT_ID = 'mer_default';

/** Who a request with a valid API key acts for. */
export interface Principal {
  merchantId: string;
  keyId: string;
}

export class Merchants {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /**
   * The merchant behind an API key, from the hash of its secret, if the key has `scope`: 401
   * Unauthorized for an unknown or revoked key, 403 Forbidden without the scope.
   */
  authenticate(secretHash: string, scope: string): Awaitable<Principal> {
    return then(this.store.apiKeys.authenticate(secretHash, scope), (key) => {
      if (!key) throw new KassaError('Unauthorized');
      if (!key.hasScope)
        throw new KassaError('Forbidden', { detail: `The API key does not have the ${scope} scope this operation needs.` });
      return { merchantId: key.merchantId, keyId: key.keyId };
    });
  }

  async createMerchant(name: string, id: string = newMerchantId()): Promise<Merchant> {
    const merchant = { id, name, createdAt: this.clock() };
    await this.store.merchants.insert(merchant);
    return merchant;
  }

  listMerchants(): Promise<Merchant[]> {
    return this.store.merchants.list();
  }

  findMerchant(id: string): Promise<Merchant | undefined> {
    return this.store.merchants.findById(id);
  }

  /** A merchant's keys, revoked ones included; never their secrets. */
  listKeys(merchantId: string): Promise<ApiKey[]> {
    return this.store.apiKeys.listByMerchant(merchantId);
  }

  /** False when no unrevoked key has this id. */
  revokeKey(keyId: string): Promise<boolean> {
    return this.store.apiKeys.revoke(keyId, this.clock());
  }

  /** A new key; `secret` is returned here and never again. */
  async createKey(
    merchantId: string,
    scopes: readonly string[] = SCOPES,
    secret: string = newApiKeySecret(),
  ): Promise<{ key: ApiKey; secret: string }> {
    const key: ApiKey = {
      id: newApiKeyId(),
      merchantId,
      secretHash: sha256(secret),
      prefix: secret.slice(0, 12),
      scopes: [...scopes],
      createdAt: this.clock(),
    };
    await this.store.apiKeys.insert(key);
    return { key, secret };
  }

  /**
   * Start-up: with `configuredKey`, make sure that key exists for the default merchant; with no key
   * anywhere, make one. Returns a generated secret so the caller can print it once.
   */
  async bootstrap(configuredKey: string | undefined): Promise<{ generatedSecret?: string }> {
    if (!(await this.store.merchants.findById(DEFAULT_MERCHANT_ID))) {
      await this.createMerchant('Default merchant', DEFAULT_MERCHANT_ID).catch(async (error: unknown) => {
        // Another process created it first.
        if (!(await this.store.merchants.findById(DEFAULT_MERCHANT_ID))) throw error;
      });
    }
    if (configuredKey !== undefined) {
      if (!(await this.store.apiKeys.findBySecretHash(sha256(configuredKey)))) {
        await this.createKey(DEFAULT_MERCHANT_ID, SCOPES, configuredKey).catch(async (error: unknown) => {
          if (!(await this.store.apiKeys.findBySecretHash(sha256(configuredKey)))) throw error;
        });
      }
      return {};
    }
    if ((await this.store.apiKeys.count()) > 0) return {};
    const { secret } = await this.createKey(DEFAULT_MERCHANT_ID);
    return { generatedSecret: secret };
  }
}
