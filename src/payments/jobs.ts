// The payments' durable jobs: async authorizations, settlements and required actions left open too
// long are rows in the database (written with the change that schedules them), so they survive a
// restart. Every process polls for due jobs; a job runs on the one process that claims it, and the
// change it makes is serialised with every other change to its payment. An authorization past its
// validity is found from its payment instead (no row per authorized payment: the payment's own row,
// PaymentStore.lapsedAuthorizations), and the change finds nothing left to expire if another process
// expired it first. The sandbox helper `advance` runs a payment's pending step the same way, on demand.
import type { Logger } from 'pino';
import { KassaError } from '../errors.ts';
import type { Clock } from '../lib/clock.ts';
import { originOf, type Context } from '../lib/context.ts';
import { startPoller, type Poller } from '../lib/poller.ts';
import type { UnitOfWork } from '../storage/unit-of-work.ts';
import { expireAuthorization } from './authorization-validity.ts';
import { ACTION_EXPIRED, finish, scenarioOf } from './authorize.ts';
import { Draft } from './draft.ts';
import type { Locked, PaymentJob, PaymentStore, StoredPayment } from './payment.store.ts';
import { settle } from './status-machine.ts';
import { closeAction, commit, notFound, vaultingCustomer, type PaymentSteps } from './steps.ts';

/** How often due jobs are looked for. */
export const JOB_POLL_MS = 250;
/** How long a claimed job is this process's: one that crashed mid-job is retried after it. */
const CLAIM_MS = 30_000;
const BATCH = 20;

export type JobRunner = Pick<Poller, 'runDue' | 'stop'>;

/** `authorizationValidityMs`: how long an authorization can be captured (config.ts). */
export function startJobRunner(
  store: PaymentStore,
  service: Pick<PaymentJobs, 'runJob'>,
  clock: Clock,
  logger: Logger,
  authorizationValidityMs: number,
  pollMs = JOB_POLL_MS,
): JobRunner {
  const run = async (job: PaymentJob) => {
    try {
      await service.runJob(job);
      return 1;
    } catch (error) {
      // A claimed job is tried again once the claim lapses; a lapsed authorization at the next poll.
      logger.error({ err: error, job: { id: job.id, kind: job.kind, paymentId: job.paymentId } }, 'payment job failed');
      return 0;
    }
  };
  const poller: Poller = startPoller(
    async () => {
      let done = 0;
      const now = clock();
      for (const job of await store.dueJobs(now, BATCH)) {
        if (poller.stopped) break;
        if (await store.claimJob(job.id, now, now + CLAIM_MS)) done += await run(job);
      }
      for (const job of await store.lapsedAuthorizations(now - authorizationValidityMs, BATCH)) {
        if (poller.stopped) break;
        done += await run(job);
      }
      return done;
    },
    pollMs,
    logger,
    'payment jobs',
  );
  return poller;
}

/** A due step run on its payment: by the runner when its job is due, or by `advance` now. */
export class PaymentJobs {
  constructor(private readonly steps: PaymentSteps) {}

  /** Runs one due job (startJobRunner claimed it): an async authorization, a settlement, an expired action or authorization. */
  async runJob(job: PaymentJob): Promise<void> {
    const key = { kind: 'payment', merchantId: job.merchantId, paymentId: job.paymentId, savedCardOf: vaultingCustomer } as const;
    await this.steps.store.change(key, (locked, uow) => {
      const payment = locked.payment;
      uow.payments.dropJobs(job.paymentId, job.kind);
      if (!payment) return;
      const draft = new Draft(payment, uow, this.steps.deps.clock(payment.merchantId), {}, false);
      if (!this.step(draft, locked, uow, job.kind)) return;
      commit(draft, uow, () => {});
    });
  }

  /** The sandbox helper `advance`: runs the payment's pending async step now. */
  async advance(ctx: Context, merchantId: string, id: string): Promise<StoredPayment> {
    return this.steps.store.change({ kind: 'payment', merchantId, paymentId: id, savedCardOf: vaultingCustomer }, (locked, uow) => {
      const payment = locked.payment;
      if (!payment) throw notFound('get');
      const draft = new Draft(payment, uow, this.steps.deps.clock(merchantId), originOf(ctx), false);
      const kind = payment.status === 'SETTLING' ? 'settle' : 'authorize';
      if (!this.step(draft, locked, uow, kind)) {
        throw new KassaError('InvalidPaymentStatus', {
          detail: 'The payment has no asynchronous step to run.',
          extra: { paymentId: payment.id, paymentStatus: payment.status },
        });
      }
      draft.dropJobs(kind);
      return commit(draft, uow, () => {});
    });
  }

  /** Applies a due step to the draft; false when the payment no longer waits for it. */
  private step(draft: Draft, locked: Locked, uow: UnitOfWork, kind: PaymentJob['kind']): boolean {
    const machine = draft.data.machine;
    switch (kind) {
      case 'authorize':
        if (machine.status !== 'PENDING' || machine.pending !== 'async') return false;
        finish(draft, scenarioOf(draft).authorization, this.steps.hooks(locked, uow, undefined));
        return true;
      case 'settle':
        if (machine.status !== 'SETTLING') return false;
        draft.apply(settle(machine));
        return true;
      case 'expire-action':
        if (machine.status !== 'PENDING' || machine.pending !== 'action' || (draft.data.action?.expiresAt ?? 0) > draft.now) return false;
        closeAction(draft);
        draft.apply({ ...machine, status: 'FAILED', pending: undefined, capturingOpen: false }, ACTION_EXPIRED);
        return true;
      case 'expire-authorization':
        return expireAuthorization(draft, this.steps.deps.authorizationValidityMs);
    }
  }
}
