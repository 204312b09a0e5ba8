// Each merchant's time: the system clock plus the offset the merchant advanced its sandbox clock by.
// The offsets live in memory, so asking the time costs no read. This process learns them when it
// starts, when it advances one, and from every merchant request's key lookup, which reads the
// merchant's offset in the same statement (storage/<engine>/merchants.ts): another process's advance
// is seen by the next request of that merchant here, at no extra round trip (docs/sandbox.md, "Clock").
import type { Clock } from '../../lib/clock.ts';
import type { SandboxClockStore } from './clock.store.ts';

export class MerchantClocks {
  private readonly offsets = new Map<string, number>();

  constructor(private readonly system: Clock) {}

  /** The merchant's now (ms); the system's without a merchant or an offset. A Clock, bound. */
  readonly now: Clock = (merchantId) => {
    const base = this.system();
    if (merchantId === undefined || this.offsets.size === 0) return base;
    return base + (this.offsets.get(merchantId) ?? 0);
  };

  offsetOf(merchantId: string): number {
    return this.offsets.get(merchantId) ?? 0;
  }

  /** What storage says the merchant's offset is now (0 or absent: none). */
  observe(merchantId: string, offsetMs: number | undefined): void {
    if (offsetMs) this.offsets.set(merchantId, offsetMs);
    else if (this.offsets.size > 0) this.offsets.delete(merchantId);
  }

  /** Every offset storage holds, replacing what this process knew. */
  async load(store: Pick<SandboxClockStore, 'offsets'>): Promise<void> {
    const all = await store.offsets();
    this.offsets.clear();
    for (const [merchantId, offsetMs] of all) this.offsets.set(merchantId, offsetMs);
  }
}
