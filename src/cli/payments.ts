// `kassa payments list|show|capture|refund|cancel`: the payments sandbox from the operator's shell
// (docs/payments.md). Like `kassa sessions`, the commands open the store from DATABASE_URL and call
// the service directly; the PaymentService is built as the server builds it (payments/create.ts), from
// the same environment (KASSA_TOKEN_SECRET, KASSA_CHECKOUT_CONFIG, KASSA_PUBLIC_URL), so a payment
// acted on here behaves as it would through the API. --json prints the payment as the API answers it
// (version 2.4, transactions with their events).
import { randomUUID } from 'node:crypto';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Context } from '../lib/context.ts';
import { systemClock } from '../lib/clock.ts';
import type { Merchants } from '../merchants/merchants.ts';
import { createPaymentService } from '../payments/create.ts';
import { PAYMENT_STATUSES, type PaymentStatus } from '../payments/model.ts';
import { PaymentOverview, parseBefore } from '../payments/overview.ts';
import { renderPayment } from '../payments/payment.ts';
import type { PaymentCursor, StoredPayment } from '../payments/payment.store.ts';
import type { PaymentService } from '../payments/service.ts';
import type { Store } from '../storage/store.ts';
import { CliError } from './cli-error.ts';
import { type CommandKit, parseWhole, settings, signingKeys } from './kit.ts';
import { iso, printJson, printTable } from './output.ts';

const MAX_PAYMENTS = 1000;
const MAX_REASON = 1024;

function parseStatuses(value: string): PaymentStatus[] {
  const statuses = value
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
  const unknown = statuses.filter((s) => !(PAYMENT_STATUSES as readonly string[]).includes(s));
  if (statuses.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`unknown status ${unknown.join(', ') || '(none given)'}; statuses: ${PAYMENT_STATUSES.join(', ')}`);
  }
  return [...new Set(statuses)] as PaymentStatus[];
}

function parseCursor(value: string): PaymentCursor {
  const cursor = parseBefore(value);
  if (!cursor) throw new InvalidArgumentError('must be a cursor printed by `kassa payments list`');
  return cursor;
}

function parseReason(value: string): string {
  if (value.length > MAX_REASON) throw new InvalidArgumentError(`must be at most ${MAX_REASON} characters`);
  return value;
}

const money = (amount: number, currency: string) => `${amount} ${currency}`;
const cardText = (card: { network: string; last4Digits: string }) => `${card.network} ****${card.last4Digits}`;

function amountsLine(p: StoredPayment): string {
  const m = p.data.machine;
  return `captured ${m.amountCaptured} of ${money(m.amount, p.data.currencyCode)}, refunded ${m.amountRefunded}`;
}

