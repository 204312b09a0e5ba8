// A dispute's life (docs/sandbox.md, "Disputes and failure events"), after Primer's unified dispute
// lifecycle: a type (RETRIEVAL, DISPUTE, PREARBITRATION) and a status that depends on it. Which step may
// follow which is Kassa's reading of Primer's lifecycle page [I where the page is silent]; one dispute
// per payment, and every path through the table is at most MAX_DISPUTE_STEPS long. Pure.

export const DISPUTE_TYPES = ['RETRIEVAL', 'DISPUTE', 'PREARBITRATION'] as const;
export type DisputeType = (typeof DISPUTE_TYPES)[number];
/** Primer's DISPUTE.STATUS `status` values. */
export const DISPUTE_STATUSES = ['OPEN', 'ACCEPTED', 'CHALLENGED', 'EXPIRED', 'CANCELLED', 'WON', 'LOST'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

export interface DisputeStep {
  type: DisputeType;
  status: DisputeStatus;
}

type Key = `${DisputeType}:${DisputeStatus}` | 'NONE';
const key = (s: DisputeStep | undefined): Key => (s ? `${s.type}:${s.status}` : 'NONE');
const step = (k: string): DisputeStep => {
  const [type, status] = k.split(':') as [DisputeType, DisputeStatus];
  return { type, status };
};

/** What may follow each step; a step missing here ends the dispute. */
const NEXT: Partial<Record<Key, readonly string[]>> = {
  // Visa and Mastercard skip retrievals: a dispute may open directly.
  NONE: ['RETRIEVAL:OPEN', 'DISPUTE:OPEN'],
  'RETRIEVAL:OPEN': ['RETRIEVAL:CHALLENGED', 'RETRIEVAL:EXPIRED', 'RETRIEVAL:CANCELLED', 'DISPUTE:OPEN'],
  'RETRIEVAL:CHALLENGED': ['DISPUTE:OPEN', 'RETRIEVAL:CANCELLED'],
  'RETRIEVAL:EXPIRED': ['DISPUTE:OPEN'],
  'DISPUTE:OPEN': ['DISPUTE:ACCEPTED', 'DISPUTE:CHALLENGED', 'DISPUTE:EXPIRED', 'DISPUTE:CANCELLED'],
  'DISPUTE:CHALLENGED': ['DISPUTE:WON', 'DISPUTE:LOST'],
  // The issuer may contest a dispute the merchant won.
  'DISPUTE:WON': ['PREARBITRATION:OPEN'],
  'PREARBITRATION:OPEN': ['PREARBITRATION:ACCEPTED', 'PREARBITRATION:CHALLENGED', 'PREARBITRATION:EXPIRED', 'PREARBITRATION:CANCELLED'],
  'PREARBITRATION:CHALLENGED': ['PREARBITRATION:WON', 'PREARBITRATION:LOST'],
};

/** The longest path through NEXT: what one payment's dispute can record at most. */
export const MAX_DISPUTE_STEPS = 8;

/** The steps that may follow `current` (undefined: no dispute yet). */
export function nextSteps(current: DisputeStep | undefined): DisputeStep[] {
  return (NEXT[key(current)] ?? []).map(step);
}

/** The type a request without one means: OPEN opens the next type (first a DISPUTE), any other status stays in the current type. */
function impliedType(current: DisputeStep | undefined, status: DisputeStatus): DisputeType {
  if (status !== 'OPEN') return current?.type ?? 'DISPUTE';
  if (!current) return 'DISPUTE';
  return current.type === 'RETRIEVAL' ? 'DISPUTE' : 'PREARBITRATION';
}

export type DisputeRefusal = { refused: true; allowed: DisputeStep[] };

/** The step a request asks for, if it may follow `current`; else a refusal naming what may. */
export function advanceDispute(
  current: DisputeStep | undefined,
  request: { status: DisputeStatus; type?: DisputeType },
): DisputeStep | DisputeRefusal {
  const wanted: DisputeStep = { type: request.type ?? impliedType(current, request.status), status: request.status };
  const allowed = nextSteps(current);
  return allowed.some((s) => s.type === wanted.type && s.status === wanted.status) ? wanted : { refused: true, allowed };
}

export const isDisputeRefusal = (r: DisputeStep | DisputeRefusal): r is DisputeRefusal => 'refused' in r;

/** A step after which nothing may follow. */
export const isFinalStep = (s: DisputeStep): boolean => nextSteps(s).length === 0;

/** A payment's dispute as it stands, kept with the payment (its data), so a step is one change of the payment. */
export interface DisputeRecord extends DisputeStep {
  /** processorDisputeId: the same across the dispute's steps. */
  id: string;
  /** The disputed amount, at most what was captured and not refunded when it opened. */
  amount: number;
  currencyCode: string;
  /** The card scheme's reason code, and Primer's unified reason for it. */
  reasonCode: string;
  reason: string;
  openedAt: number;
  /** When the step was received: the body's receivedAt. */
  receivedAt: number;
  /** While a step waits for the merchant (OPEN): by when it must be challenged. */
  challengeRequiredBy?: number;
  /** Steps recorded so far (at most MAX_DISPUTE_STEPS). */
  steps: number;
}
