// engines: sqlite
// The `kassa` command against a temporary SQLite database, as an operator would run it. A few checks
// run the real subprocess (the entry point, exit codes, JSON on stdout, serve); the rest call the same
// runCli in process (a subprocess costs a second of start-up each).
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SCOPES } from '../../src/merchants/merchants.ts';
import { openStore } from '../../src/storage/open.ts';
import { openSqliteStore } from '../../src/storage/sqlite/database.ts';
import { api, pay, VISA_CARD_DATA } from '../payments/support.ts';
import { headers, insertSession, testApp } from '../support/app.ts';
import { kassaInProcess as run, runKassa as kassa, startKassa } from '../support/process.ts';

describe('the kassa command', () => {
  let dir: string;
  let env: Record<string, string>;
  let dbPath: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kassa-cli-'));
    dbPath = join(dir, 'kassa.db');
    env = { DATABASE_URL: `sqlite:${dbPath}` };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * An in-process app on the CLI's database file, to see what the CLI's changes do to the API. The CLI
   * runs on the real clock, so the app does too: data made on a fixed date would expire (and be
   * purged) by the CLI's clock once the real date passed it.
   */
  async function appOnSameDatabase(path = dbPath) {
    const t = await testApp({ store: openSqliteStore({ path }) });
    t.clock.now = Date.now();
    return t;
  }

  const json = (stdout: string) => JSON.parse(stdout) as unknown;

  describe('kassa help', () => {
    test('every command has help text and exits 0', async () => {
      const top = await kassa(['--help'], env);
      assert.equal(top.code, 0);
      for (const name of ['serve', 'migrate', 'merchants', 'keys', 'sessions', 'purge'])
        assert.match(top.stdout, new RegExp(`\\n  ${name}\\b`));
      const commands = [
        ['serve', /--port/],
        ['migrate', /migrations/],
        ['merchants', /create/],
        ['merchants create', /<name>/],
        ['merchants list', /--json/],
        ['keys create', /--scopes/],
        ['keys list', /--merchant/],
        ['keys revoke', /<keyId>/],
        ['sessions list', /--limit/],
        ['sessions show', /<sessionId>/],
        ['purge', /--retention/],
      ] as const;
      // The subcommands' help, in process (the same program; a subprocess each costs a second).
      const results = await Promise.all(commands.map(([args]) => run([...args.split(' '), '--help'], env)));
      results.forEach((result, i) => {
        assert.equal(result.code, 0, commands[i][0]);
        assert.match(result.stdout, /^Usage: kassa /, commands[i][0]);
        assert.match(result.stdout, commands[i][1], commands[i][0]);
      });
    });

    test('an unknown command, a missing argument and an unknown option exit 1 with a message on stderr', async () => {
      const [unknown, missing, option] = await Promise.all([
        kassa(['frobnicate'], env),
        run(['merchants', 'create'], env),
        run(['merchants', 'list', '--colour'], env),
      ]);
      for (const result of [unknown, missing, option]) {
        assert.equal(result.code, 1);
        assert.equal(result.stdout, '');
      }
      assert.match(unknown.stderr, /unknown command 'frobnicate'/);
      assert.match(missing.stderr, /missing required argument 'name'/);
      assert.match(option.stderr, /unknown option '--colour'/);
    });

    test('a bad DATABASE_URL is named and exits 2', async () => {
      const result = await kassa(['merchants', 'list'], { DATABASE_URL: 'mysql://nope' });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /DATABASE_URL: must start with sqlite: or postgres:\/\//);
    });
  });

  describe('kassa migrate, merchants and keys', () => {
    test("a command leaves WAL checkpoints to SQLite: it starts no checkpoint thread (the server's store does)", async () => {
      // Worker threads started meanwhile, seen as they are made.
      const workers = async (work: () => Promise<unknown>) => {
        let made = 0;
        const hook = createHook({
          init(_id, type) {
            if (type === 'WORKER') made++;
          },
        }).enable();
        try {
          await work();
        } finally {
          hook.disable();
        }
        return made;
      };
      assert.equal(await workers(() => run(['merchants', 'list'], env)), 0);
      // What the test would see of one: the server's store starts its thread.
      const target = { engine: 'sqlite' as const, path: dbPath };
      assert.equal(await workers(async () => (await openStore(target)).close()), 1);
    });

    test('migrate prepares an empty database, and --json says so', async () => {
      const result = await run(['migrate', '--json'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(json(result.stdout), { engine: 'sqlite', migrated: true });
      const list = await run(['merchants', 'list', '--json'], env);
      assert.deepEqual(json(list.stdout), []);
      // An empty database is most often the wrong one: the command says which file it opened.
      const empty = await run(['merchants', 'list'], env);
      assert.equal(empty.stdout, 'No merchants.\n');
      assert.equal(empty.stderr, `kassa: sqlite:${dbPath} has no merchants: no server has started on it (is DATABASE_URL the server's?)\n`);
      const text = await run(['migrate'], env);
      assert.equal(text.stdout, 'Migrations applied (sqlite).\n');
    });

    test('merchants create prints {id, name}; list shows it; a taken or malformed id is refused', async () => {
      const created = await kassa(['merchants', 'create', 'Acme Ltd', '--id', 'mer_acme', '--json'], env);
      assert.equal(created.code, 0, created.stderr);
      assert.deepEqual(json(created.stdout), { id: 'mer_acme', name: 'Acme Ltd' });

      const generated = await run(['merchants', 'create', 'Beta GmbH', '--json'], env);
      const beta = json(generated.stdout) as { id: string; name: string };
      assert.match(beta.id, /^mer_[A-Za-z0-9_-]+$/);
      assert.deepEqual(Object.keys(beta), ['id', 'name']);

      const list = await run(['merchants', 'list', '--json'], env);
      const merchants = json(list.stdout) as { id: string; name: string; createdAt: string }[];
      assert.deepEqual(
        merchants.map((m) => [m.id, m.name]),
        [
          ['mer_acme', 'Acme Ltd'],
          [beta.id, 'Beta GmbH'],
        ],
      );
      assert.ok(merchants.every((m) => !Number.isNaN(Date.parse(m.createdAt))));

      const table = await run(['merchants', 'list'], env);
      assert.match(table.stdout, /^ID\s+NAME\s+CREATED\nmer_acme\s+Acme Ltd\s+\d{4}-/);

      const taken = await run(['merchants', 'create', 'Again', '--id', 'mer_acme', '--json'], env);
      assert.equal(taken.code, 1);
      assert.equal(taken.stdout, '');
      assert.equal(taken.stderr, 'kassa: merchant mer_acme already exists\n');
      const malformed = await run(['merchants', 'create', 'X', '--id', 'acme'], env);
      assert.equal(malformed.code, 1);
      assert.match(malformed.stderr, /option '--id <id>' argument 'acme' is invalid/);
    });

    test('keys create shows the secret once; a subset of scopes is enforced by the API; revoke locks the key out', async () => {
      const full = await run(['keys', 'create', '--merchant', 'mer_acme', '--json'], env);
      assert.equal(full.code, 0, full.stderr);
      const fullKey = json(full.stdout) as { id: string; merchantId: string; secret: string; scopes: string[] };
      assert.deepEqual(Object.keys(fullKey), ['id', 'merchantId', 'secret', 'scopes']);
      assert.equal(fullKey.merchantId, 'mer_acme');
      assert.deepEqual(fullKey.scopes, [...SCOPES]);

      const narrow = await run(['keys', 'create', '-m', 'mer_acme', '--scopes', 'transactions:retrieve', '--json'], env);
      const narrowKey = json(narrow.stdout) as { id: string; secret: string; scopes: string[] };
      assert.deepEqual(narrowKey.scopes, ['transactions:retrieve']);

      const text = await run(['keys', 'create', '-m', 'mer_acme', '-s', 'client_tokens:write'], env);
      assert.match(text.stdout, /X-Api-Key: kassa_sk_\S+\n/);
      assert.match(text.stdout, /only time the secret is shown/);

      const t = await appOnSameDatabase();
      try {
        const create = (key: string) =>
          t.app.inject({
            method: 'POST',
            url: '/client-session',
            headers: headers(key),
            payload: { orderId: 'o-1', currencyCode: 'EUR', amount: 100 },
          });
        assert.equal((await create(fullKey.secret)).statusCode, 200);
        const forbidden = await create(narrowKey.secret);
        assert.equal(forbidden.statusCode, 403);
        assert.equal(forbidden.json().error.errorId, 'Forbidden');

        const list = await run(['keys', 'list', '-m', 'mer_acme', '--json'], env);
        const keys = json(list.stdout) as Record<string, unknown>[];
        assert.deepEqual(keys.map((k) => k.id).sort(), [fullKey.id, narrowKey.id, keys[2].id].sort());
        for (const key of keys) {
          assert.deepEqual(Object.keys(key), ['id', 'merchantId', 'scopes', 'createdAt', 'revokedAt']);
          assert.equal(key.revokedAt, null);
        }
        // Not the secret, nor any part of it: keys are known by their id.
        assert.ok(!list.stdout.includes(fullKey.secret.slice(0, 12)), 'a listing shows no part of a secret');
        assert.ok(!list.stdout.includes(fullKey.secret.slice(-8)), 'a listing shows no part of a secret');

        const revoked = await run(['keys', 'revoke', fullKey.id, '--json'], env);
        assert.equal(revoked.code, 0, revoked.stderr);
        assert.deepEqual(json(revoked.stdout), { id: fullKey.id, revoked: true });
        assert.equal((await create(fullKey.secret)).statusCode, 401);

        const after = json((await run(['keys', 'list', '-m', 'mer_acme', '--json'], env)).stdout) as {
          id: string;
          revokedAt: string | null;
        }[];
        assert.ok(!Number.isNaN(Date.parse(after.find((k) => k.id === fullKey.id)!.revokedAt!)));

        const again = await run(['keys', 'revoke', fullKey.id], env);
        assert.equal(again.code, 1);
        assert.equal(again.stderr, `kassa: no active API key ${fullKey.id} (unknown or already revoked)\n`);
      } finally {
        await t.close();
      }
    });

    test('keys create refuses an unknown scope and an unknown merchant, and writes nothing', async () => {
      const before = json((await run(['keys', 'list', '-m', 'mer_acme', '--json'], env)).stdout) as unknown[];
      const scope = await run(['keys', 'create', '-m', 'mer_acme', '--scopes', 'client_tokens:write,everything', '--json'], env);
      assert.equal(scope.code, 1);
      assert.equal(scope.stdout, '');
      assert.match(scope.stderr, /unknown scope everything; known scopes: client_tokens:write, /);
      const merchant = await run(['keys', 'create', '-m', 'mer_nobody', '--json'], env);
      assert.equal(merchant.code, 1);
      assert.match(merchant.stderr, /^kassa: no merchant mer_nobody/);
      const afterList = json((await run(['keys', 'list', '-m', 'mer_acme', '--json'], env)).stdout) as unknown[];
      assert.equal(afterList.length, before.length);
    });
  });

  describe('kassa sessions', () => {
    test('list is most recent first with expiry and state; show gives the session, its warnings and expiry', async () => {
      assert.equal((await run(['merchants', 'create', 'Shop', '--id', 'mer_shop'], env)).code, 0);
      const key = json((await run(['keys', 'create', '-m', 'mer_shop', '-s', 'client_tokens:write', '--json'], env)).stdout) as {
        secret: string;
      };
      const t = await appOnSameDatabase();
      // Real time matters here (the CLI uses the system clock for active/expired), so the sessions are
      // made relative to now: one created two days ago (expired, the token lives one day), one just now.
      const day = 86_400_000;
      try {
        t.clock.now = Date.now() - 2 * day;
        const old = await t.app.inject({
          method: 'POST',
          url: '/client-session',
          headers: headers(key.secret),
          payload: { orderId: 'old-order', currencyCode: 'GBP', amount: 650, customer: { emailAddress: 'old@example.com' } },
        });
        assert.equal(old.statusCode, 200);
        t.clock.now = Date.now();
        const fresh = await t.app.inject({
          method: 'POST',
          url: '/client-session',
          headers: headers(key.secret),
          payload: { currencyCode: 'EUR', amount: 1250 },
        });
        assert.equal(fresh.statusCode, 200);
      } finally {
        await t.close();
      }

      const list = await run(['sessions', 'list', '-m', 'mer_shop', '--json'], env);
      assert.equal(list.code, 0, list.stderr);
      const sessions = json(list.stdout) as Record<string, unknown>[];
      assert.equal(sessions.length, 2);
      const [newest, oldest] = sessions;
      assert.match(String(newest.id), /^cs_/);
      assert.deepEqual(
        { ...newest, id: 'x', createdAt: 'x', expiresAt: 'x' },
        { id: 'x', amount: 1250, currencyCode: 'EUR', createdAt: 'x', expiresAt: 'x', state: 'active' },
      );
      assert.deepEqual(
        { ...oldest, id: 'x', createdAt: 'x', expiresAt: 'x' },
        {
          id: 'x',
          orderId: 'old-order',
          amount: 650,
          currencyCode: 'GBP',
          customerEmail: 'old@example.com',
          createdAt: 'x',
          expiresAt: 'x',
          state: 'expired',
        },
      );
      assert.equal(Date.parse(String(oldest.expiresAt)) - Date.parse(String(oldest.createdAt)), day);

      const limited = json((await run(['sessions', 'list', '-m', 'mer_shop', '--limit', '1', '--json'], env)).stdout) as { id: string }[];
      assert.deepEqual(
        limited.map((s) => s.id),
        [newest.id],
      );
      const older = json(
        (await run(['sessions', 'list', '-m', 'mer_shop', '--before', String(newest.createdAt), '--json'], env)).stdout,
      ) as { id: string }[];
      assert.deepEqual(
        older.map((s) => s.id),
        [oldest.id],
      );

      const table = await run(['sessions', 'list', '-m', 'mer_shop'], env);
      assert.match(table.stdout, /^ID\s+ORDER\s+AMOUNT\s+EMAIL\s+CREATED\s+EXPIRES\s+STATE\n/);
      assert.match(table.stdout, /old-order\s+650 GBP\s+old@example.com\s+\S+\s+\S+\s+expired/);

      const show = await run(['sessions', 'show', String(newest.id), '-m', 'mer_shop', '--json'], env);
      assert.equal(show.code, 0, show.stderr);
      const detail = json(show.stdout) as Record<string, unknown>;
      assert.equal(detail.id, newest.id);
      assert.equal(detail.state, 'active');
      assert.equal(detail.expiresAt, newest.expiresAt);
      assert.equal(detail.version, 1);
      assert.deepEqual(detail.session, { currencyCode: 'EUR', amount: 1250 });
      assert.deepEqual(detail.warnings, [
        {
          type: 'CLIENT_SESSION',
          code: 'MISSING_DATA',
          message: '$.orderId is missing: Primer asks for it when a session is created, and a payment cannot be made without it.',
        },
      ]);
      const text = await run(['sessions', 'show', String(newest.id), '-m', 'mer_shop'], env);
      assert.match(text.stdout, new RegExp(`^Session ${newest.id} \\(active\\)\\n`));
      assert.match(text.stdout, /token expires {2}\d{4}-/);
      assert.match(text.stdout, /CLIENT_SESSION MISSING_DATA: \$\.orderId is missing/);
    });

    test("show refuses an unknown session and another merchant's; list refuses a bad limit", async () => {
      const sessions = json((await run(['sessions', 'list', '-m', 'mer_shop', '--json'], env)).stdout) as { id: string }[];
      const [unknown, foreign, limit, empty] = await Promise.all([
        run(['sessions', 'show', 'cs_nothing', '-m', 'mer_shop'], env),
        run(['sessions', 'show', sessions[0].id, '-m', 'mer_default'], env),
        run(['sessions', 'list', '-m', 'mer_shop', '--limit', '0'], env),
        run(['sessions', 'list', '-m', 'mer_nobody', '--json'], env),
      ]);
      assert.equal(unknown.code, 1);
      assert.equal(unknown.stderr, 'kassa: no session cs_nothing for merchant mer_shop\n');
      assert.equal(foreign.code, 1);
      assert.equal(foreign.stdout, '');
      assert.equal(limit.code, 1);
      assert.match(limit.stderr, /option '-n, --limit <n>' argument '0' is invalid\. must be a whole number from 1 to 1000/);
      assert.equal(empty.code, 1);
      assert.match(empty.stderr, /no merchant mer_nobody/);
    });
  });

  describe('kassa serve', () => {
    test('serves the API on the port given, like npm start, and stops cleanly on SIGTERM', async () => {
      const server = await startKassa(
        { ...env, KASSA_API_KEY: 'kassa_cli_serve_key_0123456789', LOG_LEVEL: 'info' },
        { entry: 'src/cli/main.ts', args: ['serve', '--port', '0'] },
      );
      try {
        const health = await fetch(`${server.url}/health`);
        assert.equal(health.status, 200);
        assert.deepEqual(await health.json(), { status: 'ok' });
        const created = await fetch(`${server.url}/client-session`, {
          method: 'POST',
          headers: headers('kassa_cli_serve_key_0123456789'),
          body: JSON.stringify({ orderId: 'served', currencyCode: 'EUR', amount: 1 }),
        });
        assert.equal(created.status, 200);
      } finally {
        assert.equal((await server.stop()).code, 0);
      }
      const sessions = json((await kassa(['sessions', 'list', '--json'], env)).stdout) as { orderId?: string }[];
      assert.deepEqual(
        sessions.map((s) => s.orderId),
        ['served'],
      );
    });
  });

  describe('kassa purge', () => {
    test('deletes sessions expired longer ago than the retention, and expired idempotency records and unused tokens, now', async () => {
      // A database of its own: what the other tests left counts for nothing here.
      const path = join(dir, 'purge.db');
      const env = { DATABASE_URL: `sqlite:${path}` };
      const app = await appOnSameDatabase(path);
      const now = Date.now();
      const DAY = 86_400_000;
      const session = (id: string, expiresAt: number) => ({
        id,
        merchantId: 'mer_default',
        accessTokenHash: `hash-${id}`,
        data: { orderId: id },
        version: 1,
        createdAt: expiresAt - DAY,
        updatedAt: expiresAt - DAY,
        expiresAt,
      });
      await insertSession(app.store, session('cs_purge_old', now - 10 * DAY));
      await insertSession(app.store, session('cs_purge_recent', now - 1 * DAY));
      await insertSession(app.store, session('cs_purge_live', now + DAY));
      // Payment method tokens go when they expire unused (their session's retention does not keep them).
      const token = (id: string, expiresAt: number) => ({
        token: id,
        merchantId: 'mer_default',
        tokenType: 'SINGLE_USE' as const,
        sessionId: 'cs_purge_recent',
        analyticsId: `an_${id}`,
        card: VISA_CARD_DATA,
        scenario: 'success',
        cvvGiven: true,
        isDefault: false,
        createdAt: expiresAt - DAY,
        expiresAt,
      });
      await app.store.commit((uow) => {
        uow.payments.insertToken(token('tok_purge_old', now - DAY));
        uow.payments.insertToken(token('tok_purge_live', now + DAY));
      });
      await app.store.idempotency.begin({
        merchantId: 'mer_default',
        keyHash: 'k-old',
        requestHash: 'r',
        claim: 'c1',
        now: now - 2 * DAY,
        expiresAt: now - DAY,
        lockedUntil: now - DAY,
      });
      await app.store.idempotency.begin({
        merchantId: 'mer_default',
        keyHash: 'k-live',
        requestHash: 'r',
        claim: 'c2',
        now,
        expiresAt: now + DAY,
        lockedUntil: now + DAY,
      });
      // Two payments made 100 days ago: one settled (over), one still authorized (it can be captured).
      app.clock.now = now - 100 * DAY;
      const { payment: settled } = await pay(app);
      assert.equal((await api(app, 'POST', `/payments/${settled.id}/capture`, {})).statusCode, 200);
      const { payment: authorized } = await pay(app);
      const settledEvents = (await app.store.payments.events('mer_default', settled.id)).length;
      await app.close();

      const result = await run(['purge', '--retention', String(3 * 86_400), '--json'], env);
      assert.equal(result.code, 0, result.stderr);
      // The payments' sessions expired 100 days ago too; the settled payment's token goes with it.
      assert.deepEqual(json(result.stdout), {
        sessions: 3,
        idempotencyRecords: 1,
        tokens: 2,
        payments: 1,
        paymentEvents: settledEvents,
        webhookDeliveries: 0,
        paypalOrders: 0,
      });

      const store = openSqliteStore({ path });
      try {
        assert.equal(await store.sessions.findById('mer_default', 'cs_purge_old'), undefined);
        assert.ok(await store.sessions.findById('mer_default', 'cs_purge_recent'), 'inside the retention: kept');
        assert.ok(await store.sessions.findById('mer_default', 'cs_purge_live'));
        assert.equal(await store.payments.findToken('tok_purge_old'), undefined);
        assert.ok(await store.payments.findToken('tok_purge_live'));
        const live = await store.idempotency.begin({
          merchantId: 'mer_default',
          keyHash: 'k-live',
          requestHash: 'r',
          claim: 'c3',
          now,
          expiresAt: now + DAY,
          lockedUntil: now + 1,
        });
        assert.equal(live.state, 'in-flight', 'the live record is still there');
        assert.equal(await store.payments.findById('mer_default', settled.id), undefined);
        assert.deepEqual(await store.payments.events('mer_default', settled.id), []);
        assert.equal((await store.payments.findById('mer_default', authorized.id))?.status, 'AUTHORIZED', 'a live payment is kept');
      } finally {
        await store.close();
      }
      const text = await run(['purge'], env);
      assert.equal(text.code, 0);
      assert.match(
        text.stdout,
        /^Purged 0 expired session\(s\), 0 expired idempotency record\(s\), 0 expired unused payment method token\(s\), 0 payment\(s\) with 0 event\(s\), and 0 webhook delivery\(ies\)\.\n$/,
      );
      const bad = await run(['purge', '--retention', 'soon'], env);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /--retention/);
    });
  });
});