/** `kassa payments show` without --json: the facts, then each transaction with its events. */
function describe(p: StoredPayment): string {
  const { data } = p;
  const reason = p.status === 'DECLINED' || p.status === 'FAILED' ? data.statusReason : undefined;
  const lines = [
    `Payment ${p.id} (${p.status})`,
    `  order          ${data.orderId}`,
    `  amount         ${money(data.machine.amount, data.currencyCode)} (${amountsLine(p)})`,
    ...(data.card
      ? [
          `  card           ${cardText(data.card)}, expires ${data.card.expirationMonth}/${data.card.expirationYear}${data.isVaulted ? ', saved' : ''}`,
          `  3DS            ${data.threeDS.responseCode}`,
        ]
      : [`  method         ${data.method?.paymentMethodType ?? '-'}`]),
    ...(data.customerId !== undefined ? [`  customer       ${data.customerId}`] : []),
    ...(p.sessionId !== undefined ? [`  session        ${p.sessionId}`] : []),
    `  created        ${iso(p.createdAt)}`,
    `  updated        ${iso(p.updatedAt)} (version ${p.version})`,
    ...(data.action ? [`  waiting for    ${data.action.name}`] : []),
    ...(reason ? [`  status reason  ${[reason.type, reason.declineType, reason.code, reason.message].filter(Boolean).join(' ')}`] : []),
    '',
    'Transactions',
  ];
  for (const t of data.transactions) {
    lines.push(
      `  ${t.type} ${t.status} ${money(t.amount, t.currencyCode)} at ${iso(t.date)}${t.reason !== undefined ? ` (reason: ${t.reason})` : ''}`,
    );
    for (const e of t.events) {
      const extra = [e.amount !== undefined ? String(e.amount) : '', e.final !== undefined ? `final ${e.final}` : ''].filter(Boolean);
      lines.push(`    ${e.type}${extra.length > 0 ? ` ${extra.join(', ')}` : ''} at ${iso(e.date)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function paymentCommands(program: Command, kit: CommandKit): void {
  const { io, env } = kit;
  /** The store and a PaymentService on it, as the server would build them. */
  const withPayments = <T>(work: (payments: PaymentService, store: Store, merchants: Merchants) => Promise<T>): Promise<T> => {
    const { config, checkout } = settings(env);
    return kit.withStore(async (store, merchants) => {
      const keys = await signingKeys(store, config.tokenSecret);
      return work(createPaymentService({ store, clock: systemClock, signingKeys: keys, checkout, config }), store, merchants);
    });
  };
  // What the service needs of a request: the version the answer is written in, and an id the payment's events carry.
  const ctxFor = (merchantId: string): Context => ({ merchantId, apiVersion: '2.4', requestId: `cli:${randomUUID()}` });
  const render = (payments: PaymentService, payment: StoredPayment) =>
    renderPayment(payment, { apiVersion: '2.4', events: true, actionToken: payments.actionToken });

  const group = program.command('payments').description("look at and act on a merchant's sandbox payments");

  group
    .command('list')
    .description('list payments, newest first, with their status and amounts')
    .addOption(kit.merchantOption())
    .addOption(new Option('--status <statuses>', `comma-separated subset of: ${PAYMENT_STATUSES.join(', ')}`).argParser(parseStatuses))
    .addOption(new Option('-n, --limit <n>', `how many (1 to ${MAX_PAYMENTS})`).default(20).argParser(parseWhole(1, MAX_PAYMENTS)))
    .addOption(
      new Option('--before <cursor>', 'continue after this cursor (the list prints it when there are more)').argParser(parseCursor),
    )
    .addOption(kit.jsonOption())
    .action(async (options: { merchant: string; status?: PaymentStatus[]; limit: number; before?: PaymentCursor; json?: boolean }) => {
      const page = await kit.withStore(async (store, merchants) => {
        await kit.requireMerchant(merchants, options.merchant);
        return new PaymentOverview(store.payments).list(options.merchant, {
          limit: options.limit,
          ...(options.status ? { status: options.status } : {}),
          ...(options.before ? { before: options.before } : {}),
        });
      });
      if (options.json) printJson(io, page.payments);
      else {
        printTable(
          io,
          ['ID', 'ORDER', 'STATUS', 'AMOUNT', 'CAPTURED', 'REFUNDED', 'CARD', 'CUSTOMER', 'CREATED'],
          page.payments.map((p) => [
            p.id,
            p.orderId,
            p.status,
            money(p.amount, p.currencyCode),
            String(p.amountCaptured),
            String(p.amountRefunded),
            p.card ? cardText(p.card) : p.paymentMethodType,
            p.customerId ?? '-',
            p.createdAt,
          ]),
          `No payments for ${options.merchant}.`,
        );
        if (page.nextBefore) io.out(`More: kassa payments list --merchant ${options.merchant} --before ${page.nextBefore}\n`);
      }
    });

  group
    .command('show')
    .description('show one payment with its transactions and their events (--json: as GET /payments/{id}?expand=transactions.events)')
    .argument('<paymentId>', 'the payment id (pay_…)')
    .addOption(kit.merchantOption())
    .addOption(kit.jsonOption())
    .action(async (paymentId: string, options: { merchant: string; json?: boolean }) => {
      const shown = await withPayments(async (payments, store) => {
        const payment = await store.payments.findById(options.merchant, paymentId);
        if (!payment) throw new CliError(`no payment ${paymentId} for merchant ${options.merchant}`);
        return { payment, body: render(payments, payment) };
      });
      if (options.json) printJson(io, shown.body);
      else io.out(describe(shown.payment));
    });

  group
    .command('capture')
    .description('capture an authorized payment, in full or in part')
    .argument('<paymentId>', 'the payment id (pay_…)')
    .addOption(kit.merchantOption())
    .addOption(
      new Option('--amount <n>', 'minor units; what is left to capture when absent').argParser(parseWhole(1, Number.MAX_SAFE_INTEGER)),
    )
    .addOption(new Option('--final', 'close capturing after this capture (the default)'))
    .addOption(new Option('--no-final', 'leave capturing open for further partial captures'))
    .addOption(kit.jsonOption())
    .action(async (paymentId: string, options: { merchant: string; amount?: number; final?: boolean; json?: boolean }) => {
      const body = {
        ...(options.amount !== undefined ? { amount: options.amount } : {}),
        ...(options.final !== undefined ? { final: options.final } : {}),
      };
      const done = await withPayments(async (payments) => {
        const payment = await payments.capture(ctxFor(options.merchant), options.merchant, paymentId, body);
        return { payment, body: render(payments, payment) };
      });
      if (options.json) return printJson(io, done.body);
      const capture = done.payment.data.transactions[0]?.events.findLast((e) => e.type === 'CAPTURE_SUCCEEDED');
      const amount = capture?.amount ?? done.payment.data.machine.amountCaptured;
      io.out(
        `Captured ${money(amount, done.payment.data.currencyCode)} on ${paymentId}${capture?.final ? ' (final)' : ''}: ` +
          `now ${done.payment.status}, ${amountsLine(done.payment)}.\n`,
      );
    });

  group
    .command('refund')
    .description('refund a settled or partially settled payment, in full or in part')
    .argument('<paymentId>', 'the payment id (pay_…)')
    .addOption(kit.merchantOption())
    .addOption(
      new Option('--amount <n>', 'minor units; what is left to refund when absent').argParser(parseWhole(1, Number.MAX_SAFE_INTEGER)),
    )
    .addOption(new Option('--reason <text>', 'kept on the refund transaction').argParser(parseReason))
    .addOption(kit.jsonOption())
    .action(async (paymentId: string, options: { merchant: string; amount?: number; reason?: string; json?: boolean }) => {
      const body = {
        ...(options.amount !== undefined ? { amount: options.amount } : {}),
        ...(options.reason !== undefined ? { reason: options.reason } : {}),
      };
      const done = await withPayments(async (payments) => {
        const payment = await payments.refund(ctxFor(options.merchant), options.merchant, paymentId, body);
        return { payment, body: render(payments, payment) };
      });
      if (options.json) return printJson(io, done.body);
      const refund = done.payment.data.transactions.findLast((t) => t.type === 'REFUND')!;
      io.out(
        `Refund of ${money(refund.amount, refund.currencyCode)} on ${paymentId}: ${refund.status}; ` +
          `payment ${done.payment.status}, ${amountsLine(done.payment)}.\n`,
      );
    });

  group
    .command('cancel')
    .description('cancel a pending or authorized payment (or release what a partial capture left)')
    .argument('<paymentId>', 'the payment id (pay_…)')
    .addOption(kit.merchantOption())
    .addOption(new Option('--reason <text>', 'kept on the SALE transaction').argParser(parseReason))
    .addOption(kit.jsonOption())
    .action(async (paymentId: string, options: { merchant: string; reason?: string; json?: boolean }) => {
      const done = await withPayments(async (payments) => {
        const payment = await payments.cancel(ctxFor(options.merchant), options.merchant, paymentId, options.reason);
        return { payment, body: render(payments, payment) };
      });
      if (options.json) return printJson(io, done.body);
      io.out(`Cancelled ${paymentId}: now ${done.payment.status}, ${amountsLine(done.payment)}.\n`);
    });
}
