// A payment operation the processor refuses (docs/webhooks.md, "Failed operations"): Primer sends
// PAYMENT.CAPTURE.FAILED, PAYMENT.REFUND.FAILED, PAYMENT.CANCELLATION.FAILED or
// PAYMENT.AUTHORIZATION_ADJUSTMENT.FAILED for every failed attempt, and the payment's status does not
// change. The event keeps what the webhook's minimal body needs (webhooks/event-bodies.ts). Pure.
import { newUuid } from '../lib/ids.ts';
import type { Draft } from './draft.ts';

export const FAILURE_EVENT_TYPES = [
  'PAYMENT.CAPTURE.FAILED',
  'PAYMENT.REFUND.FAILED',
  'PAYMENT.CANCELLATION.FAILED',
  'PAYMENT.AUTHORIZATION_ADJUSTMENT.FAILED',
] as const;
export type FailureEventType = (typeof FAILURE_EVENT_TYPES)[number];

export const isFailureEvent = (type: string): type is FailureEventType => (FAILURE_EVENT_TYPES as readonly string[]).includes(type);

/** What a failure event's detail holds besides the amounts every payment event has. */
export interface FailureDetail {
  /** The amount the failed request asked for. */
  requestAmount: number;
  /** The failed attempt's id (the body's transactionEvent.id); a failed refund's is its REFUND transaction's. */
  transactionEventId: string;
  reason: string;
}

const WHY: Record<FailureEventType, string> = {
  'PAYMENT.CAPTURE.FAILED': 'The sandbox card refuses every capture.',
  'PAYMENT.REFUND.FAILED': 'The sandbox card refuses every refund.',
  'PAYMENT.CANCELLATION.FAILED': 'The sandbox card refuses every cancellation.',
  'PAYMENT.AUTHORIZATION_ADJUSTMENT.FAILED': 'The sandbox card refuses every authorization adjustment.',
};

/** Records a failed attempt of `type` on the draft; the payment's status and amounts stay. */
export function recordFailedOperation(draft: Draft, type: FailureEventType, requestAmount: number, transactionEventId = newUuid()): void {
  const detail: FailureDetail = { requestAmount, transactionEventId, reason: WHY[type] };
  draft.record(type, { ...detail });
}
