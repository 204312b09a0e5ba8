// The `kassa` command: serve, migrate, and the operator's chores on merchants, API keys, sessions,
// payments (payments.ts) and webhooks (webhooks.ts).
// Every command uses DATABASE_URL like the server; every command that creates or lists takes --json
// and then writes only JSON to stdout. Errors go to stderr with a non-zero exit.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { KASSA_VERSION } from '../app.ts';
import { ERROR_CATALOGUE, KassaError } from '../errors.ts';
import { systemClock } from '../lib/clock.ts';
import { describeDatabase, parseDatabaseUrl } from '../config.ts';
import { DEFAULT_MERCHANT_ID, Merchants, SCOPES } from '../merchants/merchants.ts';
import { compileFirstSchemas, serve } from '../server.ts';
import { SessionOverview } from '../sessions/overview.ts';
import { openStore } from '../storage/open.ts';
import { purgeExpired } from '../storage/purge.ts';
import type { Store } from '../storage/store.ts';
import { CliError } from './cli-error.ts';
import { clockCommands } from './clock.ts';
import { iso, printJson, printTable, processIo, type Io } from './output.ts';
import { faultCommands } from './faults.ts';
import { paymentCommands } from './payments.ts';
import { seedCommands } from './seed.ts';
import { triggerCommands } from './trigger.ts';
import { webhookCommands } from './webhooks.ts';

type Env = Record<string, string | undefined>;

export { CliError };

const MERCHANT_ID = /^mer_[A-Za-z0-9_-]{1,64}$/;
const MAX_SESSIONS = 1000;

function parseScopes(value: string): string[] {
  const scopes = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`unknown scope ${unknown.join(', ') || '(none given)'}; known scopes: ${SCOPES.join(', ')}`);
  }
  return [...new Set(scopes)];
}

function parseLimit(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_SESSIONS) {
    throw new InvalidArgumentError(`must be a whole number from 1 to ${MAX_SESSIONS}`);
  }
  return Number(value);
}

function parseWhole(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return Number(value);
  };
}

function parseInstant(value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('must be an ISO 8601 date-time or milliseconds since the epoch');
  return ms;
}

function parseMerchantId(value: string): string {
  if (!MERCHANT_ID.test(value)) throw new InvalidArgumentError('must look like mer_<letters, digits, _ or ->');
  return value;
}

