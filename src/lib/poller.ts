// A background loop that looks for work in the database every `pollMs` (payment jobs, webhook
// deliveries): one pass at a time, a failed pass logged and tried again next tick, and `stop()`
// waiting for the pass in progress. Tests set pollMs to 0 and call `runDue()` themselves.
import type { Logger } from 'pino';

export interface Poller {
  /** Runs one pass now (after the one in progress, if any); resolves with how much it did. */
  runDue(): Promise<number>;
  /** The same, as the timer runs it (pass(true)). */
  tick(): Promise<number>;
  stop(): Promise<void>;
  /** True once stop() was called: a pass should end early. */
  readonly stopped: boolean;
}

/** `pass(tick)` does the work; `tick` is true for the timer's passes, false for runDue()'s. */
export function startPoller(pass: (timed: boolean) => Promise<number>, pollMs: number, logger: Logger, what: string): Poller {
  let running: Promise<number> | undefined;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = pass(true)
      .catch((error: unknown) => {
        logger.warn({ err: error }, `looking for ${what} failed`);
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = pollMs > 0 ? setInterval(tick, pollMs) : undefined;
  timer?.unref();
  return {
    runDue: () => (running ? running.then(() => pass(false)) : pass(false)),
    tick: () => (running ? running.then(() => pass(true)) : pass(true)),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
    get stopped() {
      return stopped;
    },
  };
}
