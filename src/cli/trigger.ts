// `kassa trigger <type>` and `kassa dispute <paymentId> <status>`: a merchant's triggered events and
// disputes from the operator's shell (docs/sandbox.md, "Triggers" and "Disputes and failure events"),
// through the services POST /kassa/sandbox/events and POST /kassa/sandbox/payments/{id}/dispute call.
// What they write is the outbox, so a server on the same database delivers it as it would the API's.
// --json prints what the API answers.
import { randomUUID } from 'node:crypto';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { systemClock } from '../lib/clock.ts';
import type { Context } from '../lib/context.ts';
import { DISPUTE_STATUSES, DISPUTE_TYPES, type DisputeStatus, type DisputeType, nextSteps } from '../payments/disputes/machine.ts';
import { Disputes } from '../payments/disputes/service.ts';
import { Triggers } from '../sandbox/events/service.ts';
import type { Store } from '../storage/store.ts';
import { subjectOf } from '../webhooks/event-bodies.ts';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/webhook.store.ts';
import { CliError } from './cli-error.ts';
import { type CommandKit, parseWhole, settings } from './kit.ts';
import { printJson } from './output.ts';

/** The API's bounds on an id (sandbox/events/routes.ts, payments/disputes/routes.ts). */
const MAX_ID = 100;
const MAX_REASON_CODE = 16;
const MAX_REASON = 255;

const parseId = (value: string): string => {
  if (value.length < 1 || value.length > MAX_ID) throw new InvalidArgumentError(`must be 1 to ${MAX_ID} characters`);
  return value;
};

const parseLength = (min: number, max: number) => (value: string) => {
  if (value.length < min || value.length > max) throw new InvalidArgumentError(`must be ${min} to ${max} characters`);
  return value;
};

/** One of `values`, in any case: DISPUTE_STATUSES and DISPUTE_TYPES are upper case. */
const parseOneOf =
  <T extends string>(values: readonly T[]) =>
  (value: string): T => {
    const upper = value.toUpperCase();
    if (!(values as readonly string[]).includes(upper)) throw new InvalidArgumentError(`must be one of ${values.join(', ')}`);
    return upper as T;
  };

// What a service needs of a request: the version answers are written in, and an id the history shows (cli:…).
const ctxFor = (merchantId: string): Context => ({ merchantId, apiVersion: '2.4', requestId: `cli:${randomUUID()}` });

