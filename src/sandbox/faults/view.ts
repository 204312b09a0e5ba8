// Which merchants have faults on which operations, in memory, so a request of a merchant without one
// costs no storage read. Correct across processes by a bounded age rather than a read per request:
//
// - the view is a snapshot of every merchant's faulted operations (one small read, bounded by the
//   faults' bound), used only while it is younger than STALE_MS; past FRESH_MS a request kicks a
//   refresh in the background, past STALE_MS it waits for one (shared by every request waiting);
// - POST /kassa/sandbox/faults answers STALE_MS after its commit (service.ts), so any process's next
//   request either reads a snapshot begun after that commit or refreshes first: it sees the fault.
//
// Ages are measured on each process's monotonic clock, so clocks of different hosts need not agree.
// A use found missing (another process took the last one) only makes that request read again.
import { then, type Awaitable } from '../../lib/awaitable.ts';
import type { FaultStore } from './fault.store.ts';

/** Past this age a request refreshes the view in the background. */
export const FRESH_MS = 100;
/** Past this age a request waits for a refresh; a new fault is answered this long after its commit. */
export const STALE_MS = 200;

const key = (merchantId: string, operation: string) => `${merchantId}\n${operation}`;

export class FaultView {
  private faulted = new Set<string>();
  /** When the read behind `faulted` began (monotonic ms). */
  private readAt = Number.NEGATIVE_INFINITY;
  private refreshing: Awaitable<void> | undefined;
  /** Faults this process added, with when they committed, until a snapshot begun after that holds them. */
  private added: { key: string; at: number }[] = [];

  constructor(
    private readonly store: Pick<FaultStore, 'operations'>,
    private readonly now: () => number = () => performance.now(),
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Whether the merchant may have a fault on the operation (true: ask the store). At once while the view is fresh. */
  mayHave(merchantId: string, operation: string): Awaitable<boolean> {
    const age = this.now() - this.readAt;
    if (age > STALE_MS) return then(this.refresh(), () => this.faulted.has(key(merchantId, operation)));
    if (age > FRESH_MS) {
      const pending = this.refresh();
      if (pending instanceof Promise) pending.catch(this.onError);
    }
    return this.faulted.has(key(merchantId, operation));
  }

  /** A fault this process just committed: in force here at once. */
  add(merchantId: string, operation: string): void {
    const k = key(merchantId, operation);
    this.faulted.add(k);
    this.added.push({ key: k, at: this.now() });
  }

  /** The store found no fault left on the operation in a read begun at `since`: forget it, unless a newer snapshot knows better. */
  none(merchantId: string, operation: string, since: number): void {
    if (since > this.readAt && !this.added.some((a) => a.at >= since && a.key === key(merchantId, operation)))
      this.faulted.delete(key(merchantId, operation));
  }

  /** Reads every merchant's faulted operations again; concurrent callers share one read. */
  refresh(): Awaitable<void> {
    if (this.refreshing !== undefined) return this.refreshing;
    const began = this.now();
    let read: Awaitable<void>;
    try {
      read = then(this.store.operations(), (rows) => {
        const next = new Set(rows.map((r) => key(r.merchantId, r.operation)));
        // Added here after the read began: it may not have seen them.
        this.added = this.added.filter((a) => a.at >= began);
        for (const a of this.added) next.add(a.key);
        this.faulted = next;
        this.readAt = began;
      });
    } catch (error) {
      this.refreshing = undefined;
      throw error;
    }
    if (!(read instanceof Promise)) return read;
    this.refreshing = read.finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }
}
