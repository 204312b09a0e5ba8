// The bodies of the payment events that are not the payment itself (docs/webhooks.md, "Events"), in
// Primer's shapes: a failed operation's minimal body (Payment Operation Failure, API 2.4), and the
// dispute notifications DISPUTE.OPENED and DISPUTE.STATUS. Each is built from its event's detail, the
// step or attempt as it was, and the payment's fixed fields. Pure.
import type { FailureDetail } from '../payments/failure-events.ts';
import type { StoredPayment, PaymentEvent } from '../payments/payment.store.ts';

/** Which stored events a delivery's subject is: a session's for CLIENT_SESSION.*, else a payment's. */
export const subjectOf = (eventType: string): 'session' | 'payment' => (eventType.startsWith('CLIENT_SESSION.') ? 'session' : 'payment');

/** PAYMENT.*.FAILED: the envelope, the payment in four fields, the amount asked for and the failed attempt's id. */
export function failureBody(envelope: Record<string, unknown>, payment: StoredPayment, event: PaymentEvent) {
  const detail = event.detail as Partial<FailureDetail> & { amount?: number };
  return {
    ...envelope,
    payment: {
      id: payment.id,
      amount: detail.amount ?? payment.data.machine.amount,
      currencyCode: payment.data.currencyCode,
      orderId: payment.data.orderId,
    },
    ...(detail.requestAmount !== undefined ? { requestAmount: detail.requestAmount } : {}),
    transactionEvent: { id: detail.transactionEventId ?? event.id },
  };
}

interface DisputeDetail {
  disputeId: string;
  disputeType: string;
  disputeStatus: string;
  disputeAmount: number;
  currencyCode: string;
  reasonCode: string;
  reason: string;
  receivedAt: number;
  challengeRequiredBy?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** DISPUTE.OPENED and DISPUTE.STATUS: Primer's dispute payloads carry no envelope, only their own fields. */
export function disputeBody(type: 'DISPUTE.OPENED' | 'DISPUTE.STATUS', payment: StoredPayment, event: PaymentEvent, version: string) {
  const d = event.detail as unknown as DisputeDetail;
  const sale = payment.data.transactions.find((t) => t.type === 'SALE');
  const common = {
    primerAccountId: payment.merchantId,
    ...(sale ? { transactionId: sale.id } : {}),
    orderId: payment.data.orderId,
  };
  if (type === 'DISPUTE.OPENED') {
    return {
      eventType: type,
      version,
      ...common,
      processorId: payment.data.processor.name,
      processorDisputeId: d.disputeId,
      paymentId: payment.id,
    };
  }
  const network = payment.data.card?.binData.network ?? payment.data.method?.wallet?.network;
  return {
    eventType: type,
    version,
    type: d.disputeType,
    status: d.disputeStatus,
    ...common,
    paymentId: payment.id,
    paymentMethod: {
      paymentMethodType: payment.data.method?.paymentMethodType ?? 'PAYMENT_CARD',
      ...(network ? { paymentMethodData: { network } } : {}),
    },
    processor: payment.data.processor.name,
    processorDisputeId: d.disputeId,
    receivedAt: iso(d.receivedAt),
    ...(d.challengeRequiredBy !== undefined ? { challengeRequiredBy: iso(d.challengeRequiredBy) } : {}),
    reason: d.reason,
    reasonCode: d.reasonCode,
    processorReason: d.reason,
    amount: d.disputeAmount,
    currency: d.currencyCode,
    merchantId: payment.data.processor.processorMerchantId,
  };
}
