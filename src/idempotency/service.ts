// Idempotency keys, one service for every route that takes them; the route's policy says what a
// repeat gets (policy.ts). Records live in the database, and the record of a request is completed in
// the same transaction as the change it answers, so a retry after a crash repeats the first outcome,
// never the change (docs/operations.md, "Idempotency"). The same key with another request is refused;
// a duplicate while the first is still running is told to retry.
//
// A replayed answer holds a client token, and tokens are never stored in clear: it is sealed (lib/seal.ts)
// bound to the client's idempotency key and to its record. The database keeps only a hash of the key,
// so the database alone (a backup, a leaked file) cannot open a stored answer; only a client that sends
// the same key again, to a server holding the secret, gets it back.
import { createHash } from 'node:crypto';
import { KassaError } from '../errors.ts';
import { isBefore } from '../primer/versions.ts';
import type { Clock } from '../lib/clock.ts';
import type { FirstOutcome } from '../lib/context.ts';
import { newClaim, sha256 } from '../lib/ids.ts';
import { IDEMPOTENCY_PURPOSE, type Binding, type Sealer } from '../lib/seal.ts';
import type { UnitOfWork } from '../storage/unit-of-work.ts';
import type { IdempotencyStore } from './idempotency.store.ts';
import type { IdempotencyPolicy } from './policy.ts';

/** The parts of a response a replay gives back. */
export interface StoredReply {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** After this (ms since epoch) the reply's client token no longer works, and it is not replayed. */
  validUntil?: number;
}

/** A request under its key: who sends it, to which route (its policy), and what it asks. */
export interface KeyedRequest {
  merchantId: string;
  key: string;
  policy: IdempotencyPolicy;
  /** The payment acted on (a refusing policy's key is scoped to it). */
  paymentId?: string;
  apiVersion: string;
  /** Fingerprint of the request (requestFingerprint); a refusing policy refuses any repeat, so ignores it. */
  fingerprint: string;
}

/** An in-flight claim, held by the request that made it until it completes or releases. */
export interface IdempotencyTicket {
  merchantId: string;
  keyHash: string;
  requestHash: string;
  claim: string;
  policy: IdempotencyPolicy;
  /** What the sealed answer is bound to (the client's key, and this record). */
  binding: Binding;
}

export type BeginOutcome = { state: 'new'; ticket: IdempotencyTicket } | { state: 'replay'; reply: StoredReply };

export interface IdempotencyDeps {
  store: IdempotencyStore;
  clock: Clock;
  /** How long a replayed answer is kept (KASSA_IDEMPOTENCY_TTL_SECONDS). */
  ttlMs: number;
  sealer: Sealer;
  /** How long an in-flight claim holds before another request may take it over (a crashed process). */
  lockMs?: number;
}

/** Seconds a client is told to wait when its key is in flight. */
export const IN_FLIGHT_RETRY_AFTER_SECONDS = 1;
/** How long a payment key is remembered, as Primer (docs/payments.md, "Idempotency"). */
export const PAYMENT_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** A refusing policy's records all share one request hash: any repeat is refused, whatever its body. */
const ANY_REQUEST = 'payment-key';

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

/** The record's key hash: a replayed key is the merchant's alone, a payment key is scoped to its route and payment. */
function keyHashOf(request: KeyedRequest): string {
  const { policy, key } = request;
  return policy.repeat === 'replay' ? sha256(key) : sha256(`payments\n${policy.scope}\n${request.paymentId ?? ''}\n${key}`);
}

export class IdempotencyService {
  private readonly lockMs: number;

  constructor(private readonly deps: IdempotencyDeps) {
    this.lockMs = deps.lockMs ?? 60_000;
  }

  /**
   * Claims the key for this request, or returns the stored reply to replay. Throws what the policy
   * answers a repeat with: IdempotencyKeyReused (replay: another request used the key),
   * IdempotencyKeyAlreadyExists (refuse), or IdempotencyKeyInFlight.
   */
  async begin(request: KeyedRequest): Promise<BeginOutcome> {
    const { merchantId, policy } = request;
    const keyHash = keyHashOf(request);
    const requestHash = policy.repeat === 'replay' ? request.fingerprint : ANY_REQUEST;
    const now = this.deps.clock(merchantId);
    const found = await this.deps.store.begin({
      merchantId,
      keyHash,
      requestHash,
      claim: newClaim(),
      now,
      expiresAt: now + (policy.repeat === 'replay' ? this.deps.ttlMs : PAYMENT_KEY_TTL_MS),
      lockedUntil: now + this.lockMs,
    });
    const binding: Binding = { secret: request.key, record: `${merchantId}\n${keyHash}\n${requestHash}` };
    switch (found.state) {
      case 'new':
        return { state: 'new', ticket: { merchantId, keyHash, requestHash, claim: found.claim, policy, binding } };
      case 'in-flight':
        throw new KassaError('IdempotencyKeyInFlight', { retryAfterSeconds: IN_FLIGHT_RETRY_AFTER_SECONDS });
      case 'mismatch':
        if (policy.repeat === 'refuse') throw refusal(request, undefined);
        throw new KassaError('IdempotencyKeyReused');
      case 'completed': {
        if (policy.repeat === 'refuse') throw refusal(request, JSON.parse(found.response) as FirstOutcome);
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

  /** Records the answer to replay (sealed) on the held record, in the unit of work of the change it answers. */
  complete(uow: UnitOfWork, ticket: IdempotencyTicket, reply: StoredReply): void {
    const sealed = this.deps.sealer.seal(JSON.stringify(reply), IDEMPOTENCY_PURPOSE, ticket.binding);
    uow.idempotency.complete(ticket.merchantId, ticket.keyHash, ticket.claim, sealed);
  }

  /** Records what a refused repeat names (nothing secret, kept in clear), in the unit of work of the change. */
  completeRefusing(uow: UnitOfWork, ticket: IdempotencyTicket, first: FirstOutcome): void {
    const named: FirstOutcome = { paymentId: first.paymentId, paymentStatus: first.paymentStatus };
    uow.idempotency.complete(ticket.merchantId, ticket.keyHash, ticket.claim, JSON.stringify(named));
  }

  /** Lets go of a held record whose request failed, so a retry runs again. */
  async release(ticket: IdempotencyTicket): Promise<void> {
    await this.deps.store.release(ticket.merchantId, ticket.keyHash, ticket.claim);
  }
}

/** Primer's answer to a repeated payment key: 409, or 400 for a create below 2.3 (its changelog). */
function refusal(request: KeyedRequest, first: FirstOutcome | undefined): KassaError {
  const scope = request.policy.repeat === 'refuse' ? request.policy.scope : '';
  const errorId =
    scope === 'create' && isBefore(request.apiVersion, '2.3')
      ? 'TransactionRequestIdempotencyKeyAlreadyExists'
      : 'IdempotencyKeyAlreadyExists';
  return new KassaError(errorId, first ? { extra: { paymentId: first.paymentId, paymentStatus: first.paymentStatus } } : {});
}
