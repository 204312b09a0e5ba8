// Idempotency keys on the session writes: the same merchant + key + request gets the stored response
// back byte for byte; the same key with another request is refused; a duplicate while the first is
// still running is told to retry. Records live in the database, and a response is stored in the same
// transaction as the change it answers, so a retry after a crash replays, never repeats
// (docs/operations.md, "Idempotency").
//
// A stored create response holds a client token, and tokens are never stored in clear. So the stored
// response is sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the server secret, the
// merchant id and the client's idempotency key. The database keeps only a hash of the idempotency key,
// so the database alone (a backup, a leaked file) cannot open a stored response; only a client that
// sends the same key again, to a server holding the secret, gets it back.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { KassaError } from '../errors.ts';
import type { Clock } from '../lib/clock.ts';
import { newClaim, sha256 } from '../lib/ids.ts';
import type { UnitOfWork } from '../storage/unit-of-work.ts';
import type { IdempotencyStore } from './idempotency.store.ts';

/** The parts of a response a replay gives back. */
export interface StoredReply {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** After this (ms since epoch) the reply's client token no longer works, and it is not replayed. */
  validUntil?: number;
}

/** An in-flight claim, held by the request that made it until it completes or releases. */
export interface IdempotencyTicket {
  merchantId: string;
  keyHash: string;
  requestHash: string;
  claim: string;
  cipherKey: Buffer;
}

export type BeginOutcome = { state: 'new'; ticket: IdempotencyTicket } | { state: 'replay'; reply: StoredReply };

export interface IdempotencyDeps {
  store: IdempotencyStore;
  clock: Clock;
  /** How long a record is kept. */
  ttlMs: number;
  /** Server secrets; the first seals, every one is tried to open (so rotating the secret keeps records readable). */
  secrets: readonly string[];
  /** How long an in-flight claim holds before another request may take it over (a crashed process). */
  lockMs?: number;
}

/** Seconds a client is told to wait when its key is in flight. */
export const IN_FLIGHT_RETRY_AFTER_SECONDS = 1;
const SEAL_VERSION = 'v1';

/** JSON with object keys sorted at every level: the same request always has the same fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** sha256 of method + route + API version + preconditions (If-Match) + canonical body. */
export function requestFingerprint(method: string, route: string, apiVersion: string, body: unknown, ifMatch = ''): string {
  return createHash('sha256')
    .update(`${method}\n${route}\n${apiVersion}\n${ifMatch}\n${canonicalJson(body)}`)
    .digest('hex');
}

function deriveKey(secret: string, merchantId: string, idempotencyKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, merchantId, `kassa idempotency ${SEAL_VERSION}\0${idempotencyKey}`, 32));
}

export class IdempotencyService {
  private readonly lockMs: number;

  constructor(private readonly deps: IdempotencyDeps) {
    if (deps.secrets.length === 0) throw new Error('at least one secret is needed');
    this.lockMs = deps.lockMs ?? 60_000;
  }

  /**
   * Claims the key for this request, or returns the stored reply to replay. Throws
   * IdempotencyKeyReused (another request used the key) or IdempotencyKeyInFlight.
   */
  async begin(merchantId: string, idempotencyKey: string, requestHash: string): Promise<BeginOutcome> {
    const keyHash = sha256(idempotencyKey);
    const now = this.deps.clock();
    const found = await this.deps.store.begin({
      merchantId,
      keyHash,
      requestHash,
      claim: newClaim(),
      now,
      expiresAt: now + this.deps.ttlMs,
      lockedUntil: now + this.lockMs,
    });
    switch (found.state) {
      case 'new':
        return {
          state: 'new',
          ticket: {
            merchantId,
            keyHash,
            requestHash,
            claim: found.claim,
            cipherKey: deriveKey(this.deps.secrets[0]!, merchantId, idempotencyKey),
          },
        };
      case 'in-flight':
        throw new KassaError('IdempotencyKeyInFlight', { retryAfterSeconds: IN_FLIGHT_RETRY_AFTER_SECONDS });
      case 'mismatch':
        throw new KassaError('IdempotencyKeyReused');
      case 'completed': {
        const reply = this.open(found.response, merchantId, idempotencyKey, keyHash, requestHash);
        // A record no secret we hold can open (the secret was replaced): it cannot be replayed, and
        // running the request again could create a second session, so the key is refused.
        if (!reply)
          throw new KassaError('IdempotencyKeyReused', {
            detail: 'The stored response for this idempotency key can no longer be read; use a new key.',
          });
        // The session's token has expired since: a fresh request with it would be refused, so is this.
        if (reply.validUntil !== undefined && reply.validUntil <= now) {
          throw new KassaError('ClientSessionValidationError', { reason: "the replayed answer's client token has expired" });
        }
        return { state: 'replay', reply };
      }
    }
  }

  /** Records `reply` on the held record, in the unit of work of the change it answers. */
  complete(uow: UnitOfWork, ticket: IdempotencyTicket, reply: StoredReply): void {
    uow.idempotency.complete(ticket.merchantId, ticket.keyHash, ticket.claim, this.seal(ticket, reply));
  }

  /** Lets go of a held record whose request failed, so a retry runs again. */
  async release(ticket: IdempotencyTicket): Promise<void> {
    await this.deps.store.release(ticket.merchantId, ticket.keyHash, ticket.claim);
  }

  private seal(ticket: IdempotencyTicket, reply: StoredReply): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', ticket.cipherKey, iv);
    // The record's identity is bound in, so a sealed response cannot be moved to another record.
    cipher.setAAD(Buffer.from(`${ticket.merchantId}\n${ticket.keyHash}\n${ticket.requestHash}`));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(reply), 'utf8'), cipher.final()]);
    return [SEAL_VERSION, iv.toString('base64url'), sealed.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  private open(stored: string, merchantId: string, idempotencyKey: string, keyHash: string, requestHash: string): StoredReply | undefined {
    const [version, iv, sealed, tag] = stored.split('.');
    if (version !== SEAL_VERSION || !iv || sealed === undefined || !tag) return undefined;
    for (const secret of this.deps.secrets) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', deriveKey(secret, merchantId, idempotencyKey), Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(`${merchantId}\n${keyHash}\n${requestHash}`));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const plain = Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]);
        return JSON.parse(plain.toString('utf8')) as StoredReply;
      } catch {
        // not this secret
      }
    }
    return undefined;
  }
}
