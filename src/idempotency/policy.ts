// What a route does with a repeated idempotency key. Every route that takes keys declares one policy
// (http/pipeline.ts); the header rule and the step are the same for all (requests.ts).

export type IdempotencyPolicy =
  /**
   * The first answer again, byte for byte, marked Idempotent-Replayed (the Client Session API: Primer
   * takes no key there, so Kassa's own rule). The same key with another request is 422.
   */
  | { repeat: 'replay' }
  /**
   * Primer's Payments API: a repeat is refused with 409 IdempotencyKeyAlreadyExists naming the payment
   * the first request made (400 TransactionRequestIdempotencyKeyAlreadyExists for a create below
   * 2.3), whatever its body. A key is scoped to `scope` (create, or the action) and the payment acted on.
   */
  | { repeat: 'refuse'; scope: string };

export const REPLAY: IdempotencyPolicy = { repeat: 'replay' };
export const refuseRepeats = (scope: string): IdempotencyPolicy => ({ repeat: 'refuse', scope });
