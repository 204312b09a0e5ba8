// `kassa webhooks list|create|delete|enable|rotate-secret|test|deliveries|delivery|redeliver`: a merchant's webhook
// endpoints and the deliveries to them, from the operator's shell (docs/webhooks.md, "Endpoints"). Like
// `kassa payments`, the commands open the store from DATABASE_URL and call the WebhookService built as
// the server builds it (webhooks/create.ts), with the server's signing keys, so a secret sealed by one
// opens in the other. --json prints what the webhook API answers (GET /kassa/webhook-endpoints,
// GET /kassa/webhook-deliveries, ...); a secret is printed once, when made or rotated.
// The CLI sends nothing but `test`: a redelivered delivery is sent by a running server's dispatcher.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { SUPPORTED_API_VERSIONS } from '../primer/versions.ts';
import { systemClock } from '../lib/clock.ts';
import type { Store } from '../storage/store.ts';
import { createWebhookService } from '../webhooks/create.ts';
import { renderDelivery, renderEndpoint, type WebhookService } from '../webhooks/service.ts';
import { printDelivery } from './webhook-delivery.ts';
import {
  DEFAULT_EVENT_TYPES,
  WEBHOOK_EVENT_TYPES,
  type DeliveryFilter,
  type DeliveryStatus,
  type WebhookDelivery,
  type WebhookEventType,
} from '../webhooks/webhook.store.ts';
import { CliError } from './cli-error.ts';
import { type CommandKit, parseWhole, settings, signingKeys } from './kit.ts';
import { iso, printJson, printTable } from './output.ts';

const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['PENDING', 'DELIVERED', 'FAILED'];
const MAX_DELIVERIES = 1000;
/** As the API: POST /kassa/webhook-endpoints takes a description of at most this many characters. */
const MAX_DESCRIPTION = 255;

