// A merchant's payments as an operator sees them (dashboard and `kassa payments list`): a summary line
// per payment, one payment with its transactions, and a customer's saved cards. A card shows only what
// a token keeps (network, first six and last four digits, expiry); a saved card is named by its vpm_
// id, never by its MULTI_USE token, which must not reach a browser (docs/payments.md, "Card data").
import { Type, type Static } from 'typebox';
import { PAYMENT_STATUSES, type StatusReason } from './model.ts';
import type { Transaction } from './payment.ts';
import type { PaymentCursor, PaymentEvent, PaymentStore, StoredPayment, StoredToken, VaultCursor } from './payment.store.ts';
import { vaultCursorText, vaultPage } from './vault.ts';

const Instant = (description: string) => Type.String({ format: 'date-time', description });
const Status = Type.Unsafe<(typeof PAYMENT_STATUSES)[number]>({ type: 'string', enum: [...PAYMENT_STATUSES] });
const Minor = (description: string) => Type.Integer({ description: `${description}, minor units` });

const CardSummary = Type.Object(
  { network: Type.String({ description: 'Display name: Visa, Mastercard, …' }), last4Digits: Type.String() },
  { title: 'DashboardCardSummary' },
);
const Card = Type.Object(
  {
    network: Type.String({ description: 'Display name: Visa, Mastercard, …' }),
    first6Digits: Type.String(),
    last4Digits: Type.String(),
    expirationMonth: Type.String(),
    expirationYear: Type.String(),
    cardholderName: Type.Optional(Type.String()),
  },
  { title: 'DashboardCard' },
);
const Reason = Type.Object(
  {
    type: Type.String(),
    declineType: Type.Optional(Type.String()),
    code: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    paymentMethodResultCode: Type.Optional(Type.String()),
    paymentMethodResultMessage: Type.Optional(Type.String()),
    advisedAction: Type.Optional(Type.String()),
  },
  { title: 'DashboardStatusReason' },
);

export const PaymentSummary = Type.Object(
  {
    id: Type.String(),
    status: Status,
    orderId: Type.String(),
    amount: Minor('Authorized amount'),
    currencyCode: Type.String(),
    amountCaptured: Minor('Captured so far'),
    amountRefunded: Minor('Refunded so far (settled refunds)'),
    paymentMethodType: Type.String({ description: 'PAYMENT_CARD, or the method paid with (ADYEN_IDEAL, PRIMER_TEST_PAYPAL, …)' }),
    card: Type.Optional(CardSummary),
    customerId: Type.Optional(Type.String()),
    sessionId: Type.Optional(Type.String({ description: 'The client session it was paid from' })),
    createdAt: Instant('When the payment was created'),
    updatedAt: Instant('When the payment last changed'),
  },
  { title: 'DashboardPaymentSummary' },
);
export type PaymentSummary = Static<typeof PaymentSummary>;

const TransactionEvent = Type.Object(
  {
    type: Type.String(),
    date: Instant('When it happened'),
    amount: Type.Optional(Type.Integer()),
    final: Type.Optional(Type.Boolean()),
  },
  { title: 'DashboardTransactionEvent' },
);
const TransactionView = Type.Object(
  {
    id: Type.String(),
    type: Type.Union([Type.Literal('SALE'), Type.Literal('REFUND')]),
    status: Status,
    amount: Minor('Amount'),
    currencyCode: Type.String(),
    date: Instant('When the transaction was made'),
    reason: Type.Optional(Type.String({ description: 'The cancel or refund reason given' })),
    statusReason: Type.Optional(Reason),
    events: Type.Array(TransactionEvent, { description: 'Authorization, adjustments, captures, cancellation, oldest first' }),
  },
  { title: 'DashboardTransaction' },
);

export const PaymentDetail = Type.Object(
  {
    ...PaymentSummary.properties,
    card: Type.Optional(Card),
    isVaulted: Type.Boolean({ description: 'The card is saved for the customer' }),
    threeDS: Type.String({ description: 'threeDSecureAuthentication.responseCode' }),
    requiredAction: Type.Optional(Type.String({ description: 'The open action the payment waits for (its token is not shown)' })),
    statusReason: Type.Optional(Reason),
    transactions: Type.Array(TransactionView, { description: 'The SALE, then one REFUND per refund' }),
  },
  { title: 'DashboardPaymentDetail' },
);
export type PaymentDetail = Static<typeof PaymentDetail>;

export const VaultedCard = Type.Object(
  {
    id: Type.String({ description: 'The vaulted method id (vpm_…)' }),
    ...Card.properties,
    default: Type.Boolean({ description: "The customer's default card" }),
    createdAt: Instant('When the card was saved'),
  },
  { title: 'DashboardVaultedCard' },
);
export type VaultedCard = Static<typeof VaultedCard>;

const iso = (ms: number) => new Date(ms).toISOString();

