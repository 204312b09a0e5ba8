// What the sandbox clock needs from storage; engines implement it in storage/<engine>/sandbox-clocks.ts.
// A merchant without a row has no offset: its time is the system's.

export interface SandboxClockStore {
  /** Every merchant's offset (ms) that is not zero: a process learns them all when it starts. */
  offsets(): Promise<Map<string, number>>;
  /** The merchant's offset (ms); 0 without a row. */
  offsetOf(merchantId: string): Promise<number>;
  /**
   * Adds `byMs` (> 0) to the merchant's offset in one statement, so two advances at once both count,
   * unless the total would pass `maxMs`: the new offset, or undefined when refused (nothing changed).
   */
  advance(merchantId: string, byMs: number, maxMs: number, at: number): Promise<number | undefined>;
  /** Forgets the merchant's offset (the sandbox's reset): 1 clock removed, or 0 when it had none. */
  resetMerchant(merchantId: string): Promise<{ clocks: number }>;
}
