// engines: in-file
// A checkout from session to settled payment over real HTTP, as a merchant's server and an SDK would
// run it: session → tokenize → a 3DS challenge card → continue → resume → capture → refund; on SQLite
// with one process, and on PostgreSQL with two processes and the calls spread over both. Then the card
// data rule (docs/payments.md, "Card data"): after every test card has been tokenized and paid with
// the log at its most verbose, no card number and no CVV is in the database files or the log.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { formatCardNumber, TEST_CARDS } from '../../src/payments/cards.ts';
import { validExpiry } from '../payments/support.ts';
import { freshDatabase } from '../support/postgres.ts';
import { processFleet, type KassaProcess } from '../support/process.ts';

const API_KEY = 'kassa_e2e_key_0123456789abcdef';
/** CVVs no id, date or amount of a run contains next to the field name. */
const CVV3 = '918';
const CVV4 = '9183';

describe('payments over real HTTP', () => {
  const fleet = processFleet(API_KEY);
  after(() => fleet.close());
  const { start, call } = fleet;

  const sdk = (accessToken: string) => ({ 'primer-client-token': accessToken, 'x-api-version': '2.4', 'content-type': 'application/json' });
  const accessTokenOf = (clientToken: string) =>
    JSON.parse(Buffer.from(clientToken.split('.')[1]!, 'base64url').toString('utf8')).accessToken as string;

  async function session(p: KassaProcess, extra: Record<string, unknown> = {}) {
    const created = await call(p, 'POST', '/client-session', {
      orderId: `order-${Math.random()}`,
      currencyCode: 'EUR',
      amount: 1500,
      customerId: 'cust-1',
      ...extra,
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return accessTokenOf(created.body.clientToken);
  }

  async function tokenize(p: KassaProcess, accessToken: string, number: string) {
    const cvv = number.startsWith('34') || number.startsWith('37') ? CVV4 : CVV3;
    const res = await call(
      p,
      'POST',
      '/payment-instruments',
      { paymentInstrument: { number, cvv, ...validExpiry(Date.now()), cardholderName: 'Jane Doe' } },
      sdk(accessToken),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.token as string;
  }

  /** The whole 3DS checkout; `a` and `b` may be the same process or two. */
  async function checkout(a: KassaProcess, b: KassaProcess) {
    const accessToken = await session(a);
    const token = await tokenize(b, accessToken, '4000000000000051');
    const created = await call(a, 'POST', '/payments', { paymentMethodToken: token }, sdk(accessToken));
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.status, 'PENDING');
    assert.equal(created.body.requiredAction.name, '3DS_AUTHENTICATION');
    // The SDK goes on with the action's client token.
    const actionAccess = accessTokenOf(created.body.requiredAction.clientToken);
    const continued = await call(
      b,
      'POST',
      `/3ds/${token}/continue`,
      { platform: 'WEB', status: 'FAILURE', error: { reasonCode: 'NO_KEYS' } },
      sdk(actionAccess),
    );
    assert.equal(continued.status, 200, JSON.stringify(continued.body));
    assert.equal(continued.body.authentication.responseCode, 'AUTH_SUCCESS');
    const resumed = await call(
      a,
      'POST',
      `/payments/${created.body.id}/resume`,
      { resumeToken: continued.body.resumeToken },
      sdk(actionAccess),
    );
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    assert.equal(resumed.body.status, 'SUCCESS');
    const captured = await call(b, 'POST', `/payments/${created.body.id}/capture`, {});
    assert.equal(captured.status, 200, JSON.stringify(captured.body));
    assert.equal(captured.body.status, 'SETTLED');
    const refunded = await call(a, 'POST', `/payments/${created.body.id}/refund`, { amount: 500 });
    assert.equal(refunded.status, 200, JSON.stringify(refunded.body));
    assert.equal(refunded.body.processor.amountRefunded, 500);
    const read = await call(b, 'GET', `/payments/${created.body.id}`);
    assert.equal(read.body.status, 'SETTLED');
    assert.deepEqual(
      read.body.transactions.map((t: any) => [t.transactionType, t.processorStatus, t.amount]),
      [
        ['SALE', 'SETTLED', 1500],
        ['REFUND', 'SETTLED', 500],
      ],
    );
    assert.equal(read.body.paymentMethod.threeDSecureAuthentication.challengeIssued, true);
  }

  test('SQLite, one process: session → tokenize → 3DS challenge → resume → capture → refund; then every test card leaves no card data behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-pay-e2e-'));
    fleet.cleanup(async () => rmSync(dir, { recursive: true, force: true }));
    const p = await start({ DATABASE_URL: `sqlite:${join(dir, 'kassa.db')}`, LOG_LEVEL: 'trace' });
    await checkout(p, p);

    // Every test card, tokenized and paid, as the SDK and the merchant's server do it.
    for (const row of TEST_CARDS) {
      for (const number of row.numbers) {
        const accessToken = await session(p);
        const token = await tokenize(p, accessToken, number);
        const paid = await call(p, 'POST', '/payments', { paymentMethodToken: token, paymentMethod: { vaultOnSuccess: true } });
        assert.equal(paid.status, 200, `${number}: ${JSON.stringify(paid.body)}`);
        // A bad request that carries a card must not echo it either.
        const bad = await call(
          p,
          'POST',
          '/payment-instruments',
          { paymentInstrument: { number, cvv: 'x', expirationMonth: '13', expirationYear: '1' } },
          sdk(accessToken),
        );
        assert.equal(bad.status, 422);
        assert.ok(!JSON.stringify(bad.body).includes(number), 'an error never echoes the number');
      }
    }
    await p.stop('SIGTERM');

    const files = readdirSync(dir).map((f) => ({ name: f, text: readFileSync(join(dir, f)).toString('latin1') }));
    const log = p.output();
    assert.ok(log.includes('"msg":"request"'), 'the log has a line per request');
    for (const row of TEST_CARDS) {
      for (const number of row.numbers) {
        for (const form of [number, formatCardNumber(number)]) {
          for (const file of files) assert.ok(!file.text.includes(form), `${form} is in ${file.name}`);
          assert.ok(!log.includes(form), `${form} is in the log`);
        }
      }
    }
    for (const cvv of [CVV3, CVV4]) {
      const fragments = [`"cvv":"${cvv}"`, `cvv=${cvv}`, `"cvv": "${cvv}"`];
      for (const fragment of fragments) {
        for (const file of files) assert.ok(!file.text.includes(fragment), `a CVV is in ${file.name}`);
        assert.ok(!log.includes(fragment), 'a CVV is in the log');
      }
    }
  });

  /** Two processes on one PostgreSQL database, with async steps of 200 ms: started once, for both tests that need them. */
  let pair: Promise<[KassaProcess, KassaProcess]> | undefined;
  function postgresPair(): Promise<[KassaProcess, KassaProcess]> {
    pair ??= (async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kassa-pay-jobs-'));
      fleet.cleanup(async () => rmSync(dir, { recursive: true, force: true }));
      const db = await freshDatabase();
      fleet.cleanup(() => db.drop());
      const env = { DATABASE_URL: db.url, KASSA_CHECKOUT_CONFIG: quickAsync(dir, 200) };
      return Promise.all([start(env), start(env)]);
    })();
    return pair;
  }

  test('PostgreSQL, two processes: the same checkout with the calls spread over both', async () => {
    const [a, b] = await postgresPair();
    await checkout(a, b);
  });

  /** A checkout configuration whose async steps take `ms`. */
  function quickAsync(dir: string, ms: number): string {
    const path = join(dir, 'checkout.json');
    writeFileSync(
      path,
      JSON.stringify({
        paymentMethods: [{ type: 'PAYMENT_CARD', name: 'Card', implementationType: 'NATIVE_SDK' }],
        sandbox: { asyncDelayMs: ms },
      }),
    );
    return path;
  }

  /** Polls until `done` (a bound, not a timing claim: jobs run four times a second). */
  async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
    let value = await read();
    for (let i = 0; i < 200 && !done(value); i++) {
      await new Promise((r) => setTimeout(r, 100));
      value = await read();
    }
    return value;
  }

  test('an async step survives a crash: the restarted process runs it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-pay-jobs-'));
    fleet.cleanup(async () => rmSync(dir, { recursive: true, force: true }));
    const env = { DATABASE_URL: `sqlite:${join(dir, 'kassa.db')}`, KASSA_CHECKOUT_CONFIG: quickAsync(dir, 1500) };
    const first = await start(env);
    const accessToken = await session(first);
    const token = await tokenize(first, accessToken, '4000000000007007');
    const created = await call(first, 'POST', '/payments', { paymentMethodToken: token });
    assert.equal(created.body.status, 'PENDING');
    await first.stop('SIGKILL');
    const second = await start(env);
    const read = await eventually(
      () => call(second, 'GET', `/payments/${created.body.id}`),
      (r) => r.body.status !== 'PENDING',
    );
    assert.equal(read.body.status, 'AUTHORIZED');
    await second.stop();
  });

  test('PostgreSQL, two processes: each async step runs once, on one of them', async () => {
    const [a, b] = await postgresPair();
    const accessToken = await session(a);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const token = await tokenize(i % 2 ? a : b, accessToken, i % 2 ? '4000000000007007' : '4000000000007056');
      ids.push((await call(i % 2 ? b : a, 'POST', '/payments', { paymentMethodToken: token })).body.id);
    }
    for (const [i, id] of ids.entries()) {
      const read = await eventually(
        () => call(i % 2 ? a : b, 'GET', `/payments/${id}?expand=transactions.events`),
        (r) => r.body.status !== 'PENDING',
      );
      assert.equal(read.body.status, i % 2 ? 'AUTHORIZED' : 'DECLINED');
      // Run once: one authorization event at most, and the job is gone.
      const authorizations = read.body.transactions[0].events?.filter((e: any) => e.type === 'AUTHORIZATION_SUCCEEDED') ?? [];
      assert.ok(authorizations.length <= 1);
    }
  });
});
