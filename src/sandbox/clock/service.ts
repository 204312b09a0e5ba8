// The merchant's sandbox clock: how far it is ahead, and moving it forward. Advancing does at once to
// that merchant's data what the time passing would (docs/sandbox.md, "Clock"): what decides by the
// merchant's time (token and session expiry, idempotency records, pending actions, jobs) sees the new
// time at once; the sessions it expired get their CLIENT_SESSION.EXPIRED, those past their retention
// are deleted here, the due jobs are run now rather than at the runner's next look, and the
// dispatcher starts on the deliveries (and retries) now due.
import { KassaError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import type { SessionStore } from '../../sessions/session.store.ts';
import type { SandboxClockStore } from './clock.store.ts';
import type { MerchantClocks } from './merchant-clocks.ts';
import type { ClockState } from './schemas.ts';

/** How far a merchant's clock may run ahead in all: ten years (of 365 days) keeps every date valid and far from overflow. */
export const MAX_OFFSET_SECONDS = 10 * 365 * 86_400;
const PURGE_BATCH = 500;
const PURGE_BATCHES = 100;

export interface SandboxClockDeps {
  store: { sandboxClocks: SandboxClockStore; sessions: Pick<SessionStore, 'purgeExpiredOf'> };
  clocks: MerchantClocks;
  /** Sessions are kept this long after they expire (KASSA_PURGE_RETENTION_SECONDS). */
  retentionMs: number;
  /** Records CLIENT_SESSION.EXPIRED now for the sessions the advance expired (sessions/expiry.ts). */
  recordExpiredSessions?: () => Promise<unknown>;
  /** Runs the payments' due jobs now (absent when payments are off). */
  runDueJobs?: () => Promise<unknown>;
  /** Starts sending the webhook deliveries now due, the retries the advance brought due among them, without waiting for them. */
  sendDueWebhooks?: () => void;
}

export class SandboxClock {
  constructor(private readonly deps: SandboxClockDeps) {}

  /** GET /kassa/sandbox/clock. The stored offset, not this process's memory: another process may have advanced it. */
  async show(merchantId: string): Promise<ClockState> {
    const offsetMs = await this.deps.store.sandboxClocks.offsetOf(merchantId);
    this.deps.clocks.observe(merchantId, offsetMs);
    return this.state(merchantId);
  }

  /** POST /kassa/sandbox/clock: forward only, whole seconds, within MAX_OFFSET_SECONDS in all; refused, nothing changes. */
  async advance(merchantId: string, seconds: number): Promise<ClockState> {
    if (!Number.isSafeInteger(seconds) || seconds <= 0 || seconds > MAX_OFFSET_SECONDS) throw refused(seconds);
    const system: Clock = () => this.deps.clocks.now();
    const offsetMs = await this.deps.store.sandboxClocks.advance(merchantId, seconds * 1000, MAX_OFFSET_SECONDS * 1000, system());
    if (offsetMs === undefined) throw refused(seconds, 'it would take the clock more than ten years ahead in all');
    this.deps.clocks.observe(merchantId, offsetMs);
    await this.catchUp(merchantId);
    return this.state(merchantId);
  }

  /** What the purger and the job runner would do for this merchant by its new time, done now. */
  private async catchUp(merchantId: string): Promise<void> {
    // Before the purge, so a session the advance took past expiry still has its event recorded.
    await this.deps.recordExpiredSessions?.();
    const before = this.deps.clocks.now(merchantId) - this.deps.retentionMs;
    for (let i = 0; i < PURGE_BATCHES; i++) {
      if ((await this.deps.store.sessions.purgeExpiredOf(merchantId, before, PURGE_BATCH)) < PURGE_BATCH) break;
    }
    await this.deps.runDueJobs?.();
    this.deps.sendDueWebhooks?.();
  }

  private state(merchantId: string): ClockState {
    return {
      now: new Date(this.deps.clocks.now(merchantId)).toISOString(),
      offsetSeconds: Math.floor(this.deps.clocks.offsetOf(merchantId) / 1000),
    };
  }
}

function refused(seconds: unknown, why = 'advanceSeconds must be a whole number greater than 0'): KassaError {
  return new KassaError('InvalidClockAdvance', { detail: `Cannot advance the clock by ${String(seconds)} seconds: ${why}.` });
}
