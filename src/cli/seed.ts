// `kassa seed FILE` and `kassa reset [--merchant]` (docs/sandbox.md, "Seed" and "Reset"): the same code
// as KASSA_SEED at start and POST /kassa/sandbox/reset, on the store DATABASE_URL names. Like the
// server, KASSA_MODE=production seeds only merchants, keys and endpoints, and refuses a reset.
import type { Command } from 'commander';
import { systemClock } from '../lib/clock.ts';
import { readSeedFile } from '../sandbox/seed/file.ts';
import { describeSeeded } from '../sandbox/seed/describe.ts';
import { applySeed } from '../sandbox/seed/seed.ts';
import { SeedError } from '../sandbox/seed/validate.ts';
import { resetMerchant } from '../sandbox/reset/reset.ts';
import { CliError } from './cli-error.ts';
import { type CommandKit, settings, signingKeys } from './kit.ts';
import { printJson } from './output.ts';

export function seedCommands(program: Command, kit: CommandKit): void {
  const { io, env } = kit;

  program
    .command('seed')
    .description(
      'create the merchants, API keys, saved cards, webhook endpoints and sessions a seed file names (docs/seed.schema.json); ' +
        'what exists already is left as it is, and a bad file writes nothing',
    )
    .argument('<file>', 'the seed file (JSON)')
    .addOption(kit.jsonOption())
    .action(async (file: string, options: { json?: boolean }) => {
      const { config, checkout } = settings(env);
      try {
        const input = readSeedFile(file);
        const result = await kit.withStore(async (store) =>
          applySeed(input, { store, clock: systemClock, config, checkout, signingKeys: await signingKeys(store, config.tokenSecret) }),
        );
        if (options.json) printJson(io, result);
        else for (const m of result.merchants) io.out(describeSeeded(m));
      } catch (error) {
        if (error instanceof SeedError) throw new CliError(error.message);
        throw error;
      }
    });

  program
    .command('reset')
    .description(
      "empty a merchant's sessions, payments, tokens, events, deliveries and idempotency records (the merchant, its keys and endpoints stay), " +
        'as POST /kassa/sandbox/reset does',
    )
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (options: { merchant: string; json?: boolean }) => {
      if (settings(env).config.mode === 'production') {
        throw new CliError('reset is a sandbox control, and KASSA_MODE=production switches the sandbox controls off', 2);
      }
      const removed = await kit.withStore(async (store, merchants) => {
        await kit.requireMerchant(merchants, options.merchant);
        return resetMerchant(store, options.merchant);
      });
      if (options.json) printJson(io, { merchantId: options.merchant, removed });
      else {
        const counts = Object.entries(removed).map(([kind, n]) => `${n} ${kind}`);
        io.out(`Reset ${options.merchant}: removed ${counts.join(', ')}.\n`);
      }
    });
}
