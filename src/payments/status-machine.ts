// The payment status machine, in one pure module: which action each status allows, the error for
// every one it does not, and what captures, cancels and refunds do to the amounts
// (docs/payments.md, "Status machine"). The service asks here before it changes anything; nothing
// else decides a transition.
import type { PaymentStatus } from './model.ts';

export type PaymentAction = 'authorize' | 'capture' | 'cancel' | 'refund' | 'resume' | 'adjust';

/** What a PENDING payment waits for: nothing (authorize), an action (3DS), or an async step. */
export type PendingStep = 'idle' | 'action' | 'async';

/** One capture, as refunds can name it (transactionEventId). */
export interface CaptureRecord {
  eventId: string;
  amount: number;
  /** Settled refunds made against this capture. */
  refunded: number;
}

/** The part of a payment the machine reads and changes. */
export interface MachineState {
  status: PaymentStatus;
  /** Set while status is PENDING. */
  pending?: PendingStep;
  /** Whether further captures are allowed (closed by a final capture, the full amount, or a cancel). */
  capturingOpen: boolean;
  authorizationType: 'FINAL' | 'ESTIMATED';
  /** The authorized amount. */
  amount: number;
  amountCaptured: number;
  /** Settled refunds only. */
  amountRefunded: number;
  captures: CaptureRecord[];
}

/** A refusal: the service turns it into the named KassaError. */
export type Refusal =
  | {
      errorId:
        | 'InvalidPaymentStatus'
        | 'PaymentAlreadyAuthorized'
        | 'PaymentIsNotAuthorizedYet'
        | 'IncorrectPaymentAuthorizationType'
        | 'PaymentAlreadyRefunded';
    }
  | { errorId: 'NoActionsToHandle' }
  | { errorId: 'RefundLimitExceeded'; limit: number }
  | { errorId: 'UnprocessableRefundAmount'; amount: number; limit: number }
  | { errorId: 'RequestValidationError'; path: string; description: string };

const VERB: Record<PaymentAction, string> = {
  authorize: 'authorized',
  capture: 'captured',
  cancel: 'cancelled',
  refund: 'refunded',
  resume: 'resumed',
  adjust: 'adjusted',
};

/** "A payment with status SETTLED cannot be captured." */
export const refusalMessage = (status: PaymentStatus, action: PaymentAction) =>
  `A payment with status ${status} cannot be ${VERB[action]}.`;

const IPS: Refusal = { errorId: 'InvalidPaymentStatus' };
const PAA: Refusal = { errorId: 'PaymentAlreadyAuthorized' };
const NAY: Refusal = { errorId: 'PaymentIsNotAuthorizedYet' };

const isFinal = (s: PaymentStatus) => s === 'DECLINED' || s === 'FAILED' || s === 'CANCELLED';

/** Whether `action` may run on a payment in `state`: undefined when it may, else why not. */
export function refusal(state: MachineState, action: PaymentAction): Refusal | undefined {
  const { status } = state;
  const pending = status === 'PENDING' ? (state.pending ?? 'idle') : undefined;
  switch (action) {
    case 'authorize':
      if (pending === 'idle') return undefined;
      if (status === 'AUTHORIZED' || status === 'PARTIALLY_SETTLED') return PAA;
      return IPS;
    case 'capture':
      if (status === 'AUTHORIZED') return undefined;
      if (status === 'PARTIALLY_SETTLED' && state.capturingOpen) return undefined;
      return IPS;
    case 'cancel':
      if (status === 'PENDING' || status === 'AUTHORIZED') return undefined;
      if (status === 'PARTIALLY_SETTLED' && state.capturingOpen) return undefined;
      return IPS;
    case 'refund':
      if (status === 'SETTLED' || status === 'PARTIALLY_SETTLED') {
        return state.amountCaptured - state.amountRefunded <= 0 ? { errorId: 'PaymentAlreadyRefunded' } : undefined;
      }
      return IPS;
    case 'resume':
      if (pending === 'action') return undefined;
      if (pending === 'async') return { errorId: 'NoActionsToHandle' };
      return IPS;
    case 'adjust':
      if (status !== 'AUTHORIZED') return NAY;
      if (state.authorizationType !== 'ESTIMATED') return { errorId: 'IncorrectPaymentAuthorizationType' };
      return undefined;
  }
}

/** The status an authorization result moves a PENDING payment to. */
export function afterAuthorization(state: MachineState, result: 'AUTHORIZED' | 'DECLINED' | 'FAILED'): MachineState {
  return { ...state, status: result, pending: undefined, capturingOpen: result === 'AUTHORIZED' };
}

/** PENDING, now waiting for `step`. */
export function pendingOn(state: MachineState, step: PendingStep): MachineState {
  return { ...state, status: 'PENDING', pending: step };
}

export interface CaptureRequest {
  amount?: number;
  /** Default true: no capture after this one. */
  final?: boolean;
  /** The card settles captures asynchronously: SETTLING first. */
  settling: boolean;
  eventId: string;
}

/**
 * A capture: the amount defaults to what is left, must lie in 1..that; the full amount or `final`
 * closes capturing. Returns the new state and the captured amount, or a refusal.
 */