function reasonOf(reason: StatusReason | undefined): Static<typeof Reason> | undefined {
  if (!reason) return undefined;
  const { type, declineType, code, message, paymentMethodResultCode, paymentMethodResultMessage, advisedAction } = reason;
  return {
    type,
    ...(declineType !== undefined ? { declineType } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(paymentMethodResultCode !== undefined ? { paymentMethodResultCode } : {}),
    ...(paymentMethodResultMessage !== undefined ? { paymentMethodResultMessage } : {}),
    ...(advisedAction !== undefined ? { advisedAction } : {}),
  };
}

function cardOf(card: NonNullable<StoredToken['card']>): Static<typeof Card> {
  return {
    network: card.network,
    first6Digits: card.first6Digits,
    last4Digits: card.last4Digits,
    expirationMonth: card.expirationMonth,
    expirationYear: card.expirationYear,
    ...(card.cardholderName !== undefined ? { cardholderName: card.cardholderName } : {}),
  };
}

export function summarizePayment(payment: StoredPayment): PaymentSummary {
  const { data } = payment;
  return {
    id: payment.id,
    status: payment.status,
    orderId: data.orderId,
    amount: data.machine.amount,
    currencyCode: data.currencyCode,
    amountCaptured: data.machine.amountCaptured,
    amountRefunded: data.machine.amountRefunded,
    paymentMethodType: data.method?.paymentMethodType ?? 'PAYMENT_CARD',
    ...(data.card ? { card: { network: data.card.network, last4Digits: data.card.last4Digits } } : {}),
    ...(data.customerId !== undefined ? { customerId: data.customerId } : {}),
    ...(payment.sessionId !== undefined ? { sessionId: payment.sessionId } : {}),
    createdAt: iso(payment.createdAt),
    updatedAt: iso(payment.updatedAt),
  };
}

function describeTransaction(t: Transaction): Static<typeof TransactionView> {
  const reason = reasonOf(t.statusReason);
  return {
    id: t.id,
    type: t.type,
    status: t.status,
    amount: t.amount,
    currencyCode: t.currencyCode,
    date: iso(t.date),
    ...(t.reason !== undefined ? { reason: t.reason } : {}),
    ...(reason ? { statusReason: reason } : {}),
    events: t.events.map((e) => ({
      type: e.type,
      date: iso(e.date),
      ...(e.amount !== undefined ? { amount: e.amount } : {}),
      ...(e.final !== undefined ? { final: e.final } : {}),
    })),
  };
}

export function describePayment(payment: StoredPayment): PaymentDetail {
  const { data } = payment;
  // As the API: a status reason only on a declined or failed payment.
  const reason = payment.status === 'DECLINED' || payment.status === 'FAILED' ? reasonOf(data.statusReason) : undefined;
  const { card: _summaryCard, ...summary } = summarizePayment(payment);
  return {
    ...summary,
    ...(data.card ? { card: cardOf(data.card) } : {}),
    isVaulted: data.isVaulted,
    threeDS: data.threeDS.responseCode,
    ...(data.action ? { requiredAction: data.action.name } : {}),
    ...(reason ? { statusReason: reason } : {}),
    transactions: data.transactions.map(describeTransaction),
  };
}

export function describeVaulted(token: StoredToken): VaultedCard {
  return {
    id: token.vaultedId ?? '',
    // Only cards are saved (tokenize.ts).
    ...cardOf(token.card!),
    default: token.isDefault,
    createdAt: iso(token.createdAt),
  };
}

export interface PaymentPage {
  payments: PaymentSummary[];
  /** Where the next page starts (`createdAt.id` of this page's last payment); absent on the last page. */
  nextBefore?: string;
}

/** A `nextBefore` as the store's cursor; undefined when it is not one this module made. */
export function parseBefore(value: string): PaymentCursor | undefined {
  const match = /^(\d{1,16})\.(pay_[A-Za-z0-9]{1,64})$/.exec(value);
  return match ? { createdAt: Number(match[1]), id: match[2]!, backwards: false } : undefined;
}

/** The reads behind the dashboard's payments and vault pages and `kassa payments list`. */
export class PaymentOverview {
  constructor(private readonly store: PaymentStore) {}

  /** The merchant's payments, newest first (ties by id), optionally of some statuses only. */
  async list(
    merchantId: string,
    options: { limit: number; status?: readonly StoredPayment['status'][]; before?: PaymentCursor },
  ): Promise<PaymentPage> {
    // One more than asked tells whether another page exists.
    const filter = options.status && options.status.length > 0 ? { status: [...options.status] } : {};
    const rows = await this.store.list(merchantId, filter, options.limit + 1, options.before);
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return {
      payments: page.map(summarizePayment),
      ...(rows.length > options.limit && last ? { nextBefore: `${last.createdAt}.${last.id}` } : {}),
    };
  }

  /** A session's payments with their transactions, in the order they were made. */
  async forSession(merchantId: string, sessionId: string): Promise<PaymentDetail[]> {
    return (await this.store.listBySession(merchantId, sessionId)).map(describePayment);
  }

  async show(merchantId: string, id: string): Promise<PaymentDetail | undefined> {
    const payment = await this.store.findById(merchantId, id);
    return payment ? describePayment(payment) : undefined;
  }

  /** The payment's history: every event recorded with its changes, oldest first; undefined when there is no such payment. */
  async events(merchantId: string, id: string): Promise<PaymentEvent[] | undefined> {
    if (!(await this.store.findById(merchantId, id))) return undefined;
    return this.store.events(merchantId, id);
  }

  /** A page of the customer's live saved cards, newest first; `nextBefore` when another page follows. */
  async vault(
    merchantId: string,
    customerId: string,
    limit: number,
    before?: VaultCursor,
  ): Promise<{ cards: VaultedCard[]; nextBefore?: string }> {
    const page = vaultPage(await this.store.vaulted(merchantId, customerId, limit + 1, before), limit);
    return { cards: page.saved.map(describeVaulted), ...(page.next ? { nextBefore: vaultCursorText(page.next) } : {}) };
  }
}
