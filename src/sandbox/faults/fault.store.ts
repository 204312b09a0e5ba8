// A merchant's sandbox faults: what its next requests to an operation are answered with instead of
// (phase before) or after (phase after) being served. Each fault is used `times` times, one use taken
// at a time by one conditional write, so two processes never both take the last one.
import type { Awaitable } from '../../lib/awaitable.ts';

export const FAULT_STATUSES = [429, 500, 502, 503, 504, 'timeout'] as const;
export type FaultStatus = (typeof FAULT_STATUSES)[number];
export type FaultPhase = 'before' | 'after';

export interface SandboxFault {
  id: string;
  merchantId: string;
  /** A method and route template as the OpenAPI document names them: `POST /payments/{id}/capture`. */
  operation: string;
  status: FaultStatus;
  phase: FaultPhase;
  times: number;
  /** Uses left; a fault whose last use is taken is deleted with it. */
  timesLeft: number;
  /** How long the answer waits (a timeout: how long the connection is held before it is closed). */
  delayMs: number;
  createdAt: number;
}

export interface FaultStore {
  /** Adds the fault unless the merchant already has `limit`; false then (nothing written). */
  insert(fault: SandboxFault, limit: number): Promise<boolean>;
  /** The merchant's faults, oldest first. */
  list(merchantId: string): Promise<SandboxFault[]>;
  /** False when the merchant has no such fault. */
  delete(merchantId: string, id: string): Promise<boolean>;
  /** Deletes every fault of the merchant (DELETE /kassa/sandbox/faults, and the sandbox's reset); how many. */
  deleteAll(merchantId: string): Promise<number>;
  /** The sandbox's reset: deleteAll, counted as a kind. */
  resetMerchant(merchantId: string): Promise<{ faults: number }>;
  /** Every merchant's operations that have a fault: the in-memory view's refresh (one cheap read, bounded by the faults' bound). */
  operations(): Awaitable<{ merchantId: string; operation: string }[]>;
  /**
   * Takes one use of the merchant's oldest fault on `operation`, atomically: the fault with the use
   * taken (timesLeft already lowered), or undefined when none is left (another process took it).
   */
  take(merchantId: string, operation: string): Promise<SandboxFault | undefined>;
}
