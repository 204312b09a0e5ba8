// How an API key's secret is kept: scrypt, so that someone holding a copy of the database pays about
// 50 ms of CPU for every guess (a fast hash let a 16-character key be found in seconds). The salt is
// fixed so the hash can still be looked up directly; the work factor is what protects the key.
// Requests do not pay it: a process remembers the hashes of the keys that worked, keyed by a fast
// hash (never by the secret), so only the first request with a key, and every wrong key, costs a
// scrypt; wrong keys are limited per client address, reserved before they are hashed
// (http/rate-limit.ts, "failures"), and hashes take turns by address (merchants.ts, KEY_HASHES).
// Keys stored before scrypt hold a bare SHA-256; they still work and are rehashed on first use.
import { scrypt } from 'node:crypto';
import { sha256 } from '../lib/ids.ts';

/** scrypt's cost: N = 2^14, r = 8 (16 MiB, ~50 ms on one core here). */
const PARAMS = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const SALT = 'kassa/api-key/v1';
const SCHEME = 's1:';
/** Hashes remembered per process, newest last; the oldest goes first. */
const REMEMBERED = 10_000;

export function hashApiKey(secret: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Runs on libuv's thread pool: the event loop keeps serving meanwhile.
    scrypt(secret, SALT, 32, PARAMS, (error, key) => (error ? reject(error) : resolve(SCHEME + key.toString('hex'))));
  });
}

/** The hash a key stored before scrypt has (and whether a stored hash is one). */
export const legacyKeyHash = (secret: string): string => sha256(secret);
export const isLegacyKeyHash = (stored: string): boolean => !stored.startsWith(SCHEME);

// The hashes of keys that worked, per process (a hash is a pure function of its secret, so every app
// in the process may share them). Wrong keys are never remembered: guessing cannot push real keys out.
const known = new Map<string, string>();

/** The stored hash of the key whose sha256 is `quick`, when this process has seen that key work. */
export const knownKeyHash = (quick: string): string | undefined => known.get(quick);

export function rememberKeyHash(quick: string, hash: string): void {
  if (known.has(quick)) return;
  if (known.size >= REMEMBERED) known.delete(known.keys().next().value as string);
  known.set(quick, hash);
}

// The hash of the key the process was configured with, started as it starts: scrypt runs on the thread
// pool while the main thread migrates and builds the app, instead of after (docs/testing.md, "How it starts").
const warming = new Map<string, Promise<string>>();

/** Starts hashing a configured (trusted) key now; the same scrypt, remembered once done. */
export function warmKeyHash(secret: string): void {
  const quick = sha256(secret);
  if (known.has(quick) || warming.has(quick)) return;
  const hashing = hashApiKey(secret);
  warming.set(quick, hashing);
  hashing.then(
    (hash) => {
      warming.delete(quick);
      rememberKeyHash(quick, hash);
    },
    () => warming.delete(quick),
  );
}

/** The hash of the key whose sha256 is `quick`, when warmKeyHash is computing it. */
export const warmingKeyHash = (quick: string): Promise<string> | undefined => warming.get(quick);
