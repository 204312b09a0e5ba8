// engines: sqlite
// `kassa webhooks` against a temporary SQLite database, in process (runCli), beside an in-process app on
// the same file: endpoints are made, listed, tested, rotated and deleted with the CLI; payments made
// through the app leave deliveries that the app's dispatcher sends to a real local receiver
// (node:http), and the CLI lists and redelivers them. What the CLI prints with --json is checked
// against what the webhook API answers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Merchants } from '../../src/merchants/merchants.ts';
import { openSqliteStore } from '../../src/storage/sqlite/database.ts';
import { headers, testApp, type TestApp } from '../support/app.ts';
import { CARDS, pay } from '../payments/support.ts';
import { kassaInProcess as run } from '../support/process.ts';
import { expectedSignature, startReceiver, type Receiver } from '../support/webhook-receiver.ts';

type Json = Record<string, any>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('kassa webhooks', () => {
  let dir: string;
  let env: Record<string, string>;
  let t: TestApp;
  let receiver: Receiver;

  const json = (stdout: string) => JSON.parse(stdout) as Json;
  const api = async (path: string, key = t.apiKey) => {
    const response = await t.app.inject({ method: 'GET', url: path, headers: headers(key) });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as Json;
  };
  /** Makes an endpoint with the CLI; resolves with what --json printed (the secret included). */
  async function create(args: string[]): Promise<Json> {
    const made = await run(['webhooks', 'create', ...args, '--json'], env);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stderr, '');
    return json(made.stdout);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kassa-cli-webhooks-'));
    const dbPath = join(dir, 'kassa.db');
    env = { DATABASE_URL: `sqlite:${dbPath}` };
    t = await testApp({ store: openSqliteStore({ path: dbPath }) });
    // The CLI runs on the real clock; the app's stands a minute ahead, so a delivery the CLI makes due
    // now is due for the app's dispatcher, while a retry the app schedules stays in the future.
    t.clock.now = Date.now() + 60_000;
    receiver = await startReceiver(() => 204);
  });
  after(async () => {
    await receiver?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every webhooks command has help text', async () => {
    const top = await run(['webhooks', '--help'], env);
    assert.equal(top.code, 0);
    for (const name of ['list', 'create', 'delete', 'enable', 'rotate-secret', 'test', 'deliveries', 'delivery', 'redeliver'])
      assert.match(top.stdout, new RegExp(`\\n  ${name}\\b`), name);
    for (const [args, pattern] of [
      ['list', /--merchant[\s\S]*--json/],
      ['create', /--url <url>[\s\S]*--description <text>[\s\S]*--events <types>[\s\S]*--version <version>[\s\S]*--json/],
      ['delete', /<endpointId>[\s\S]*--json/],
      ['rotate-secret', /<endpointId>[\s\S]*24 h/],
      ['test', /<endpointId>[\s\S]*KASSA\.TEST/],
      ['deliveries', /--status <status>[\s\S]*--endpoint <endpointId>[\s\S]*--payment <paymentId>[\s\S]*--limit <n>[\s\S]*--json/],
      ['redeliver', /<deliveryId>[\s\S]*--json/],
      ['enable', /<endpointId>[\s\S]*--json/],
      ['delivery', /<deliveryId>[\s\S]*--json/],
    ] as const) {
      const help = await run(['webhooks', args, '--help'], env);
      assert.equal(help.code, 0, args);
      assert.match(help.stdout, pattern, args);
    }
  });

  test('create prints the secret once; list shows the endpoints as the API does, never a secret', async () => {
    const made = await create([
      '--url',
      `${receiver.url}/shop`,
      '--description',
      'Shop backend',
      '--events',
      'payment.status,CLIENT_SESSION.CREATED',
      '--version',
      '2.3',
    ]);
    assert.match(made.id, UUID);
    assert.match(made.secret, /^whsec_[\w-]{43}$/);
    assert.deepEqual(made, {
      id: made.id,
      url: `${receiver.url}/shop`,
      description: 'Shop backend',
      events: ['PAYMENT.STATUS', 'CLIENT_SESSION.CREATED'],
      version: '2.3',
      createdAt: made.createdAt,
      secret: made.secret,
    });

    const text = await run(['webhooks', 'create', '--url', `${receiver.url}/other`], env);
    assert.equal(text.code, 0, text.stderr);
    const [, otherId, secret] =
      /^Created webhook endpoint (\S+) for \S+\n[\s\S]*\n {2}Signing secret: (whsec_\S+)\n/.exec(text.stdout) ?? [];
    assert.ok(otherId && secret, text.stdout);
    assert.match(text.stdout, /\n {2}events {3}PAYMENT\.STATUS, PAYMENT\.REFUND\n {2}version {2}2\.4\n/);
    assert.match(text.stdout, /This is the only time the secret is shown/);

    const list = await run(['webhooks', 'list', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as Json[];
    assert.deepEqual(rows, (await api('/kassa/webhook-endpoints')).data);
    assert.deepEqual(
      rows.map((e) => e.id),
      [made.id, otherId],
    );
    const table = await run(['webhooks', 'list'], env);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+URL\s+EVENTS\s+VERSION\s+STATUS\s+CREATED\s+DESCRIPTION$/);
    assert.match(
      lines[1]!,
      new RegExp(
        `^${made.id}\\s+${receiver.url}/shop\\s+PAYMENT.STATUS,CLIENT_SESSION.CREATED\\s+2.3\\s+enabled\\s+\\S+Z\\s+Shop backend$`,
      ),
    );
    assert.match(
      lines[2]!,
      new RegExp(`^${otherId}\\s+${receiver.url}/other\\s+PAYMENT.STATUS,PAYMENT.REFUND\\s+2.4\\s+enabled\\s+\\S+Z\\s+-$`),
    );
    for (const out of [list.stdout, table.stdout]) {
      assert.ok(!out.includes(made.secret) && !out.includes(secret!), 'no secret is listed');
    }
    // Sealed at rest: the database never holds a secret in clear.
    const db = new Database(join(dir, 'kassa.db'), { readonly: true });
    try {
      const stored = db.prepare('SELECT * FROM webhook_endpoints').all();
      assert.equal(stored.length, 2);
      assert.ok(!JSON.stringify(stored).includes(made.secret) && !JSON.stringify(stored).includes(secret!));
    } finally {
      db.close();
    }
  });

  test('create refuses a bad URL, event or version, a missing --url and an unknown merchant; nothing on stdout', async () => {
    const before = (await api('/kassa/webhook-endpoints')).data.length;
    const url = await run(['webhooks', 'create', '--url', 'ftp://example.com/hook', '--json'], env);
    assert.equal(url.code, 1);
    assert.equal(url.stdout, '');
    assert.match(url.stderr, /^kassa: RequestValidationError: [^\n]+\n {2}\$\.url: Must be an http\(s\) URL/);
    for (const [args, stderr] of [
      [
        ['--url', 'http://x.test', '--events', 'PAYMENT.STATUS,DISPUTE.CLOSED'],
        /argument 'PAYMENT.STATUS,DISPUTE.CLOSED' is invalid. unknown event DISPUTE.CLOSED/,
      ],
      [['--url', 'http://x.test', '--version', '3.0'], /argument '3.0' is invalid. Allowed choices are 2.1, 2.2, 2.3, 2.4/],
      [['--events', 'PAYMENT.STATUS'], /required option '--url <url>' not specified/],
      [['--url', 'http://x.test', '-m', 'mer_nobody'], /^kassa: no merchant mer_nobody/],
    ] as const) {
      const refused = await run(['webhooks', 'create', ...args, '--json'], env);
      assert.equal(refused.code, 1, args.join(' '));
      assert.equal(refused.stdout, '', args.join(' '));
      assert.match(refused.stderr, stderr, args.join(' '));
    }
    assert.equal((await api('/kassa/webhook-endpoints')).data.length, before);
  });

  test('test sends a signed KASSA.TEST to the receiver now and says how it answered; anything but a 2xx exits 1', async () => {
    const endpoint = await create(['--url', `${receiver.url}/test-me`, '--description', 'Test target']);
    const from = receiver.received.length;
    const ok = await run(['webhooks', 'test', endpoint.id, '--json'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(json(ok.stdout), { delivered: true, statusCode: 204 });
    const [got] = receiver.received.slice(from);
    assert.equal(got!.path, '/test-me');
    assert.equal(got!.headers['content-type'], 'application/json');
    assert.equal(got!.headers['x-signature-primary'], expectedSignature(got!.raw, endpoint.secret));
    assert.equal(got!.headers['x-signature-secondary'], undefined);
    assert.match(String(got!.headers['x-kassa-delivery-id']), /^test-/);
    assert.deepEqual(got!.body, {
      eventType: 'KASSA.TEST',
      date: got!.body.date,
      notificationConfig: { id: endpoint.id, description: 'Test target' },
      version: '2.4',
      signedAt: got!.body.signedAt,
    });
    assert.match(got!.body.signedAt, /^\d{10}$/);

    const text = await run(['webhooks', 'test', endpoint.id], env);
    assert.equal(text.stdout, `Test event (KASSA.TEST) delivered to ${receiver.url}/test-me: the receiver answered 204.\n`);

    receiver.answerFor('/test-me', 500);
    const refused = await run(['webhooks', 'test', endpoint.id, '--json'], env);
    assert.equal(refused.code, 1);
    assert.deepEqual(json(refused.stdout), { delivered: false, statusCode: 500, error: 'The receiver answered 500.' });
    assert.equal(refused.stderr, `kassa: test event not delivered to ${receiver.url}/test-me: The receiver answered 500.\n`);

    // Nobody listening: said in Kassa's words.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const gone = await create(['--url', `http://127.0.0.1:${port}/nobody`]);
    const unreachable = await run(['webhooks', 'test', gone.id], env);
    assert.equal(unreachable.code, 1);
    assert.equal(unreachable.stdout, '');
    assert.equal(unreachable.stderr, `kassa: test event not delivered to http://127.0.0.1:${port}/nobody: The connection was refused.\n`);

    const unknown = await run(['webhooks', 'test', '00000000-0000-4000-8000-000000000000'], env);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'kassa: NotFound: No webhook endpoint with this id belongs to the merchant.\n');
  });

  test('rotate-secret shows a new secret once; for a day the old one signs too, as X-Signature-Secondary', async () => {
    const endpoint = await create(['--url', `${receiver.url}/rotate`]);
    const rotated = await run(['webhooks', 'rotate-secret', endpoint.id, '--json'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const body = json(rotated.stdout);
    assert.match(body.secret, /^whsec_/);
    assert.notEqual(body.secret, endpoint.secret);
    const { secret: _secret, previousSecretValidUntil, ...shown } = body;
    assert.deepEqual(shown, { id: endpoint.id, url: endpoint.url, events: endpoint.events, version: '2.4', createdAt: endpoint.createdAt });
    const until = Date.parse(`${previousSecretValidUntil}Z`);
    assert.ok(Math.abs(until - (Date.now() + 86_400_000)) < 60_000, previousSecretValidUntil);

    const from = receiver.received.length;
    assert.equal((await run(['webhooks', 'test', endpoint.id], env)).code, 0);
    const [got] = receiver.received.slice(from);
    assert.equal(got!.headers['x-signature-primary'], expectedSignature(got!.raw, body.secret));
    assert.equal(got!.headers['x-signature-secondary'], expectedSignature(got!.raw, endpoint.secret));

    const text = await run(['webhooks', 'rotate-secret', endpoint.id], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      new RegExp(`^New signing secret for webhook endpoint ${endpoint.id}; the old one also signs until \\S+Z\\.\\n`),
    );
    assert.match(text.stdout, /\n {2}Signing secret: whsec_\S+\n/);
  });

  test("deliveries: a payment's events, sent by the dispatcher, by status, endpoint and payment; redeliver sends one again", async () => {
    // A merchant of its own, so the endpoints of the other tests get none of its events.
    const merchants = new Merchants(t.store, () => t.clock.now);
    await merchants.createMerchant('Shop', 'mer_shop');
    const key = (await merchants.createKey('mer_shop')).secret;
    const shop = ['-m', 'mer_shop'];
    const good = await create(['--url', `${receiver.url}/good`, ...shop]);
    const bad = await create(['--url', `${receiver.url}/bad`, ...shop]);
    receiver.answerFor('/bad', 500);

    const { payment } = await pay(t, CARDS.visa, { key, session: { orderId: 'order-hooked', currencyCode: 'EUR', amount: 1999 } });
    assert.equal(payment.status, 'AUTHORIZED');

    // Made from the payment's events (the outbox) on the dispatcher's next tick: one per event and endpoint, none sent yet.
    await t.store.webhooks.fanOut(100);
    const queued = json(
      (await run(['webhooks', 'deliveries', '--payment', payment.id, '--json', ...shop], env)).stdout,
    ) as unknown as Json[];
    assert.equal(queued.length, 4);
    assert.ok(
      queued.every((d) => d.status === 'PENDING' && d.attempts === 0 && d.paymentId === payment.id && d.eventType === 'PAYMENT.STATUS'),
    );

    const from = receiver.received.length;
    assert.equal(await t.app.webhookDispatcher!.runDue(), 4);
    const sent = receiver.received.slice(from);
    assert.equal(sent.length, 4);
    const toGood = sent.filter((r) => r.path === '/good');
    for (const r of toGood) assert.equal(r.headers['x-signature-primary'], expectedSignature(r.raw, good.secret));
    assert.deepEqual(toGood.map((r) => r.body.payment.status).sort(), ['AUTHORIZED', 'PENDING']);

    const all = await run(['webhooks', 'deliveries', '--payment', payment.id, '--json', ...shop], env);
    assert.equal(all.code, 0, all.stderr);
    const rows = JSON.parse(all.stdout) as Json[];
    assert.deepEqual(rows, (await api(`/kassa/webhook-deliveries?payment_id=${payment.id}`, key)).data);
    const delivered = rows.filter((d) => d.status === 'DELIVERED');
    assert.deepEqual(
      delivered.map((d) => [d.endpointId, d.attempts, d.lastStatusCode]),
      [
        [good.id, 1, 204],
        [good.id, 1, 204],
      ],
    );
    assert.deepEqual(delivered.map((d) => d.id).sort(), toGood.map((r) => r.headers['x-kassa-delivery-id']).sort());
    const failing = rows.filter((d) => d.endpointId === bad.id);
    assert.deepEqual(
      failing.map((d) => [d.status, d.attempts, d.lastStatusCode, d.lastError]),
      [
        ['PENDING', 1, 500, 'The receiver answered 500.'],
        ['PENDING', 1, 500, 'The receiver answered 500.'],
      ],
    );

    const byStatus = json(
      (await run(['webhooks', 'deliveries', '--status', 'delivered', '--json', ...shop], env)).stdout,
    ) as unknown as Json[];
    assert.deepEqual(byStatus.map((d) => d.id).sort(), delivered.map((d) => d.id).sort());
    const byEndpoint = json(
      (await run(['webhooks', 'deliveries', '--endpoint', bad.id, '--status', 'PENDING', '--json', ...shop], env)).stdout,
    );
    assert.deepEqual(byEndpoint, failing);
    const limited = json((await run(['webhooks', 'deliveries', '--limit', '1', '--json', ...shop], env)).stdout) as unknown as Json[];
    assert.deepEqual(limited, [rows[0]]);
    assert.equal((await run(['webhooks', 'deliveries', '--json'], env)).stdout, '[]\n', "another merchant's deliveries never show");
    assert.equal((await run(['webhooks', 'deliveries', '--payment', 'pay_nope', ...shop], env)).stdout, 'No webhook deliveries match.\n');

    const table = await run(['webhooks', 'deliveries', '--endpoint', bad.id, ...shop], env);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+EVENT\s+SUBJECT\s+ENDPOINT\s+STATUS\s+ATTEMPTS\s+CREATED\s+LAST RESULT$/);
    assert.equal(lines.length, 3);
    assert.match(
      lines[1]!,
      new RegExp(
        `^${UUID.source.slice(1, -1)}\\s+PAYMENT.STATUS\\s+${payment.id}\\s+${bad.id}\\s+PENDING\\s+1\\s+\\S+Z\\s+The receiver answered 500.$`,
      ),
    );

    // The receiver is fixed; one of its deliveries is sent again at once, with the same delivery id.
    receiver.answerFor('/bad', 204);
    const [again, waiting] = failing;
    const redeliver = await run(['webhooks', 'redeliver', again!.id, '--json', ...shop], env);
    assert.equal(redeliver.code, 0, redeliver.stderr);
    const requeued = json(redeliver.stdout);
    assert.deepEqual({ ...requeued, nextAttemptAt: typeof requeued.nextAttemptAt }, { ...again, nextAttemptAt: 'string' });
    const before = receiver.received.length;
    assert.equal(await t.app.webhookDispatcher!.runDue(), 1, 'only the redelivered one is due');
    const [resent] = receiver.received.slice(before);
    assert.equal(resent!.path, '/bad');
    assert.equal(resent!.headers['x-kassa-delivery-id'], again!.id);
    assert.equal(resent!.headers['x-signature-primary'], expectedSignature(resent!.raw, bad.secret));
    const after = json((await run(['webhooks', 'deliveries', '--endpoint', bad.id, '--json', ...shop], env)).stdout) as unknown as Json[];
    const byId = new Map(after.map((d) => [d.id, d]));
    assert.deepEqual(
      [byId.get(again!.id)!.status, byId.get(again!.id)!.attempts, byId.get(again!.id)!.lastStatusCode],
      ['DELIVERED', 2, 204],
    );
    assert.equal(byId.get(waiting!.id)!.status, 'PENDING');

    const text = await run(['webhooks', 'redeliver', waiting!.id, ...shop], env);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(
      text.stdout,
      `Delivery ${waiting!.id} (PAYMENT.STATUS of ${payment.id}) is PENDING again, due now: a running Kassa server sends it within a second.\n`,
    );
    for (const [args, stderr] of [
      [
        ['redeliver', '00000000-0000-4000-8000-000000000000', ...shop],
        'kassa: NotFound: No webhook delivery with this id belongs to the merchant.\n',
      ],
      [['redeliver', waiting!.id], 'kassa: NotFound: No webhook delivery with this id belongs to the merchant.\n'],
    ] as const) {
      const refused = await run(['webhooks', ...args], env);
      assert.equal(refused.code, 1, args.join(' '));
      assert.equal(refused.stderr, stderr, args.join(' '));
    }
    for (const args of [
      ['--status', 'LOST'],
      ['--limit', '0'],
      ['--payment', payment.id, '--session', 'cs_x'],
    ]) {
      const bad = await run(['webhooks', 'deliveries', ...args, ...shop], env);
      assert.equal(bad.code, 1, args.join(' '));
      assert.equal(bad.stdout, '', args.join(' '));
    }
  });

  test('enable: a disabled endpoint is listed as disabled, with its reason in --json, and enabled again; an unknown one is NotFound', async () => {
    const merchants = new Merchants(t.store, () => t.clock.now);
    await merchants.createMerchant('Flaky', 'mer_flaky');
    const flaky = ['-m', 'mer_flaky'];
    const endpoint = await create(['--url', `${receiver.url}/flaky`, ...flaky]);
    // Disabled as the dispatcher leaves it (the rule itself is tested in the store contract and the HTTP suite).
    const disabledAt = Date.parse('2026-11-20T10:00:00.000Z');
    const db = new Database(join(dir, 'kassa.db'));
    try {
      db.prepare('UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ?, failing_since = ?, failures = 12 WHERE id = ?').run(
        disabledAt,
        'Every attempt failed for 3 days (10 or more in a row).',
        disabledAt - 3 * 86_400_000,
        endpoint.id,
      );
    } finally {
      db.close();
    }
    const table = await run(['webhooks', 'list', ...flaky], env);
    assert.match(
      table.stdout.split('\n')[1]!,
      new RegExp(`^${endpoint.id}\\s+\\S+\\s+\\S+\\s+2.4\\s+disabled 2026-11-20T10:00:00.000Z\\s`),
    );
    const listed = json((await run(['webhooks', 'list', '--json', ...flaky], env)).stdout) as unknown as Json[];
    assert.deepEqual(
      [listed[0]!.disabledAt, listed[0]!.disabledReason, listed[0]!.failures],
      ['2026-11-20T10:00:00.000000', 'Every attempt failed for 3 days (10 or more in a row).', 12],
    );
    const enabled = await run(['webhooks', 'enable', endpoint.id, ...flaky], env);
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.equal(
      enabled.stdout,
      `Enabled webhook endpoint ${endpoint.id} (disabled since 2026-11-20T10:00:00.000Z: Every attempt failed for 3 days (10 or more in a row).).\n` +
        'New events are delivered to it; `kassa webhooks redeliver` sends again what it missed.\n',
    );
    const after = json((await run(['webhooks', 'list', '--json', ...flaky], env)).stdout) as unknown as Json[];
    assert.deepEqual(after, (await api('/kassa/webhook-endpoints', (await merchants.createKey('mer_flaky')).secret)).data);
    assert.equal(after[0]!.disabledAt, undefined);
    assert.equal(
      (await run(['webhooks', 'enable', endpoint.id, ...flaky], env)).stdout,
      `Webhook endpoint ${endpoint.id} was enabled already.\n`,
    );
    const unknown = await run(['webhooks', 'enable', '00000000-0000-4000-8000-000000000000', ...flaky], env);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'kassa: NotFound: No webhook endpoint with this id belongs to the merchant.\n');
  });

  test('delivery: one delivery with its attempt log, as GET /kassa/webhook-deliveries/{id} shows it; text names each attempt and answer', async () => {
    const merchants = new Merchants(t.store, () => t.clock.now);
    await merchants.createMerchant('Logged', 'mer_logged');
    const key = (await merchants.createKey('mer_logged')).secret;
    const logged = ['-m', 'mer_logged'];
    await create(['--url', `${receiver.url}/logged-down`, '--events', 'PAYMENT.REFUND,CLIENT_SESSION.CREATED', ...logged]);
    receiver.answerFor('/logged-down', 503);
    const made = await t.app.inject({
      method: 'POST',
      url: '/client-session',
      headers: headers(key),
      payload: { orderId: 'order-logged', currencyCode: 'EUR', amount: 100 },
    });
    assert.equal(made.statusCode, 200, made.body);
    await t.store.webhooks.fanOut(100);
    await t.app.webhookDispatcher!.runDue();
    const [listed] = json((await run(['webhooks', 'deliveries', '--json', ...logged], env)).stdout) as unknown as Json[];
    assert.ok(listed);
    const shown = await run(['webhooks', 'delivery', listed.id, '--json', ...logged], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(json(shown.stdout), await api(`/kassa/webhook-deliveries/${listed.id}`, key));
    assert.equal(json(shown.stdout).attemptLog.length, 1);
    const text = await run(['webhooks', 'delivery', listed.id, ...logged], env);
    assert.match(
      text.stdout,
      new RegExp(
        `^Delivery ${listed.id}: CLIENT_SESSION.CREATED of cs_\\S+ to endpoint \\S+\\n  status    PENDING, 1 attempt\\n  next      \\S+\\n`,
      ),
    );
    assert.match(
      text.stdout,
      /\nAttempt 1 at \S+, \d+ ms: The receiver answered 503\.\n {2}Request \(\d+ bytes of body\)\n[\s\S]*x-kassa-delivery-id: /,
    );
    assert.match(text.stdout, /\n {2}Response 503\n/);
    const unknown = await run(['webhooks', 'delivery', '00000000-0000-4000-8000-000000000000', ...logged], env);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'kassa: NotFound: No webhook delivery with this id belongs to the merchant.\n');
  });

  test('delete: the endpoint leaves the list; deleting, testing or rotating it again is NotFound', async () => {
    const endpoint = await create(['--url', `${receiver.url}/short-lived`]);
    const deleted = await run(['webhooks', 'delete', endpoint.id, '--json'], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(json(deleted.stdout), { id: endpoint.id, deleted: true });
    const list = json((await run(['webhooks', 'list', '--json'], env)).stdout) as unknown as Json[];
    assert.ok(!list.some((e) => e.id === endpoint.id));
    for (const command of ['delete', 'test', 'rotate-secret']) {
      const refused = await run(['webhooks', command, endpoint.id], env);
      assert.equal(refused.code, 1, command);
      assert.equal(refused.stdout, '', command);
      assert.equal(refused.stderr, 'kassa: NotFound: No webhook endpoint with this id belongs to the merchant.\n', command);
    }
    const text = await create(['--url', `${receiver.url}/short-lived-2`]);
    assert.equal((await run(['webhooks', 'delete', text.id], env)).stdout, `Deleted webhook endpoint ${text.id}.\n`);
    const none = await run(['webhooks', 'list', '-m', 'mer_nobody'], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^kassa: no merchant mer_nobody/);
  });
});
