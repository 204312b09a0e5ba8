// Every id and secret Kassa makes, in one place. Ids are prefixed with what they name.
import { createHash, randomBytes, randomFillSync } from 'node:crypto';

// Random bytes are drawn from a pool refilled 4 KiB at a time: the same CSPRNG output, without
// one call into OpenSSL for every id and token (two per created session).
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;
function randomSlice(bytes: number): Buffer {
  if (bytes > POOL_SIZE) return randomBytes(bytes);
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  // Copied out, so a refill never changes a value already handed out.
  const slice = Buffer.from(pool.subarray(poolOffset, poolOffset + bytes));
  // Nor does the pool keep a copy of a secret once it is handed out.
  pool.fill(0, poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return slice;
}

const random = (bytes: number) => randomSlice(bytes).toString('base64url');

/**
 * `cs_`, the creation time (8 base62 digits, so ids sort by time), then 96 random bits: a session row
 * and its events go in at the end of their indexes instead of on a random page of each (measured:
 * docs/performance.md, "Writes"). The id is not a secret; the access token is.
 */
export const newSessionId = (now: number = Date.now()) => `cs_${base62Time(now)}${random(12)}`;
export const newMerchantId = () => `mer_${random(12)}`;
export const newApiKeyId = () => `key_${random(12)}`;
/** 160 random bits, hex, so naive base64 decoders of the token still work (docs/decisions.md, "Client tokens"). */
export const newAccessToken = () => randomSlice(20).toString('hex');
export const newApiKeySecret = () => `kassa_sk_${randomBytes(32).toString('base64url')}`;
export const newSigningSecret = () => randomBytes(32).toString('base64url');
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** `length` base62 characters (rejection sampling, so every character is equally likely). */
function base62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomSlice(length)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

const BASE62_TIME_DIGITS = 8;
/** `ms` in base62, fixed width: in ASCII order (0-9 < A-Z < a-z), so the strings sort as the times do. */
function base62Time(ms: number): string {
  let out = '';
  let rest = Math.trunc(ms);
  for (let i = 0; i < BASE62_TIME_DIGITS; i++) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

export const newPaymentId = () => `pay_${base62(16)}`;
/** A payment method token: what a merchant's server pays and vaults with. */
export const newPaymentToken = () => `tok_${base62(24)}`;
/** The id the SDKs see for a vaulted method. */
export const newVaultedId = () => `vpm_${base62(24)}`;
export const newAnalyticsId = () => `an_${base62(24)}`;
/** A PayPal order's id (`PAYPAL-…`) or a billing agreement's approval token (`BA-…`): the approval page's address, so unguessable. */
export const newPayPalId = (prefix: 'PAYPAL' | 'BA') => `${prefix}-${base62(24)}`;
/** A sandbox fault (sandbox/faults/). */
export const newFaultId = () => `flt_${base62(16)}`;
export const newUuid = () => crypto.randomUUID();
/**
 * The time-ordered UUID (RFC 9562 version 7: the first 48 bits are the time in milliseconds) for
 * rows written on every change and never found by guessing: event and delivery ids. Rows keyed by
 * it go in at the end of their index instead of on a random page of it (docs/performance.md,
 * "Webhooks"). Built here only: in JavaScript, or as SQL for ids the database makes (TIME_ORDERED_UUID_SQL).
 */
export function newTimeOrderedUuid(now: number = Date.now()): string {
  const h = randomSlice(10).toString('hex');
  const variant = '89ab'[Number.parseInt(h[3]!, 16) & 3];
  const time = Math.trunc(now).toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${h.slice(0, 3)}-${variant}${h.slice(4, 7)}-${h.slice(7, 19)}`;
}

/**
 * The same UUID as an SQL expression of a millisecond column `ms`, per engine: the time's 12 hex
 * digits (as ms / 65536 and ms % 65536), the version 7, then the database's own random digits.
 */
export const TIME_ORDERED_UUID_SQL = {
  sqlite: (ms: string) =>
    `printf('%08x-%04x-7', ${ms} / 65536, ${ms} % 65536) || lower(substr(hex(randomblob(2)), 2) || '-' || ` +
    `substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`,
  // gen_random_uuid() is version 4: from its 16th character on, its layout (variant included) is version 7's.
  postgres: (ms: string) =>
    `lpad(to_hex(${ms} / 65536), 8, '0') || '-' || lpad(to_hex(${ms} % 65536), 4, '0') || '-7' || substr(gen_random_uuid()::text, 16)`,
};

/** Names one request's hold on an idempotency record. */
export const newClaim = () => random(12);

/** Secrets are stored and compared as this hash, never as themselves. */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
