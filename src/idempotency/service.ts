// Idempotency keys on the session writes: the same merchant + key + request gets the stored response
// back byte for byte; the same key with another request is refused; a duplicate while the first is
// still running is told to retry. Records live in the database, and a response is stored in the same
// transaction as the change it answers, so a retry after a crash replays, never repeats
// (docs/operations.md, "Idempotency").
//
// A stored create response holds a client token, and tokens are never stored in clear. So the stored
// response is sealed (lib/seal.ts) bound to the client's idempotency key and to its record. The
// database keeps only a hash of the idempotency key, so the database alone (a backup, a leaked file)
// cannot open a stored response; only a client that sends the same key again, to a server holding
// the secret, gets it back.
import { createHash } from 'node:crypto';
import { KassaError } from '../errors.ts';
import type { Clock } from '../lib/clock.ts';
import { newClaim, sha256 } from '../lib/ids.ts';
import { IDEMPOTENCY_PURPOSE, type Binding, type Sealer } from '../lib/seal.ts';
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
  /** What the sealed answer is bound to (the client's key, and this record). */
  binding: Binding;
}

export type BeginOutcome = { state: 'new'; ticket: IdempotencyTicket } | { state: 'replay'; reply: StoredReply };

export interface IdempotencyDeps {
  store: IdempotencyStore;
  clock: Clock;
  /** How long a record is kept. */
  ttlMs: number;
  sealer: Sealer;
  /** How long an in-flight claim holds before another request may take it over (a crashed process). */
  lockMs?: number;
}

/** Seconds a client is told to wait when its key is in flight. */
export const IN_FLIGHT_RETRY_AFTER_SECONDS = 1;

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

export class IdempotencyService {
  private readonly lockMs: number;

  constructor(private readonly deps: IdempotencyDeps) {
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
    const binding: Binding = { secret: idempotencyKey, record: `${merchantId}\n${keyHash}\n${requestHash}` };
    switch (found.state) {
      case 'new':
        return {
          state: 'new',
          ticket: {
            merchantId,
            keyHash,
            requestHash,
            claim: found.claim,
            binding,
          },
        };
      case 'in-flight':
        throw new KassaError('IdempotencyKeyInFlight', { retryAfterSeconds: IN_FLIGHT_RETRY_AFTER_SECONDS });
      case 'mismatch':
        throw new KassaError('IdempotencyKeyReused');
      case 'completed': {
        const opened = this.deps.sealer.open(found.response, IDEMPOTENCY_PURPOSE, binding);
        // A record no secret we hold can open (the secret was replaced): it cannot be replayed, and
        // running the request again could create a second session, so the key is refused.
        if (opened === undefined)
          throw new KassaError('IdempotencyKeyReused', {
            detail: 'The stored response for this idempotency key can no longer be read; use a new key.',
          });
        const reply = JSON.parse(opened) as StoredReply;
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
    const sealed = this.deps.sealer.seal(JSON.stringify(reply), IDEMPOTENCY_PURPOSE, ticket.binding);
    uow.idempotency.complete(ticket.merchantId, ticket.keyHash, ticket.claim, sealed);
  }

  /** Lets go of a held record whose request failed, so a retry runs again. */
  async release(ticket: IdempotencyTicket): Promise<void> {
    await this.deps.store.release(ticket.merchantId, ticket.keyHash, ticket.claim);
  }
}