export function triggerCommands(program: Command, kit: CommandKit): void {
  const { io, env } = kit;
  /** The store for a merchant that exists, refused before it is opened when the sandbox controls are off. */
  const withMerchant = <T>(merchantId: string, command: 'trigger' | 'dispute', work: (store: Store) => Promise<T>): Promise<T> => {
    const { config } = settings(env);
    if (config.mode === 'production') {
      throw new CliError(`${command} is a sandbox control, and KASSA_MODE=production switches the sandbox controls off`, 2);
    }
    // As the server, which serves no dispute route without payments.
    if (command === 'dispute' && !config.payments)
      throw new CliError('disputes are about payments, and KASSA_PAYMENTS=off switches them off', 2);
    return kit.withStore(async (store, merchants) => {
      await kit.requireMerchant(merchants, merchantId);
      return work(store);
    });
  };

  program
    .command('trigger')
    .description(
      'send an event now for an existing payment or session, with the object as it is; marked triggered in its history, ' +
        'and delivered by a server on this database to the endpoints that take its type',
    )
    .argument('<type>', `the event type: ${WEBHOOK_EVENT_TYPES.join(', ')}`)
    .addOption(new Option('--payment <id>', 'the payment (PAYMENT.* and DISPUTE.* events)').argParser(parseId))
    .addOption(new Option('--session <id>', 'the client session (CLIENT_SESSION.* events)').argParser(parseId))
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (type: string, options: { payment?: string; session?: string; merchant: string; json?: boolean }) => {
      if ((options.payment === undefined) === (options.session === undefined))
        throw new CliError('give --payment or --session, one of them');
      // A known type about the other object: said in the CLI's words (the service would name the API's fields).
      if ((WEBHOOK_EVENT_TYPES as readonly string[]).includes(type)) {
        const subject = subjectOf(type);
        if ((subject === 'payment') !== (options.payment !== undefined))
          throw new CliError(`a ${type} event is about a ${subject}: give --${subject}`);
      }
      const event = await withMerchant(options.merchant, 'trigger', (store) =>
        new Triggers({ store, clock: systemClock }).trigger(ctxFor(options.merchant), options.merchant, {
          type,
          ...(options.payment !== undefined ? { paymentId: options.payment } : { clientSessionId: options.session as string }),
        }),
      );
      if (options.json) return printJson(io, event);
      const about = 'paymentId' in event ? `payment ${event.paymentId} (${event.status})` : `session ${event.clientSessionId}`;
      io.out(
        `Triggered ${event.type} ${event.id} for ${about}, version ${event.version}; ` +
          'a server on this database delivers it to the endpoints that take its type.\n',
      );
    });

  program
    .command('dispute')
    .description('open a dispute on a settled payment, or move it one step (sends DISPUTE.OPENED and DISPUTE.STATUS)')
    .argument('<paymentId>', 'the payment id (pay_…)', parseId)
    .argument('<status>', `the step's status: ${DISPUTE_STATUSES.join(', ')}`, parseOneOf(DISPUTE_STATUSES))
    .addOption(
      new Option(
        '--type <type>',
        `${DISPUTE_TYPES.join(', ')}; when absent, OPEN opens the next type and any other status keeps the current one`,
      ).argParser(parseOneOf(DISPUTE_TYPES)),
    )
    .addOption(
      new Option('--amount <n>', 'opening only: the disputed amount in minor units (default: captured minus refunded)').argParser(
        parseWhole(1, Number.MAX_SAFE_INTEGER),
      ),
    )
    .addOption(
      new Option('--reason-code <code>', "opening only: the scheme's reason code (default 10.4)").argParser(
        parseLength(1, MAX_REASON_CODE),
      ),
    )
    .addOption(
      new Option('--reason <text>', "opening only, with --reason-code: Primer's unified reason").argParser(parseLength(0, MAX_REASON)),
    )
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(
      async (
        paymentId: string,
        status: DisputeStatus,
        options: { type?: DisputeType; amount?: number; reasonCode?: string; reason?: string; merchant: string; json?: boolean },
      ) => {
        // The API drops a reason without its code; the shell says so instead.
        if (options.reason !== undefined && options.reasonCode === undefined) throw new CliError('--reason goes with --reason-code');
        const dispute = await withMerchant(options.merchant, 'dispute', (store) =>
          new Disputes({ store, clock: systemClock }).advance(ctxFor(options.merchant), options.merchant, paymentId, {
            status,
            ...(options.type !== undefined ? { type: options.type } : {}),
            ...(options.amount !== undefined ? { amount: options.amount } : {}),
            ...(options.reasonCode !== undefined ? { reasonCode: options.reasonCode } : {}),
            ...(options.reason !== undefined ? { reason: options.reason } : {}),
          }),
        );
        if (options.json) return printJson(io, dispute);
        const next = nextSteps(dispute).map((s) => `${s.type} ${s.status}`);
        io.out(
          [
            `Dispute ${dispute.id} on ${dispute.paymentId}: ${dispute.type} ${dispute.status}`,
            `  amount     ${dispute.amount} ${dispute.currencyCode}`,
            `  reason     ${dispute.reasonCode}${dispute.reason ? ` ${dispute.reason}` : ''}`,
            ...(dispute.challengeRequiredBy !== undefined ? [`  challenge  by ${dispute.challengeRequiredBy}`] : []),
            `  next       ${next.length > 0 ? next.join(', ') : 'none: the dispute is over'}`,
            '',
          ].join('\n'),
        );
      },
    );
}
