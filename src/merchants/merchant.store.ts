// What merchants and API keys need from storage; engines implement it in storage/<engine>/merchants.ts.

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
  /** sha256 of the secret; the secret itself is never stored. */
  secretHash: string;
  /** First characters of the secret, to recognise a key in listings. */
  prefix: string;
  scopes: string[];
  createdAt: number;
  revokedAt?: number;
}

export interface ApiKeyStore {
  insert(key: ApiKey): Promise<void>;
  findBySecretHash(secretHash: string): Promise<ApiKey | undefined>;
  listByMerchant(merchantId: string): Promise<ApiKey[]>;
  count(): Promise<number>;
  /** Returns false when no such unrevoked key exists. */
  revoke(id: string, at: number): Promise<boolean>;
}