export function buildProgram(env: Env, io: Io): Command {
  const withStore = async <T>(work: (store: Store, merchants: Merchants) => Promise<T>): Promise<T> => {
    const target = parseDatabaseUrl(env.DATABASE_URL || 'sqlite:./data/kassa.db');
    if (typeof target === 'string') throw new CliError(target, 2);
    // A command is over in a moment: no checkpoint thread (see OpenOptions).
    const store = await openStore(target, { backgroundCheckpoints: false });
    const merchants = new Merchants(store, systemClock);
    try {
      // Migrating is idempotent, so a command works on a database no server has opened yet.
      await store.migrate();
      return await work(store, merchants);
    } finally {
      // No merchant means no server ever started here: most likely not the database meant, so say which it is.
      const empty = await merchants.listMerchants().then(
        (list) => list.length === 0,
        () => false,
      );
      if (empty)
        io.err(`kassa: ${describeDatabase(target)} has no merchants: no server has started on it (is DATABASE_URL the server's?)\n`);
      await store.close();
    }
  };
  const requireMerchant = async (merchants: Merchants, id: string) => {
    if (!(await merchants.findMerchant(id))) {
      throw new CliError(
        `no merchant ${id} (\`kassa merchants list\` shows them; the default merchant is made when the server first starts)`,
      );
    }
  };
  const merchantOption = () => new Option('-m, --merchant <id>', 'merchant id').default(DEFAULT_MERCHANT_ID).argParser(parseMerchantId);
  const jsonOption = () => new Option('--json', 'print only JSON, for scripts');

  const program = new Command('kassa')
    .description('Run and operate a Kassa server. Every command reads DATABASE_URL, like the server (default sqlite:./data/kassa.db).')
    .version(KASSA_VERSION)
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    // The program's own options (--version, --help) only before a command: `kassa webhooks create --version 2.3` is the endpoint's.
    .enablePositionalOptions()
    .exitOverride();

  program
    .command('serve')
    .description('start the HTTP server (what `npm start` runs); configured by environment variables, see the README')
    .option('-p, --port <port>', 'TCP port (overrides PORT)')
    .option('--host <host>', 'interface to listen on (overrides HOST)')
    .action(async (options: { port?: string; host?: string }) => {
      await serve({ ...env, ...(options.port ? { PORT: options.port } : {}), ...(options.host ? { HOST: options.host } : {}) });
      compileFirstSchemas();
    });

  program
    .command('migrate')
    .description('apply pending database migrations, then exit')
    .addOption(jsonOption())
    .action(async (options: { json?: boolean }) => {
      const engine = await withStore(async (store) => store.engine);
      if (options.json) printJson(io, { engine, migrated: true });
      else io.out(`Migrations applied (${engine}).\n`);
    });

  const merchants = program.command('merchants').description('create and list merchants');
  merchants
    .command('create')
    .description('create a merchant')
    .argument('<name>', 'display name')
    .addOption(new Option('--id <id>', 'choose the id (mer_…); generated when absent').argParser(parseMerchantId))
    .addOption(jsonOption())
    .action(async (name: string, options: { id?: string; json?: boolean }) => {
      if (name.trim().length === 0 || name.length > 200) throw new CliError('name: must be 1 to 200 characters');
      const merchant = await withStore(async (_store, m) => {
        if (options.id && (await m.findMerchant(options.id))) throw new CliError(`merchant ${options.id} already exists`);
        return m.createMerchant(name.trim(), options.id);
      });
      if (options.json) printJson(io, { id: merchant.id, name: merchant.name });
      else io.out(`Created merchant ${merchant.id} (${merchant.name}).\n`);
    });
  merchants
    .command('list')
    .description('list merchants, oldest first')
    .addOption(jsonOption())
    .action(async (options: { json?: boolean }) => {
      const list = await withStore((_store, m) => m.listMerchants());
      if (options.json)
        printJson(
          io,
          list.map((x) => ({ id: x.id, name: x.name, createdAt: iso(x.createdAt) })),
        );
      else
        printTable(
          io,
          ['ID', 'NAME', 'CREATED'],
          list.map((x) => [x.id, x.name, iso(x.createdAt)]),
          'No merchants.',
        );
    });

  const keys = program.command('keys').description("create, list and revoke a merchant's API keys");
  keys
    .command('create')
    .description('create an API key; its secret is shown once, now')
    .addOption(merchantOption())
    .addOption(
      new Option('-s, --scopes <scopes>', `comma-separated subset of: ${SCOPES.join(', ')}`)
        .default([...SCOPES], 'all')
        .argParser(parseScopes),
    )
    .addOption(jsonOption())
    .action(async (options: { merchant: string; scopes: string[]; json?: boolean }) => {
      const { key, secret } = await withStore(async (_store, m) => {
        await requireMerchant(m, options.merchant);
        return m.createKey(options.merchant, options.scopes);
      });
      if (options.json) printJson(io, { id: key.id, merchantId: key.merchantId, secret, scopes: key.scopes });
      else {
        io.out(
          `Created API key ${key.id} for ${key.merchantId} with scopes ${key.scopes.join(', ')}.\n\n` +
            `  X-Api-Key: ${secret}\n\nThis is the only time the secret is shown: Kassa keeps only its hash.\n`,
        );
      }
    });
  keys
    .command('list')
    .description("list a merchant's API keys (never their secrets)")
    .addOption(merchantOption())
    .addOption(jsonOption())
    .action(async (options: { merchant: string; json?: boolean }) => {
      const list = await withStore(async (_store, m) => {
        await requireMerchant(m, options.merchant);
        return m.listKeys(options.merchant);
      });
      const rows = list.map((k) => ({
        id: k.id,
        merchantId: k.merchantId,
        scopes: k.scopes,
        createdAt: iso(k.createdAt),
        revokedAt: k.revokedAt === undefined ? null : iso(k.revokedAt),
      }));
      if (options.json) printJson(io, rows);
      else {
        printTable(
          io,
          ['ID', 'CREATED', 'REVOKED', 'SCOPES'],
          rows.map((k) => [k.id, k.createdAt, k.revokedAt ?? '-', k.scopes.join(',')]),
          `No API keys for ${options.merchant}.`,
        );
      }
    });
  keys
    .command('revoke')
    .description('revoke an API key at once; requests with it get 401 from then on')
    .argument('<keyId>', 'the key id (key_…), as `kassa keys list` shows it')
    .addOption(jsonOption())
    .action(async (keyId: string, options: { json?: boolean }) => {
      const revoked = await withStore((_store, m) => m.revokeKey(keyId));
      if (!revoked) throw new CliError(`no active API key ${keyId} (unknown or already revoked)`);
      if (options.json) printJson(io, { id: keyId, revoked: true });
      else io.out(`Revoked API key ${keyId}.\n`);
    });

  const sessions = program.command('sessions').description("look at a merchant's client sessions");
  sessions
    .command('list')
    .description('list sessions, most recent first, with their expiry')
    .addOption(merchantOption())
    .addOption(new Option('-n, --limit <n>', `how many (1 to ${MAX_SESSIONS})`).default(20).argParser(parseLimit))
    .addOption(new Option('--before <time>', 'only sessions created before this ISO date-time (or epoch ms)').argParser(parseInstant))
    .addOption(jsonOption())
    .action(async (options: { merchant: string; limit: number; before?: number; json?: boolean }) => {
      const page = await withStore(async (store, m) => {
        await requireMerchant(m, options.merchant);
        const overview = new SessionOverview(store, systemClock, () => []);
        return overview.list(options.merchant, {
          limit: options.limit,
          ...(options.before !== undefined ? { before: options.before } : {}),
        });
      });
      if (options.json) printJson(io, page.sessions);
      else {
        printTable(
          io,
          ['ID', 'ORDER', 'AMOUNT', 'EMAIL', 'CREATED', 'EXPIRES', 'STATE'],
          page.sessions.map((s) => [
            s.id,
            s.orderId ?? '-',
            s.amount === undefined ? '-' : `${s.amount}${s.currencyCode ? ` ${s.currencyCode}` : ''}`,
            s.customerEmail ?? '-',
            s.createdAt,
            s.expiresAt,
            s.state,
          ]),
          `No sessions for ${options.merchant}.`,
        );
        if (page.nextBefore) io.out(`More: kassa sessions list --merchant ${options.merchant} --before ${page.nextBefore}\n`);
      }
    });
  sessions
    .command('show')
    .description('show one session: its data as the API returns it, its warnings and its expiry')
    .argument('<sessionId>', 'the session id (cs_…)')
    .addOption(merchantOption())
    .addOption(jsonOption())
    .action(async (sessionId: string, options: { merchant: string; json?: boolean }) => {
      const detail = await withStore(async (store) => new SessionOverview(store, systemClock, () => []).show(options.merchant, sessionId));
      if (!detail) throw new CliError(`no session ${sessionId} for merchant ${options.merchant}`);
      if (options.json) printJson(io, detail);
      else {
        io.out(
          [
            `Session ${detail.id} (${detail.state})`,
            `  created        ${detail.createdAt}`,
            `  updated        ${detail.updatedAt} (version ${detail.version})`,
            `  token expires  ${detail.expiresAt}`,
            `  warnings       ${detail.warnings.length === 0 ? 'none' : ''}`,
            ...detail.warnings.map((w) => `    ${w.type} ${w.code}: ${w.message}`),
            '',
            JSON.stringify(detail.session, null, 2),
            '',
          ].join('\n'),
        );
      }
    });

  const kit = { env, io, withStore, requireMerchant, merchantOption, jsonOption };
  paymentCommands(program, kit);
  webhookCommands(program, kit);
  clockCommands(program, kit);
  faultCommands(program, kit);
  seedCommands(program, kit);
  triggerCommands(program, kit);

  program
    .command('purge')
    .description(
      'delete expired data now: sessions whose token expired longer ago than the retention, expired idempotency records, ' +
        'payments over (with their events and deliveries) and finished webhook deliveries past theirs ' +
        '(the server also does this in the background)',
    )
    .addOption(
      new Option('--retention <seconds>', 'keep sessions this long after their token expired')
        .default(Number(env.KASSA_PURGE_RETENTION_SECONDS || 7 * 86_400))
        .argParser(parseWhole(0, 365 * 86_400)),
    )
    .addOption(
      new Option('--payment-retention <seconds>', 'keep a payment that is over this long after its last change')
        .default(Number(env.KASSA_PURGE_PAYMENT_RETENTION_SECONDS || 90 * 86_400))
        .argParser(parseWhole(0, 3650 * 86_400)),
    )
    .addOption(
      new Option('--delivery-retention <seconds>', 'keep a delivered or failed webhook delivery this long after its last attempt')
        .default(Number(env.KASSA_PURGE_DELIVERY_RETENTION_SECONDS || 30 * 86_400))
        .argParser(parseWhole(0, 3650 * 86_400)),
    )
    .addOption(new Option('--batch-size <rows>', 'rows deleted per batch').default(500).argParser(parseWhole(1, 100_000)))
    .addOption(jsonOption())
    .action(
      async (options: { retention: number; paymentRetention: number; deliveryRetention: number; batchSize: number; json?: boolean }) => {
        const result = await withStore((store) =>
          purgeExpired(store, {
            now: systemClock(),
            retentionMs: options.retention * 1000,
            paymentRetentionMs: options.paymentRetention * 1000,
            deliveryRetentionMs: options.deliveryRetention * 1000,
            batchSize: options.batchSize,
            maxBatches: Number.MAX_SAFE_INTEGER,
          }),
        );
        if (options.json) printJson(io, result);
        else
          io.out(
            `Purged ${result.sessions} expired session(s), ${result.idempotencyRecords} expired idempotency record(s), ` +
              `${result.tokens} expired unused payment method token(s), ${result.payments} payment(s) with ${result.paymentEvents} event(s), ` +
              `and ${result.webhookDeliveries} webhook delivery(ies).\n`,
          );
      },
    );

  return program;
}

/** Runs the command line; resolves to the exit code (serve keeps the process alive by listening). */
export async function runCli(argv: string[], env: Env, io: Io = processIo): Promise<number> {
  const program = buildProgram(env, io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // Commander has already printed its own message (usage errors, --help, --version).
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      io.err(`kassa: ${error.message}\n`);
      return error.exitCode;
    }
    // A refusal of a service (a payment action the status machine refuses, an unknown payment): as the API words it.
    if (error instanceof KassaError) {
      const fields = (error.validationErrors ?? []).flatMap((g) => g.errors.map((f) => `\n  ${f.path}: ${f.description}`));
      io.err(`kassa: ${error.errorId}: ${error.detail ?? ERROR_CATALOGUE[error.errorId].description}${fields.join('')}\n`);
      return 1;
    }
    io.err(`kassa: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
