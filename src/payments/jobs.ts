// The payments' durable jobs: async authorizations, settlements and required actions left open too
// long are rows in the database (written with the change that schedules them), so they survive a
// restart. Every process polls for due jobs; a job runs on the one process that claims it, and the
// change it makes is serialised with every other change to its payment.
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import { startPoller, type Poller } from '../lib/poller.ts';
import type { PaymentStore } from './payment.store.ts';
import type { PaymentService } from './service.ts';

/** How often due jobs are looked for. */
export const JOB_POLL_MS = 250;
/** How long a claimed job is this process's: one that crashed mid-job is retried after it. */
const CLAIM_MS = 30_000;
const BATCH = 20;

export type JobRunner = Pick<Poller, 'runDue' | 'stop'>;

export function startJobRunner(
  store: PaymentStore,
  service: PaymentService,
  clock: Clock,
  logger: Logger,
  pollMs = JOB_POLL_MS,
): JobRunner {
  const poller: Poller = startPoller(
    async () => {
      let done = 0;
      const now = clock();
      for (const job of await store.dueJobs(now, BATCH)) {
        if (poller.stopped) break;
        if (!(await store.claimJob(job.id, now, now + CLAIM_MS))) continue;
        try {
          await service.runJob(job);
          done++;
        } catch (error) {
          // Left claimed: it is tried again once the claim lapses.
          logger.error({ err: error, job: { id: job.id, kind: job.kind, paymentId: job.paymentId } }, 'payment job failed');
        }
      }
      return done;
    },
    pollMs,
    logger,
    'payment jobs',
  );
  return poller;
}