function parseEvents(value: string): WebhookEventType[] {
  const events = value
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
  const unknown = events.filter((s) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(s));
  if (events.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`unknown event ${unknown.join(', ') || '(none given)'}; events: ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  }
  return [...new Set(events)] as WebhookEventType[];
}

function parseStatus(value: string): DeliveryStatus {
  const status = value.trim().toUpperCase();
  if (!(DELIVERY_STATUSES as readonly string[]).includes(status)) {
    throw new InvalidArgumentError(`must be one of ${DELIVERY_STATUSES.join(', ')}`);
  }
  return status as DeliveryStatus;
}

function parseDescription(value: string): string {
  if (value.length > MAX_DESCRIPTION) throw new InvalidArgumentError(`must be at most ${MAX_DESCRIPTION} characters`);
  return value;
}

/** What a delivery last got: the receiver's error, its status code, or nothing yet. */
const lastResult = (d: WebhookDelivery) => d.lastError ?? (d.lastStatusCode !== undefined ? String(d.lastStatusCode) : '-');

/** The secret, once, with what it is for. */
function secretText(secret: string): string {
  return (
    `  Signing secret: ${secret}\n\n` +
    'This is the only time the secret is shown: Kassa keeps it sealed. Receivers check X-Signature-Primary,\n' +
    'the base64 HMAC-SHA256 of the raw body under this secret.\n'
  );
}

export function webhookCommands(program: Command, kit: CommandKit): void {
  const { io, env } = kit;
  /** The store and a WebhookService on it, as the server would build them, for a merchant that exists. */
  const withWebhooks = <T>(merchantId: string, work: (webhooks: WebhookService, store: Store) => Promise<T>): Promise<T> => {
    const { config } = settings(env);
    return kit.withStore(async (store, merchants) => {
      await kit.requireMerchant(merchants, merchantId);
      const keys = await signingKeys(store, config.tokenSecret);
      return work(createWebhookService({ store, clock: systemClock, signingKeys: keys, config }), store);
    });
  };
  const endpointArgument = (command: Command) => command.argument('<endpointId>', 'the endpoint id, as `kassa webhooks list` shows it');

  const group = program
    .command('webhooks')
    .description("a merchant's webhook endpoints (signed PAYMENT.STATUS and PAYMENT.REFUND events) and their deliveries");

  group
    .command('list')
    .description('list the webhook endpoints, oldest first (never their secrets)')
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (options: { merchant: string; json?: boolean }) => {
      const endpoints = await withWebhooks(options.merchant, async (_webhooks, store) => store.webhooks.endpoints(options.merchant));
      const now = systemClock();
      if (options.json)
        return printJson(
          io,
          endpoints.map((e) => renderEndpoint(e, now)),
        );
      printTable(
        io,
        ['ID', 'URL', 'EVENTS', 'VERSION', 'STATUS', 'CREATED', 'DESCRIPTION'],
        endpoints.map((e) => [
          e.id,
          e.url,
          e.events.join(','),
          e.version,
          e.disabledAt !== undefined ? `disabled ${iso(e.disabledAt)}` : 'enabled',
          iso(e.createdAt),
          e.description ?? '-',
        ]),
        `No webhook endpoints for ${options.merchant}.`,
      );
    });

  group
    .command('create')
    .description('add a webhook endpoint; its signing secret is shown once, now')
    .addOption(new Option('--url <url>', 'where events are POSTed: http(s), loopback allowed').makeOptionMandatory())
    .addOption(new Option('--description <text>', 'shown in each event (notificationConfig.description)').argParser(parseDescription))
    .addOption(
      new Option(
        '--events <types>',
        `comma-separated subset of: ${WEBHOOK_EVENT_TYPES.join(', ')} (default: ${DEFAULT_EVENT_TYPES.join(',')})`,
      ).argParser(parseEvents),
    )
    .addOption(new Option('--version <version>', 'the API version the payment in each event is written in').choices(SUPPORTED_API_VERSIONS))
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(
      async (options: { url: string; description?: string; events?: string[]; version?: string; merchant: string; json?: boolean }) => {
        const made = await withWebhooks(options.merchant, (webhooks) =>
          webhooks.createEndpoint(options.merchant, {
            url: options.url,
            ...(options.description !== undefined ? { description: options.description } : {}),
            ...(options.events ? { events: options.events } : {}),
            ...(options.version ? { version: options.version } : {}),
          }),
        );
        if (options.json) return printJson(io, made);
        io.out(
          `Created webhook endpoint ${made.id} for ${made.url}\n` +
            `  events   ${made.events.join(', ')}\n  version  ${made.version}\n\n${secretText(made.secret)}`,
        );
      },
    );

  endpointArgument(group.command('delete'))
    .description('delete a webhook endpoint: nothing more is sent to it')
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (endpointId: string, options: { merchant: string; json?: boolean }) => {
      const deleted = await withWebhooks(options.merchant, (webhooks) => webhooks.deleteEndpoint(options.merchant, endpointId));
      if (options.json) return printJson(io, deleted);
      io.out(`Deleted webhook endpoint ${endpointId}.\n`);
    });

  endpointArgument(group.command('enable'))
    .description('enable an endpoint again (one disabled after failing for days): new events get deliveries from now on')
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (endpointId: string, options: { merchant: string; json?: boolean }) => {
      const { before, after } = await withWebhooks(options.merchant, async (webhooks) => ({
        before: await webhooks.endpoint(options.merchant, endpointId),
        after: await webhooks.enableEndpoint(options.merchant, endpointId),
      }));
      if (options.json) return printJson(io, after);
      io.out(
        before.disabledAt !== undefined
          ? `Enabled webhook endpoint ${endpointId} (disabled since ${iso(before.disabledAt)}: ${before.disabledReason ?? ''}).\n` +
              'New events are delivered to it; `kassa webhooks redeliver` sends again what it missed.\n'
          : `Webhook endpoint ${endpointId} was enabled already.\n`,
      );
    });

  endpointArgument(group.command('rotate-secret'))
    .description('give an endpoint a new signing secret (shown once); the old one also signs, as X-Signature-Secondary, for 24 h')
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (endpointId: string, options: { merchant: string; json?: boolean }) => {
      const rotated = await withWebhooks(options.merchant, async (webhooks, store) => {
        const shown = await webhooks.rotateSecret(options.merchant, endpointId);
        return { shown, until: (await store.webhooks.findEndpoint(options.merchant, endpointId))?.previousUntil };
      });
      if (options.json) return printJson(io, rotated.shown);
      io.out(
        `New signing secret for webhook endpoint ${endpointId}; the old one also signs until ${iso(rotated.until)}.\n\n` +
          secretText(rotated.shown.secret),
      );
    });

  endpointArgument(group.command('test'))
    .description('send a signed KASSA.TEST event to the endpoint now and say how the receiver answered (exit 1 unless with a 2xx)')
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (endpointId: string, options: { merchant: string; json?: boolean }) => {
      const tested = await withWebhooks(options.merchant, async (webhooks) => {
        const endpoint = await webhooks.endpoint(options.merchant, endpointId);
        return { url: endpoint.url, result: await webhooks.test(options.merchant, endpointId) };
      });
      const { result, url } = tested;
      if (options.json) printJson(io, result);
      // A receiver that does not take the event is a failed command, --json or not: scripts test the exit code.
      if (!result.delivered) throw new CliError(`test event not delivered to ${url}: ${result.error ?? 'no answer'}`);
      if (!options.json) io.out(`Test event (KASSA.TEST) delivered to ${url}: the receiver answered ${result.statusCode}.\n`);
    });

  group
    .command('deliveries')
    .description('list webhook deliveries, newest first: their status, attempts and last error')
    .addOption(new Option('--status <status>', `only one status: ${DELIVERY_STATUSES.join(', ')}`).argParser(parseStatus))
    .addOption(new Option('--endpoint <endpointId>', 'only the deliveries to this endpoint'))
    .addOption(new Option('--payment <paymentId>', "only a payment's events (pay_…)").conflicts('session'))
    .addOption(new Option('--session <sessionId>', "only a client session's events (cs_…)"))
    .addOption(new Option('-n, --limit <n>', `how many (1 to ${MAX_DELIVERIES})`).default(20).argParser(parseWhole(1, MAX_DELIVERIES)))
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(
      async (options: {
        status?: DeliveryStatus;
        endpoint?: string;
        payment?: string;
        session?: string;
        limit: number;
        merchant: string;
        json?: boolean;
      }) => {
        const subjectId = options.payment ?? options.session;
        const filter: DeliveryFilter = {
          ...(options.status ? { status: options.status } : {}),
          ...(options.endpoint ? { endpointId: options.endpoint } : {}),
          ...(subjectId ? { subjectId } : {}),
        };
        const list = await withWebhooks(options.merchant, (_webhooks, store) =>
          store.webhooks.deliveries(options.merchant, filter, options.limit),
        );
        if (options.json) return printJson(io, list.map(renderDelivery));
        const filtered = Object.keys(filter).length > 0;
        printTable(
          io,
          ['ID', 'EVENT', 'SUBJECT', 'ENDPOINT', 'STATUS', 'ATTEMPTS', 'CREATED', 'LAST RESULT'],
          list.map((d) => [d.id, d.eventType, d.subjectId, d.endpointId, d.status, String(d.attempts), iso(d.createdAt), lastResult(d)]),
          filtered ? 'No webhook deliveries match.' : `No webhook deliveries for ${options.merchant}.`,
        );
      },
    );

  group
    .command('delivery')
    .description('one delivery with its attempts (the delivery log): when, how long, what was sent, how the receiver answered')
    .argument('<deliveryId>', 'the delivery id, as `kassa webhooks deliveries` shows it')
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (deliveryId: string, options: { merchant: string; json?: boolean }) => {
      const shown = await withWebhooks(options.merchant, (webhooks) => webhooks.delivery(options.merchant, deliveryId));
      if (options.json) return printJson(io, shown);
      printDelivery(io, shown);
    });

  group
    .command('redeliver')
    .description('send a delivery again (whatever its status): it is due now, and a running server sends it')
    .argument('<deliveryId>', 'the delivery id, as `kassa webhooks deliveries` shows it')
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (deliveryId: string, options: { merchant: string; json?: boolean }) => {
      const queued = await withWebhooks(options.merchant, (webhooks) => webhooks.redeliver(options.merchant, deliveryId));
      if (options.json) return printJson(io, queued);
      io.out(
        `Delivery ${deliveryId} (${queued.eventType} of ${'paymentId' in queued ? queued.paymentId : queued.clientSessionId}) is PENDING again, due now: ` +
          'a running Kassa server sends it within a second.\n',
      );
    });
}