export function capture(state: MachineState, request: CaptureRequest): { state: MachineState; amount: number } | Refusal {
  const refused = refusal(state, 'capture');
  if (refused) return refused;
  const left = state.amount - state.amountCaptured;
  const amount = request.amount ?? left;
  if (!Number.isInteger(amount) || amount < 1 || amount > left) {
    return {
      errorId: 'RequestValidationError',
      path: '$.amount',
      description: `The amount to capture must be between 1 and the ${left} left to capture.`,
    };
  }
  const captured = state.amountCaptured + amount;
  const open = captured < state.amount && request.final === false;
  const settled: PaymentStatus = captured === state.amount ? 'SETTLED' : 'PARTIALLY_SETTLED';
  return {
    amount,
    state: {
      ...state,
      status: request.settling ? 'SETTLING' : settled,
      pending: undefined,
      capturingOpen: open,
      amountCaptured: captured,
      captures: [...state.captures, { eventId: request.eventId, amount, refunded: 0 }],
    },
  };
}

/** SETTLING, once the processor has settled: SETTLED, or PARTIALLY_SETTLED when less was captured. */
export function settle(state: MachineState): MachineState {
  if (state.status !== 'SETTLING') return state;
  return { ...state, status: state.amountCaptured === state.amount ? 'SETTLED' : 'PARTIALLY_SETTLED' };
}

/**
 * A cancel: PENDING (whatever it waits for) and AUTHORIZED become CANCELLED; PARTIALLY_SETTLED with
 * capturing open releases the rest and closes capturing, keeping its status.
 */
export function cancel(state: MachineState): MachineState | Refusal {
  const refused = refusal(state, 'cancel');
  if (refused) return refused;
  if (state.status === 'PARTIALLY_SETTLED') return { ...state, capturingOpen: false };
  return { ...state, status: 'CANCELLED', pending: undefined, capturingOpen: false };
}

/** Refunds one payment may have, settled or failed: each is a transaction every later webhook body and answer carries. */
export const MAX_REFUNDS = 100;

export interface RefundRequest {
  amount?: number;
  /** REFUND transactions the payment has already (settled or failed). */
  refundsSoFar?: number;
  /** A CAPTURE_SUCCEEDED event of this payment: the refund is against that capture. */
  captureEventId?: string;
  /** The card makes every refund fail: nothing is refunded. */
  fails: boolean;
}

/**
 * A refund: limited to what was captured minus settled refunds (or, against one capture, that capture
 * minus its refunds). Status is unchanged; a failed refund refunds nothing.
 */
export function refund(state: MachineState, request: RefundRequest): { state: MachineState; amount: number; settled: boolean } | Refusal {
  const refused = refusal(state, 'refund');
  if (refused) return refused;
  if ((request.refundsSoFar ?? 0) >= MAX_REFUNDS) return { errorId: 'RefundLimitExceeded', limit: MAX_REFUNDS };
  let limit = state.amountCaptured - state.amountRefunded;
  let against: CaptureRecord | undefined;
  if (request.captureEventId !== undefined) {
    against = state.captures.find((c) => c.eventId === request.captureEventId);
    if (!against) {
      return { errorId: 'RequestValidationError', path: '$.transactionEventId', description: 'Not a capture event of this payment.' };
    }
    limit = against.amount - against.refunded;
    if (limit <= 0) return { errorId: 'PaymentAlreadyRefunded' };
  }
  const amount = request.amount ?? limit;
  if (!Number.isInteger(amount) || amount < 1) {
    return { errorId: 'RequestValidationError', path: '$.amount', description: 'The amount to refund must be at least 1.' };
  }
  if (amount > limit) return { errorId: 'UnprocessableRefundAmount', amount, limit };
  if (request.fails) return { state, amount, settled: false };
  // Against no capture in particular, the refund is spread over the captures, oldest first.
  let rest = amount;
  const captures = state.captures.map((c) => {
    if (against ? c.eventId !== against.eventId : rest === 0) return c;
    const take = Math.min(rest, c.amount - c.refunded);
    rest -= take;
    return { ...c, refunded: c.refunded + take };
  });
  return { state: { ...state, amountRefunded: state.amountRefunded + amount, captures }, amount, settled: true };
}

/** adjust-authorization on an ESTIMATED, AUTHORIZED payment: the new authorized amount. */
export function adjust(state: MachineState, amount: number): MachineState | Refusal {
  const refused = refusal(state, 'adjust');
  if (refused) return refused;
  return { ...state, amount };
}

/** A payment action's outcome is a refusal (vs a new state). */
export const isRefusal = (value: unknown): value is Refusal => typeof value === 'object' && value !== null && 'errorId' in value;

/** Statuses a payment may move to from each status (the property test checks every path stays inside). */
export const NEXT_STATUSES: Record<PaymentStatus, readonly PaymentStatus[]> = {
  PENDING: ['PENDING', 'AUTHORIZED', 'DECLINED', 'FAILED', 'CANCELLED'],
  AUTHORIZED: ['AUTHORIZED', 'SETTLING', 'PARTIALLY_SETTLED', 'SETTLED', 'CANCELLED'],
  SETTLING: ['SETTLING', 'PARTIALLY_SETTLED', 'SETTLED'],
  PARTIALLY_SETTLED: ['PARTIALLY_SETTLED', 'SETTLING', 'SETTLED'],
  SETTLED: ['SETTLED'],
  DECLINED: ['DECLINED'],
  FAILED: ['FAILED'],
  CANCELLED: ['CANCELLED'],
};

export const isTerminal = (status: PaymentStatus) => isFinal(status) || status === 'SETTLED';
