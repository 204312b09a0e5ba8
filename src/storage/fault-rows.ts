// The sandbox_faults row ↔ SandboxFault, for both engines.
import type { FaultPhase, FaultStatus, SandboxFault } from '../sandbox/faults/fault.store.ts';

export interface FaultRow {
  id: string;
  merchant_id: string;
  operation: string;
  status: string;
  phase: string;
  times: number;
  times_left: number;
  delay_ms: number;
  created_at: number | string;
}

/** A status is stored as text: a number, or `timeout`. */
export const faultStatusColumn = (status: FaultStatus): string => String(status);

export function toFault(row: FaultRow): SandboxFault {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    operation: row.operation,
    status: (row.status === 'timeout' ? 'timeout' : Number(row.status)) as FaultStatus,
    phase: row.phase as FaultPhase,
    times: Number(row.times),
    timesLeft: Number(row.times_left),
    delayMs: Number(row.delay_ms),
    createdAt: Number(row.created_at),
  };
}
