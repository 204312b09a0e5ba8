// `kassa clock show|advance <seconds>`: a merchant's sandbox clock from the operator's shell
// (docs/sandbox.md, "Clock"), through the service the API uses. A running server sees an advance at
// the merchant's next request, and its job runner runs what became due at its next look.
import type { Command } from 'commander';
import { systemClock } from '../lib/clock.ts';
import { MerchantClocks } from '../sandbox/clock/merchant-clocks.ts';
import type { ClockState } from '../sandbox/clock/schemas.ts';
import { MAX_OFFSET_SECONDS, SandboxClock } from '../sandbox/clock/service.ts';
import { CliError } from './cli-error.ts';
import { type CommandKit, parseWhole, settings } from './kit.ts';
import { printJson } from './output.ts';

export function clockCommands(program: Command, kit: CommandKit): void {
  const { io, env } = kit;
  const withClock = (merchantId: string, work: (clock: SandboxClock) => Promise<ClockState>) => {
    const { config } = settings(env);
    if (config.mode === 'production') {
      throw new CliError('clock is a sandbox control, and KASSA_MODE=production switches the sandbox controls off', 2);
    }
    return kit.withStore(async (store, merchants) => {
      await kit.requireMerchant(merchants, merchantId);
      return work(new SandboxClock({ store, clocks: new MerchantClocks(systemClock), retentionMs: config.purge.retentionMs }));
    });
  };
  const print = (state: ClockState, json?: boolean) => {
    if (json) printJson(io, state);
    else io.out(`${state.now} (offset ${state.offsetSeconds} s)\n`);
  };
  const group = program.command('clock').description("a merchant's sandbox clock: how far ahead it runs, and moving it forward");
  group
    .command('show')
    .description("the merchant's time and its offset from the system clock")
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (options: { merchant: string; json?: boolean }) => {
      print(await withClock(options.merchant, (clock) => clock.show(options.merchant)), options.json);
    });
  group
    .command('advance')
    .description('move the merchant clock forward by <seconds> (whole, > 0; ten years at most in all)')
    .argument('<seconds>', 'seconds to move forward', parseWhole(1, MAX_OFFSET_SECONDS))
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (seconds: number, options: { merchant: string; json?: boolean }) => {
      print(await withClock(options.merchant, (clock) => clock.advance(options.merchant, seconds)), options.json);
    });
}
