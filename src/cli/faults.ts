// `kassa faults list|add|delete|clear`: a merchant's sandbox faults from the operator's shell
// (docs/sandbox.md, "Faults"). The commands open the store from DATABASE_URL and call the FaultService
// the server uses; the operations a fault may name are learnt from the routes an app built on the same
// configuration registers (built and closed, never listening). --json prints what the API answers.
import { type Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { buildApp } from '../app.ts';
import { systemClock } from '../lib/clock.ts';
import { createMetrics } from '../lib/metrics.ts';
import { FAULT_STATUSES, type FaultStatus } from '../sandbox/faults/fault.store.ts';
import { renderFault } from '../sandbox/faults/routes.ts';
import { FaultService, MAX_DELAY_MS, MAX_TIMES } from '../sandbox/faults/service.ts';
import type { Store } from '../storage/store.ts';
import { CliError } from './cli-error.ts';
import { type CommandKit, parseWhole, settings, signingKeys } from './kit.ts';
import { iso, printJson, printTable } from './output.ts';

function parseStatus(value: string): FaultStatus {
  const status = value === 'timeout' ? value : Number(value);
  if (!(FAULT_STATUSES as readonly (string | number)[]).includes(status)) {
    throw new InvalidArgumentError(`must be one of ${FAULT_STATUSES.join(', ')}`);
  }
  return status as FaultStatus;
}

export function faultCommands(program: Command, kit: CommandKit): void {
  const { io, env } = kit;
  /** A FaultService on the store, knowing the operations the server serves, for a merchant that exists. */
  const withFaults = <T>(merchantId: string, work: (faults: FaultService) => Promise<T>): Promise<T> => {
    const { config, checkout } = settings(env);
    if (config.mode === 'production') throw new CliError('The sandbox controls are off: KASSA_MODE is production.', 2);
    return kit.withStore(async (store: Store, merchants) => {
      await kit.requireMerchant(merchants, merchantId);
      const logger = pino({ level: 'silent' });
      const faults = new FaultService({ store, clock: systemClock, logger, metrics: createMetrics() });
      const keys = await signingKeys(store, config.tokenSecret);
      // Pollers off (0): the app is built for its routes only.
      const app = await buildApp({
        store,
        clock: systemClock,
        config,
        logger,
        signingKeys: keys,
        checkout,
        jobPollMs: 0,
        onRoute: faults.learnRoute,
      });
      try {
        await app.ready();
      } finally {
        await app.close();
      }
      return work(faults);
    });
  };

  const group = program
    .command('faults')
    .description("a merchant's sandbox faults: its next requests to an operation answered with an error");

  group
    .command('list')
    .description('list the faults, oldest first')
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (options: { merchant: string; json?: boolean }) => {
      const faults = await withFaults(options.merchant, (f) => f.list(options.merchant));
      if (options.json) return printJson(io, faults.map(renderFault));
      printTable(
        io,
        ['ID', 'OPERATION', 'STATUS', 'PHASE', 'LEFT', 'DELAY MS', 'CREATED'],
        faults.map((f) => [f.id, f.operation, String(f.status), f.phase, `${f.timesLeft}/${f.times}`, String(f.delayMs), iso(f.createdAt)]),
        `No sandbox faults for ${options.merchant}.`,
      );
    });

  group
    .command('add')
    .description('add a fault, e.g. kassa faults add "POST /payments" --status 503')
    .argument('<operation>', 'a method and a route template as the OpenAPI document names them, e.g. "POST /payments/{id}/capture"')
    .addOption(new Option('--status <status>', `${FAULT_STATUSES.join(', ')}`).argParser(parseStatus).makeOptionMandatory())
    .addOption(new Option('--times <n>', `how many of the next requests get it (1 to ${MAX_TIMES})`).argParser(parseWhole(1, MAX_TIMES)))
    .addOption(new Option('--phase <phase>', 'before: not served; after: served, then the answer replaced').choices(['before', 'after']))
    .addOption(
      new Option('--delay-ms <ms>', `how long the answer waits, or a timeout holds (0 to ${MAX_DELAY_MS})`).argParser(
        parseWhole(0, MAX_DELAY_MS),
      ),
    )
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(
      async (
        operation: string,
        options: { status: FaultStatus; times?: number; phase?: 'before' | 'after'; delayMs?: number; merchant: string; json?: boolean },
      ) => {
        const made = await withFaults(options.merchant, (f) =>
          f.add(options.merchant, {
            operation,
            status: options.status,
            ...(options.times !== undefined ? { times: options.times } : {}),
            ...(options.phase ? { phase: options.phase } : {}),
            ...(options.delayMs !== undefined ? { delayMs: options.delayMs } : {}),
          }),
        );
        if (options.json) return printJson(io, renderFault(made));
        io.out(`Added fault ${made.id}: the next ${made.times} ${made.operation} answered ${made.status} (${made.phase}).\n`);
      },
    );

  group
    .command('delete')
    .description('delete one fault')
    .argument('<faultId>', 'the fault id, as `kassa faults list` shows it')
    .addOption(kit.merchantOption())
    .action(async (id: string, options: { merchant: string }) => {
      await withFaults(options.merchant, (f) => f.delete(options.merchant, id));
      io.out(`Deleted fault ${id}.\n`);
    });

  group
    .command('clear')
    .description("delete all the merchant's faults")
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (options: { merchant: string; json?: boolean }) => {
      const deleted = await withFaults(options.merchant, (f) => f.clear(options.merchant));
      if (options.json) return printJson(io, { deleted });
      io.out(`Deleted ${deleted} fault${deleted === 1 ? '' : 's'}.\n`);
    });
}
