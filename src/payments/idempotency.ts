// X-Idempotency-Key on payment creation and actions, as Primer does it (docs/payments.md,
// "Idempotency"): not a replay. A key whose request completed (any 2xx, a declined payment included)
// is refused with 409 IdempotencyKeyAlreadyExists naming the payment and its status; a key still in
// flight gets 409 IdempotencyKeyInFlight; a request that fails (4xx or 5xx) does not use the key up.
// The key is completed in the unit of work of the change it answers, so a crash never leaves a change
// without its key or a key without its change. Records share the idempotency table of the session
// API, under a hash of (route, payment, key), scoped to the merchant.
import { KassaError } from '../errors.ts';
import type { IdempotencyStore } from '../idempotency/idempotency.store.ts';
import { IN_FLIGHT_RETRY_AFTER_SECONDS } from '../idempotency/service.ts';
import { isBefore } from '../primer/versions.ts';
import type { Clock } from '../lib/clock.ts';
import { newClaim, sha256 } from '../lib/ids.ts';
import type { UnitOfWork } from '../storage/unit-of-work.ts';
import type { StoredPayment } from './payment.store.ts';

/** How long a key is remembered. */
export const PAYMENT_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** A holder that has not finished by then is presumed dead, and the key may be taken over. */
const IN_FLIGHT_MS = 60_000;
/** Payment keys are not fingerprinted by body: any reuse is refused. */
const ANY_REQUEST = 'payment-key';

export interface KeyedRequest {
  merchantId: string;
  /** create, authorize, capture, … */
  route: string;
  /** The payment acted on; none for create. */
  paymentId?: string;
  /** X-Idempotency-Key, if sent. */
  key?: string;
  apiVersion: string;
}

/** Completes the key in the unit of work that commits `payment`. */
export type CompleteKey = (uow: UnitOfWork, payment: StoredPayment) => void;

export class PaymentKeys {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Runs `work` under the request's key: `work` must call `complete` in the unit of work of its change.
   * Without a key it simply runs.
   */
  async run<T>(request: KeyedRequest, work: (complete: CompleteKey) => Promise<T>): Promise<T> {
    if (request.key === undefined) return work(() => {});
    if (request.key === '' || request.key.length > 255) {
      throw new KassaError('RequestValidationError', {
        validationErrors: [{ model: 'Headers', errors: [{ path: 'X-Idempotency-Key', description: 'Must be 1 to 255 characters.' }] }],
      });
    }
    const keyHash = sha256(`payments\n${request.route}\n${request.paymentId ?? ''}\n${request.key}`);
    const now = this.clock();
    const claim = newClaim();
    const begun = await this.store.begin({
      merchantId: request.merchantId,
      keyHash,
      requestHash: ANY_REQUEST,
      claim,
      now,
      expiresAt: now + PAYMENT_KEY_TTL_MS,
      lockedUntil: now + IN_FLIGHT_MS,
    });
    if (begun.state === 'in-flight') throw new KassaError('IdempotencyKeyInFlight', { retryAfterSeconds: IN_FLIGHT_RETRY_AFTER_SECONDS });
    if (begun.state === 'completed' || begun.state === 'mismatch') {
      const done = begun.state === 'completed' ? (JSON.parse(begun.response) as { paymentId: string; paymentStatus: string }) : undefined;
      const errorId =
        request.route === 'create' && isBefore(request.apiVersion, '2.3')
          ? 'TransactionRequestIdempotencyKeyAlreadyExists'
          : 'IdempotencyKeyAlreadyExists';
      throw new KassaError(errorId, done ? { extra: { paymentId: done.paymentId, paymentStatus: done.paymentStatus } } : {});
    }
    try {
      return await work((uow, payment) =>
        uow.idempotency.complete(
          request.merchantId,
          keyHash,
          claim,
          JSON.stringify({ paymentId: payment.id, paymentStatus: payment.status }),
        ),
      );
    } catch (error) {
      // Nothing was committed: the key stays free for a corrected retry.
      await this.store.release(request.merchantId, keyHash, claim).catch(() => {});
      throw error;
    }
  }
}
