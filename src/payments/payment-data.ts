// What a new payment holds: the fields a payment-creating call sends merged over its token's session,
// checked as the session API checks them, with what a payment needs (docs/payments.md, "Payments
// API"). No store and no clock: the instant and the sandbox's processor come in as arguments.
import type { SandboxSettings } from '../checkout/configuration.ts';
import { KassaError, validationError, type FieldError } from '../errors.ts';
import { newUuid } from '../lib/ids.ts';
import { amountErrors, sessionAmount } from '../primer/money.ts';
import { applyPatch } from '../sessions/merge.ts';
import type { SessionData } from '../sessions/schemas.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import { scenarioByKey } from './cards.ts';
import type { PaymentData } from './payment.ts';
import type { SavedCardOf, StoredToken } from './payment.store.ts';
import type { MachineState } from './status-machine.ts';

/** What a payment-creating call sends, besides the token (fields sent win over the session's). */
export interface CreateInput {
  paymentMethodToken: string;
  orderId?: string;
  currencyCode?: string;
  amount?: number;
  order?: Record<string, unknown>;
  customerId?: string;
  customer?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  paymentMethod?: Record<string, unknown>;
}

/** At creation: the customer the payment may vault its card for, from what is sent over the token's session. */
export const creationVaultCustomer =
  (input: CreateInput): SavedCardOf =>
  ({ token, session }) => {
    if (token?.tokenType !== 'SINGLE_USE') return undefined;
    const method = { ...session?.data.paymentMethod, ...input.paymentMethod } as Record<string, unknown>;
    const vaults = method.vaultOnSuccess === true || method.vaultOn3DS === true || method.vaultOnAgreement === true;
    return vaults ? (input.customerId ?? session?.data.customerId) : undefined;
  };

/** Merges the request over the token's session; checks what a payment needs. */
export function paymentData(
  input: CreateInput,
  token: StoredToken,
  session: StoredSession | undefined,
  processor: SandboxSettings['processor'],
  now: number,
): PaymentData {
  const { paymentMethodToken: _token, metadata, ...fields } = input;
  const base: SessionData = session ? structuredClone(session.data) : {};
  if (token.tokenType === 'MULTI_USE' && base.customerId === undefined && token.customerId) base.customerId = token.customerId;
  const merged = applyPatch(base, fields as Parameters<typeof applyPatch>[1]);
  if (metadata || base.metadata) merged.metadata = { ...base.metadata, ...(metadata as SessionData['metadata']) };
  // The session API's money rules on the merged order: a total past 2^53-1 would be stored rounded.
  const money = amountErrors(merged);
  if (money.length > 0) throw validationError('PaymentCreationAPIRequest', money);
  const amount = input.amount ?? sessionAmount(merged);
  const missing: FieldError[] = [];
  if (amount === undefined) missing.push({ path: '$.amount', description: 'Missing fields for payment.' });
  if (merged.currencyCode === undefined) missing.push({ path: '$.currencyCode', description: 'Missing fields for payment.' });
  if (merged.orderId === undefined) missing.push({ path: '$.orderId', description: 'Missing fields for payment.' });
  if (missing.length > 0) throw validationError('PaymentCreationAPIRequest', missing);
  const method = (merged.paymentMethod ?? {}) as Record<string, unknown>;
  const vaults = method.vaultOnSuccess === true || method.vaultOn3DS === true || method.vaultOnAgreement === true;
  if (vaults && merged.customerId === undefined) {
    throw validationError('PaymentCreationAPIRequest', [
      { path: '$.customerId', description: 'A customerId is needed to vault the payment method.' },
    ]);
  }
  if (merged.metadata && Object.hasOwn(merged.metadata, '')) throw new KassaError('MetadataContainsEmptyKey');
  const authorizationType = method.authorizationType === 'ESTIMATED' ? 'ESTIMATED' : 'FINAL';
  const machine: MachineState = {
    status: 'PENDING',
    pending: 'idle',
    capturingOpen: true,
    authorizationType,
    amount: amount!,
    amountCaptured: 0,
    amountRefunded: 0,
    captures: [],
  };
  return {
    orderId: merged.orderId!,
    currencyCode: merged.currencyCode!,
    ...(merged.order ? { order: merged.order as Record<string, unknown> } : {}),
    ...(merged.customerId !== undefined ? { customerId: merged.customerId } : {}),
    ...(merged.customer ? { customer: merged.customer as Record<string, unknown> } : {}),
    ...(merged.metadata && Object.keys(merged.metadata).length > 0 ? { metadata: merged.metadata as Record<string, unknown> } : {}),
    options: {
      authorizationType,
      ...(typeof method.paymentType === 'string' ? { paymentType: method.paymentType } : {}),
      ...(typeof method.descriptor === 'string' ? { descriptor: method.descriptor } : {}),
      ...(method.vaultOnSuccess === true ? { vaultOnSuccess: true } : {}),
      ...(method.vaultOn3DS === true ? { vaultOn3DS: true } : {}),
      ...(method.vaultOnAgreement === true ? { vaultOnAgreement: true } : {}),
      ...(typeof method.firstPaymentReason === 'string' ? { firstPaymentReason: method.firstPaymentReason } : {}),
    },
    paymentMethodToken: token.token,
    tokenType: token.tokenType,
    isVaulted: token.tokenType === 'MULTI_USE' || token.customerId !== undefined,
    analyticsId: token.analyticsId,
    ...(token.card ? { card: token.card } : {}),
    ...(token.method ? { method: token.method } : {}),
    scenario: token.scenario,
    cvvCheck: token.cvvGiven ? (scenarioByKey(token.scenario)?.cvvResult ?? 'MATCHED') : 'NOT_PROVIDED',
    threeDS: { responseCode: 'NOT_PERFORMED' },
    processor: { ...processor },
    machine,
    transactions: [
      {
        id: newUuid(),
        type: 'SALE',
        date: now,
        amount: amount!,
        currencyCode: merged.currencyCode!,
        orderId: merged.orderId!,
        status: 'PENDING',
        events: [],
      },
    ],
  };
}
