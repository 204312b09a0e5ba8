// engines: sqlite
// `kassa payments` against a temporary SQLite database: payments are made through an in-process app
// on the same file (a session, a tokenized test card, POST /payments), then listed, shown, captured,
// refunded and cancelled with the CLI, in process (runCli, as test/cli/cli.test.ts does). What the CLI
// prints with --json is checked against what the API answers for the same payment.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSqliteStore } from '../../src/storage/sqlite/database.ts';
import { tokenize, validExpiry } from '../payments/support.ts';
import { createSession, headers, testApp, type TestApp } from '../support/app.ts';
import { kassaInProcess as run } from '../support/process.ts';

type Json = Record<string, any>;

describe('kassa payments', () => {
  const T0 = Date.now();
  let dir: string;
  let env: Record<string, string>;
  let t: TestApp;
  /** Made in order, a second apart: an authorized Visa, an authorized Mastercard, a declined card, a 3DS challenge left open. */
  const ids = { visa: '', mastercard: '', declined: '', challenge: '' };

  const json = (stdout: string) => JSON.parse(stdout) as Json;
  const api = async (path: string) => {
    const response = await t.app.inject({ method: 'GET', url: path, headers: headers(t.apiKey) });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as Json;
  };

  async function pay(accessToken: string, number: string, orderId: string): Promise<Json> {
    const tokenized = await tokenize(t, accessToken, number, {}, { cvv: '123', cardholderName: 'Jane Doe' });
    const paid = await t.app.inject({
      method: 'POST',
      url: '/payments',
      headers: headers(t.apiKey),
      payload: { paymentMethodToken: tokenized.token, orderId },
    });
    assert.equal(paid.statusCode, 200, paid.body);
    t.clock.advance(1000);
    return paid.json() as Json;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kassa-cli-payments-'));
    const dbPath = join(dir, 'kassa.db');
    env = { DATABASE_URL: `sqlite:${dbPath}` };
    t = await testApp({ store: openSqliteStore({ path: dbPath }) });
    // The CLI runs on the real clock, so the app does too (a card or an authorization is judged by one clock).
    t.clock.now = T0;
    const session = await createSession(t, { orderId: 'order-1', currencyCode: 'EUR', amount: 1000, customerId: 'cust-1' });
    const visa = await pay(session.accessToken, '4111 1111 1111 1111', 'order-1');
    const mastercard = await pay(session.accessToken, '5555 5555 5555 4444', 'order-2');
    const declined = await pay(session.accessToken, '4000 0000 0000 0002', 'order-3');
    const challenge = await pay(session.accessToken, '4000 0000 0000 0051', 'order-4');
    assert.deepEqual(
      [visa.status, mastercard.status, declined.status, challenge.status],
      ['AUTHORIZED', 'AUTHORIZED', 'DECLINED', 'PENDING'],
    );
    Object.assign(ids, { visa: visa.id, mastercard: mastercard.id, declined: declined.id, challenge: challenge.id });
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every payments command has help text', async () => {
    const top = await run(['payments', '--help'], env);
    assert.equal(top.code, 0);
    for (const name of ['list', 'show', 'capture', 'refund', 'cancel']) assert.match(top.stdout, new RegExp(`\\n  ${name}\\b`));
    for (const [args, pattern] of [
      ['list', /--status <statuses>[\s\S]*--limit[\s\S]*--json/],
      ['show', /<paymentId>[\s\S]*--json/],
      ['capture', /--amount <n>[\s\S]*--final[\s\S]*--no-final/],
      ['refund', /--amount <n>[\s\S]*--reason <text>/],
      ['cancel', /--reason <text>/],
    ] as const) {
      const help = await run(['payments', args, '--help'], env);
      assert.equal(help.code, 0, args);
      assert.match(help.stdout, pattern, args);
    }
  });

  test('list: newest first with status, amounts and card; --status filters; --limit pages with a cursor', async () => {
    const list = await run(['payments', 'list', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stderr, '');
    const rows = JSON.parse(list.stdout) as Json[];
    assert.deepEqual(
      rows.map((p) => p.id),
      [ids.challenge, ids.declined, ids.mastercard, ids.visa],
    );
    assert.deepEqual(rows[3], {
      id: ids.visa,
      status: 'AUTHORIZED',
      orderId: 'order-1',
      amount: 1000,
      currencyCode: 'EUR',
      amountCaptured: 0,
      amountRefunded: 0,
      paymentMethodType: 'PAYMENT_CARD',
      card: { network: 'Visa', last4Digits: '1111' },
      customerId: 'cust-1',
      sessionId: rows[3].sessionId,
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0).toISOString(),
    });
    assert.match(rows[3].sessionId, /^cs_/);

    const authorized = json((await run(['payments', 'list', '--status', 'authorized,DECLINED', '--json'], env)).stdout);
    assert.deepEqual(
      (authorized as unknown as Json[]).map((p) => [p.id, p.status]),
      [
        [ids.declined, 'DECLINED'],
        [ids.mastercard, 'AUTHORIZED'],
        [ids.visa, 'AUTHORIZED'],
      ],
    );

    const table = await run(['payments', 'list', '--limit', '2'], env);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+ORDER\s+STATUS\s+AMOUNT\s+CAPTURED\s+REFUNDED\s+CARD\s+CUSTOMER\s+CREATED$/);
    assert.match(lines[1]!, new RegExp(`^${ids.challenge}\\s+order-4\\s+PENDING\\s+1000 EUR\\s+0\\s+0\\s+Visa \\*{4}0051\\s+cust-1\\s+`));
    assert.match(lines[2]!, new RegExp(`^${ids.declined}\\s+order-3\\s+DECLINED\\s+`));
    const more = /^More: kassa payments list --merchant mer_default --before (\S+)$/.exec(lines[3]!);
    assert.ok(more, table.stdout);
    const rest = json((await run(['payments', 'list', '--before', more[1]!, '--json'], env)).stdout) as unknown as Json[];
    assert.deepEqual(
      rest.map((p) => p.id),
      [ids.mastercard, ids.visa],
    );

    const none = await run(['payments', 'list', '--status', 'SETTLING'], env);
    assert.equal(none.stdout, 'No payments for mer_default.\n');
  });

  test('list refuses an unknown status, a bad limit or cursor, and an unknown merchant', async () => {
    const status = await run(['payments', 'list', '--status', 'PAID'], env);
    assert.equal(status.code, 1);
    assert.equal(status.stdout, '');
    assert.match(status.stderr, /unknown status PAID; statuses: PENDING, FAILED, AUTHORIZED/);
    for (const args of [
      ['--limit', '0'],
      ['--before', 'yesterday'],
    ]) {
      const bad = await run(['payments', 'list', ...args], env);
      assert.equal(bad.code, 1, args.join(' '));
      assert.match(bad.stderr, /argument '.*' is invalid/);
    }
    const merchant = await run(['payments', 'list', '-m', 'mer_nobody', '--json'], env);
    assert.equal(merchant.code, 1);
    assert.equal(merchant.stdout, '');
    assert.match(merchant.stderr, /^kassa: no merchant mer_nobody/);
  });

  test('show --json is the payment as GET /payments/{id}?expand=transactions.events answers it', async () => {
    for (const id of [ids.visa, ids.declined, ids.challenge]) {
      const shown = await run(['payments', 'show', id, '--json'], env);
      assert.equal(shown.code, 0, shown.stderr);
      assert.deepEqual(json(shown.stdout), await api(`/payments/${id}?expand=transactions.events`), id);
    }
    // The open 3DS action's client token, sealed by the server, opens with the same keys in the CLI.
    const challenge = json((await run(['payments', 'show', ids.challenge, '--json'], env)).stdout);
    assert.match(challenge.requiredAction.clientToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);

    const text = await run(['payments', 'show', ids.declined], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^Payment ${ids.declined} \\(DECLINED\\)\\n`));
    assert.match(text.stdout, /\n {2}amount +1000 EUR \(captured 0 of 1000 EUR, refunded 0\)\n/);
    assert.match(text.stdout, new RegExp(`\\n {2}card +Visa \\*{4}0002, expires 12/${validExpiry(T0).expirationYear}\\n`));
    assert.match(text.stdout, /\n {2}status reason +ISSUER_DECLINED SOFT_DECLINE DO_NOT_HONOR/);
    assert.match(text.stdout, /\nTransactions\n {2}SALE DECLINED 1000 EUR at /);
    assert.doesNotMatch(text.stdout, /4000000000000002|400000000000/, 'never more of the number than the token keeps');

    const unknown = await run(['payments', 'show', 'pay_nope', '--json'], env);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stdout, '');
    assert.equal(unknown.stderr, 'kassa: no payment pay_nope for merchant mer_default\n');
  });

  test('capture in part with --no-final, then the rest; the API sees the same payment', async () => {
    const part = await run(['payments', 'capture', ids.visa, '--amount', '400', '--no-final', '--json'], env);
    assert.equal(part.code, 0, part.stderr);
    const partial = json(part.stdout);
    assert.equal(partial.status, 'PARTIALLY_SETTLED');
    assert.deepEqual(partial.processor, {
      name: 'KASSA_SANDBOX',
      processorMerchantId: 'kassa-sandbox',
      amountCaptured: 400,
      amountRefunded: 0,
    });
    assert.deepEqual(
      partial.transactions[0].events.map((e: Json) => [e.type, e.amount, e.final]),
      [
        ['AUTHORIZATION_SUCCEEDED', 1000, undefined],
        ['CAPTURE_SUCCEEDED', 400, false],
      ],
    );
    assert.deepEqual(partial, await api(`/payments/${ids.visa}?expand=transactions.events`));

    const rest = await run(['payments', 'capture', ids.visa], env);
    assert.equal(rest.code, 0, rest.stderr);
    assert.equal(rest.stdout, `Captured 600 EUR on ${ids.visa} (final): now SETTLED, captured 1000 of 1000 EUR, refunded 0.\n`);
    assert.equal((await api(`/payments/${ids.visa}`)).status, 'SETTLED');
  });

  test('refund in part with a reason; too much is refused with the API error, exit 1 and nothing on stdout', async () => {
    const refund = await run(['payments', 'refund', ids.visa, '--amount', '250', '--reason', 'damaged in transit', '--json'], env);
    assert.equal(refund.code, 0, refund.stderr);
    const refunded = json(refund.stdout);
    assert.equal(refunded.status, 'SETTLED');
    assert.equal(refunded.processor.amountRefunded, 250);
    const { id: _id, date: _date, ...transaction } = refunded.transactions[1];
    assert.deepEqual(transaction, {
      amount: 250,
      currencyCode: 'EUR',
      orderId: 'order-1',
      transactionType: 'REFUND',
      type: 'REFUND',
      processorTransactionId: _id,
      processorName: 'KASSA_SANDBOX',
      processor: 'KASSA_SANDBOX',
      processorMerchantId: 'kassa-sandbox',
      processorStatus: 'SETTLED',
      status: 'SETTLED',
      cardTokenType: 'CARD_PAN',
      reason: 'damaged in transit',
      events: [],
    });

    const tooMuch = await run(['payments', 'refund', ids.visa, '--amount', '5000', '--json'], env);
    assert.equal(tooMuch.code, 1);
    assert.equal(tooMuch.stdout, '');
    assert.equal(
      tooMuch.stderr,
      'kassa: UnprocessableRefundAmount: Cannot refund this payment with the amount 5000. ' +
        'The refund amount must be less than or equal to the amount left to refund (750).\n',
    );

    const rest = await run(['payments', 'refund', ids.visa], env);
    assert.equal(rest.code, 0, rest.stderr);
    assert.equal(rest.stdout, `Refund of 750 EUR on ${ids.visa}: SETTLED; payment SETTLED, captured 1000 of 1000 EUR, refunded 1000.\n`);
    const again = await run(['payments', 'refund', ids.visa], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^kassa: PaymentAlreadyRefunded: /);
  });

  test('cancel with a reason; a refused action exits 1 with the description the API gives', async () => {
    const cancel = await run(['payments', 'cancel', ids.mastercard, '--reason', 'customer changed their mind'], env);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal(cancel.stdout, `Cancelled ${ids.mastercard}: now CANCELLED, captured 0 of 1000 EUR, refunded 0.\n`);
    const cancelled = await api(`/payments/${ids.mastercard}?expand=transactions.events`);
    assert.equal(cancelled.status, 'CANCELLED');
    assert.equal(cancelled.transactions[0].reason, 'customer changed their mind');
    assert.equal(cancelled.transactions[0].events.at(-1).type, 'CANCELLATION_SUCCEEDED');

    for (const [args, stderr] of [
      [['cancel', ids.mastercard], 'kassa: InvalidPaymentStatus: A payment with status CANCELLED cannot be cancelled.\n'],
      [['capture', ids.declined, '--json'], 'kassa: InvalidPaymentStatus: A payment with status DECLINED cannot be captured.\n'],
      [['refund', ids.mastercard], 'kassa: InvalidPaymentStatus: A payment with status CANCELLED cannot be refunded.\n'],
      [['capture', 'pay_nope'], 'kassa: PaymentError: The payment could not be found\n'],
    ] as const) {
      const refused = await run(['payments', ...args], env);
      assert.equal(refused.code, 1, args.join(' '));
      assert.equal(refused.stdout, '', args.join(' '));
      assert.equal(refused.stderr, stderr, args.join(' '));
    }

    // A payment waiting for 3DS cannot be captured, whatever the amount; a zero amount never reaches the service.
    const bigger = await run(['payments', 'capture', ids.challenge, '--amount', '2000'], env);
    assert.equal(bigger.code, 1);
    assert.match(bigger.stderr, /^kassa: InvalidPaymentStatus: /);
    const zero = await run(['payments', 'capture', ids.challenge, '--amount', '0'], env);
    assert.equal(zero.code, 1);
    assert.match(zero.stderr, /option '--amount <n>' argument '0' is invalid/);

    // Cancelling the pending challenge drops its action.
    const dropped = json((await run(['payments', 'cancel', ids.challenge, '--json'], env)).stdout);
    assert.equal(dropped.status, 'CANCELLED');
    assert.equal(dropped.requiredAction, undefined);
  });

  test('a capture above what is left names the field, as the API does', async () => {
    const session = await createSession(t, { orderId: 'order-5', currencyCode: 'GBP', amount: 300 });
    const payment = await pay(session.accessToken, '4242 4242 4242 4242', 'order-5');
    const over = await run(['payments', 'capture', payment.id, '--amount', '301'], env);
    assert.equal(over.code, 1);
    assert.equal(over.stdout, '');
    assert.match(over.stderr, /^kassa: RequestValidationError: [^\n]+\n {2}\$\.amount: [^\n]+\n$/);
  });
});
