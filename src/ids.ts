// Every id and secret Kassa makes, in one place (conventions: "ids are prefixed").
import { createHash, randomBytes } from 'node:crypto';

const random = (bytes: number) => randomBytes(bytes).toString('base64url');

export const newSessionId = () => `cs_${random(15)}`;
export const newMerchantId = () => `mer_${random(12)}`;
export const newApiKeyId = () => `key_${random(12)}`;
/** 160 random bits, hex, so naive base64 decoders of the token still work (contract §1.3). */
export const newAccessToken = () => randomBytes(20).toString('hex');
export const newApiKeySecret = () => `kassa_sk_${random(32)}`;
export const newSigningSecret = () => randomBytes(32).toString('base64url');

/** Secrets are stored and compared as this hash, never as themselves. */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
