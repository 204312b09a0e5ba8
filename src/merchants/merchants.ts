// Merchants and their API keys. Keys are stored as slow hashes with scopes (key-hash.ts); the secret
// is shown once, when it is made, and never logged.
import { KassaError } from '../errors.ts';
import { then, type Awaitable } from '../lib/awaitable.ts';
import type { Clock } from '../lib/clock.ts';
import { FairGate } from '../lib/fair-gate.ts';
import { newApiKeyId, newApiKeySecret, newMerchantId, sha256 } from '../lib/ids.ts';
import type { Store } from '../storage/store.ts';
import { hashApiKey, knownKeyHash, legacyKeyHash, rememberKeyHash, warmingKeyHash } from './key-hash.ts';
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
  'webhooks:write',
  // Kassa's own: the sandbox controls (clock, faults, triggers, disputes, reset).
  'sandbox:write',
] as const;

export const DEFAULT_MERCHANT_ID = 'mer_default';

/** Who a request with a valid API key acts for. */
export interface Principal {
  merchantId: string;
  keyId: string;
  /** The merchant's sandbox clock offset (ms), read with the key (sandbox/clock/merchant-clocks.ts). */
  clockOffsetMs: number;
}

function principal(
  key: { keyId: string; merchantId: string; hasScope: boolean; clockOffsetMs: number } | undefined,
  scope: string,
): Principal {
  if (!key) throw new KassaError('Unauthorized');
  if (!key.hasScope) {
    throw new KassaError('Forbidden', {
      detail: `The API key does not have the ${scope} scope this operation needs.`,
      recoverySuggestion: `Use an API key with the ${scope} scope.`,
    });
  }
  return { merchantId: key.merchantId, keyId: key.keyId, clockOffsetMs: key.clockOffsetMs };
}

/**
 * How many scrypt hashes of keys sent in requests run at once, from one client address and in all
 * (each takes ~50 ms of a core): a flood from one address holds one slot, and a key from another
 * address takes the next free one instead of waiting behind the flood (docs/operations.md, "API keys").
 */
export const KEY_HASHES = { perAddress: 1, total: 2 } as const;

export class Merchants {
  private readonly gate = new FairGate(KEY_HASHES.perAddress, KEY_HASHES.total);
  /** The hashes being computed for keys sent in requests, by sha256(secret): the same key is hashed once. */
  private readonly hashing = new Map<string, Promise<string>>();

  constructor(
    private readonly store: Pick<Store, 'merchants' | 'apiKeys'>,
    private readonly clock: Clock,
    /** Told of every scrypt hash computed (the kassa_api_key_hashes_total counter). */
    private readonly onHash: () => void = () => {},
  ) {}

  /**
   * The merchant behind an API key, if the key has `scope`: 401 Unauthorized for an unknown or
   * revoked key, 403 Forbidden without the scope. `quick` is sha256(secret). At once (no promise on
   * SQLite) for a key this process has seen work; otherwise the secret is hashed first (key-hash.ts),
   * in `address`'s turn (KEY_HASHES), or joins the hash of the same key already under way.
   */
  authenticate(secret: string, quick: string, scope: string, address = ''): Awaitable<Principal> {
    const known = knownKeyHash(quick);
    if (known !== undefined) return then(this.store.apiKeys.authenticate(known, scope), (key) => principal(key, scope));
    const pending = this.hashing.get(quick);
    if (pending !== undefined) return this.authenticateHashed(secret, quick, pending, scope);
    const hash = this.gate.run(address, () => this.scrypt(secret));
    this.hashing.set(quick, hash);
    return this.authenticateHashed(secret, quick, hash, scope).then(
      (found) => {
        this.hashing.delete(quick);
        return found;
      },
      (error: unknown) => {
        this.hashing.delete(quick);
        throw error;
      },
    );
  }

  /** Whether authenticating this key now would cost a scrypt hash (neither remembered nor being hashed). */
  costsHash(quick: string): boolean {
    return knownKeyHash(quick) === undefined && !this.hashing.has(quick);
  }

  private async authenticateHashed(secret: string, quick: string, hashed: Promise<string>, scope: string): Promise<Principal> {
    const hash = await hashed;
    let key = await this.store.apiKeys.authenticate(hash, scope);
    if (!key) {
      // A key stored before scrypt: rehash it now that its secret is here.
      const legacy = await this.store.apiKeys.findBySecretHash(legacyKeyHash(secret));
      if (legacy && legacy.revokedAt === undefined && (await this.store.apiKeys.rehash(legacy.id, hash))) {
        key = await this.store.apiKeys.authenticate(hash, scope);
      }
    }
    const found = principal(key, scope);
    rememberKeyHash(quick, hash);
    return found;
  }

  private scrypt(secret: string): Promise<string> {
    this.onHash();
    return hashApiKey(secret);
  }

  /** A trusted secret's hash (one being made or configured), remembered for the requests that follow. */
  private async hashOf(secret: string): Promise<string> {
    const quick = sha256(secret);
    const hash = knownKeyHash(quick) ?? (await (warmingKeyHash(quick) ?? this.scrypt(secret)));
    rememberKeyHash(quick, hash);
    return hash;
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
      secretHash: await this.hashOf(secret),
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
      const hash = await this.hashOf(configuredKey);
      const exists = async () => {
        if (await this.store.apiKeys.findBySecretHash(hash)) return true;
        const legacy = await this.store.apiKeys.findBySecretHash(legacyKeyHash(configuredKey));
        return legacy !== undefined && (await this.store.apiKeys.rehash(legacy.id, hash));
      };
      if (!(await exists())) {
        await this.createKey(DEFAULT_MERCHANT_ID, SCOPES, configuredKey).catch(async (error: unknown) => {
          // Another process made it first.
          if (!(await exists())) throw error;
        });
      }
      return {};
    }
    if ((await this.store.apiKeys.count()) > 0) return {};
    const { secret } = await this.createKey(DEFAULT_MERCHANT_ID);
    return { generatedSecret: secret };
  }
}
