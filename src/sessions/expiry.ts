// CLIENT_SESSION.EXPIRED (docs/webhooks.md, "Events"): once a session's token expires on its merchant's
// time, the event is recorded in its history, once, and delivered to the endpoints that name it. Every
// process looks for newly expired sessions; the store's mark makes one of them record each
// (session.store.ts, recordExpired). A sandbox clock advance runs a pass at once (sandbox/clock/).
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import { startPoller, type Poller } from '../lib/poller.ts';
import { expiredEvent } from './history.ts';
import type { SessionStore } from './session.store.ts';

/** How often expired sessions are looked for: an event at most about a second late. */
export const SESSION_EXPIRY_POLL_MS = 1000;
const BATCH = 100;
/** Batches one pass records at most: the rest waits for the next pass. */
const MAX_BATCHES = 50;

export type SessionExpiry = Pick<Poller, 'runDue' | 'stop'>;

/** `clock` is the system's: each session is judged on its merchant's time in the store's query. */
export function startSessionExpiry(
  store: Pick<SessionStore, 'recordExpired'>,
  clock: Clock,
  logger: Logger,
  pollMs = SESSION_EXPIRY_POLL_MS,
): SessionExpiry {
  const poller: Poller = startPoller(
    async () => {
      let recorded = 0;
      for (let i = 0; i < MAX_BATCHES && !poller.stopped; i++) {
        const n = await store.recordExpired(clock(), BATCH, expiredEvent);
        recorded += n;
        if (n < BATCH) break;
      }
      return recorded;
    },
    pollMs,
    logger,
    'expired sessions',
  );
  return poller;
}
