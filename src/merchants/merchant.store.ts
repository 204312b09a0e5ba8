// What merchants and API keys need from storage; engines implement it in storage/<engine>/merchants.ts.
import type { Awaitable } from '../lib/awaitable.ts';

export interface Merchant {
  id: string;
  name: string;
  createdAt: number;
}

export interface MerchantStore {
  insert(merchant: Merchant): Promise<void>;
  findById(id: string): Promise<Merchant | undefined>;
  list(): Promise<Merchant[]>;
}

export interface ApiKey {
  id: string;
  merchantId: string;
  /** The secret's hash (key-hash.ts); the secret itself, and no part of it, is ever stored. */
  secretHash: string;
  scopes: string[];
  createdAt: number;
  revokedAt?: number;
}

export interface ApiKeyStore {
  insert(key: ApiKey): Promise<void>;
  findBySecretHash(secretHash: string): Awaitable<ApiKey | undefined>;
  /**
   * Asked on every request, so it reads only what that needs (at once on SQLite, lib/awaitable.ts):
   * the unrevoked key with this secret hash, whether it has `scope`, and its merchant's sandbox clock
   * offset (ms; 0 without one).
   */
  authenticate(
    secretHash: string,
    scope: string,
  ): Awaitable<{ keyId: string; merchantId: string; hasScope: boolean; clockOffsetMs: number } | undefined>;
  listByMerchant(merchantId: string): Promise<ApiKey[]>;
  count(): Promise<number>;
  /** Replaces a key's stored hash (a key stored before scrypt, on first use); false when no such key. */
  rehash(id: string, secretHash: string): Promise<boolean>;
  /** Returns false when no such unrevoked key exists. */
  revoke(id: string, at: number): Promise<boolean>;
}
