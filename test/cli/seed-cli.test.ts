// engines: sqlite
// `kassa seed FILE`, `kassa reset` and KASSA_SEED at start, on a temporary SQLite database: the CLI in
// process (runCli), the server as a real process. A bad file exits non-zero naming each JSON path
// and writes nothing; at start it is a configuration mistake (exit 2) and the server never listens.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { CARDS } from '../payments/support.ts';
import { apiHeaders, kassaInProcess as run, runKassa, startKassa } from '../support/process.ts';

const KEY = 'seed_cli_key_0123456789abcdef';

describe('kassa seed and reset', () => {
  let dir: string;
  let env: Record<string, string>;
  let good: string;
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const count = (table: string) => {
    const db = new Database(join(dir, 'kassa.db'), { readonly: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kassa-cli-seed-'));
    env = { DATABASE_URL: `sqlite:${join(dir, 'kassa.db')}` };
    // The CLI and the server run on the real clock: the card expires four years after it.
    const expirationYear = String(new Date().getUTCFullYear() + 4);
    good = file('seed.json', {
      merchants: [
        {
          id: 'mer_ci',
          name: 'CI shop',
          apiKeys: [{ secret: KEY }],
          customers: [{ customerId: 'cust-1', cards: [{ number: CARDS.visa, expirationMonth: '12', expirationYear }] }],
          webhookEndpoints: [{ url: 'http://127.0.0.1:9/hooks', secret: 'whsec_cli_secret_0123456789' }],
          sessions: [{ orderId: 'order-ci', currencyCode: 'EUR', amount: 500 }],
        },
      ],
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('seed --json prints what it made; the second time everything exists and nothing more is written', async () => {
    const first = await run(['seed', good, '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    const made = JSON.parse(first.stdout) as { merchants: Record<string, any>[] };
    const [m] = made.merchants;
    assert.deepEqual(
      [m!.id, m!.created, m!.apiKeys, m!.savedCards],
      ['mer_ci', true, { created: 1, existing: 0 }, { created: 1, existing: 0 }],
    );
    assert.equal(m!.webhookEndpoints[0].created, true);
    assert.match(m!.sessions[0].clientToken, /^ey/);
    const tokens = count('payment_tokens');

    const second = await run(['seed', good], env);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(
      second.stdout,
      'mer_ci (existing): API keys 0 created, 1 existing; saved cards 0 created, 1 existing; webhook endpoints 0 created, 1 existing; sessions 0 created, 1 existing\n',
    );
    assert.equal(count('payment_tokens'), tokens);
    assert.equal(count('sessions'), 1);
  });

  test('a bad file exits 1 naming each problem at its path, and writes nothing', async () => {
    const merchants = count('merchants');
    const bad = file('bad.json', {
      merchants: [
        { id: 'mer_new', name: 'New' },
        { id: 'mer_x', name: 'X', apiKeys: [{ secret: 'short' }] },
      ],
    });
    const refused = await run(['seed', bad], env);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      'kassa: the seed file was refused, nothing was written:\n  $.merchants[1].apiKeys[0].secret: Ensure this value has at least 20 characters\n',
    );
    assert.equal(count('merchants'), merchants);

    const broken = file('broken.json', `{\n  "merchants": [{ "number": ${CARDS.visa}x }]\n}`);
    const notJson = await run(['seed', broken], env);
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /\$: .*broken\.json is not valid JSON \(line 2\)\./);
    assert.ok(!notJson.stderr.includes(CARDS.visa), 'the file is not quoted');
    const missing = await run(['seed', join(dir, 'none.json')], env);
    assert.match(missing.stderr, /none\.json cannot be read \(ENOENT\)/);
  });

  test('reset empties the merchant and prints the counts; production refuses it', async () => {
    const reset = await run(['reset', '--merchant', 'mer_ci', '--json'], env);
    assert.equal(reset.code, 0, reset.stderr);
    assert.deepEqual(JSON.parse(reset.stdout), {
      merchantId: 'mer_ci',
      removed: {
        sessions: 1,
        events: 1,
        payments: 0,
        tokens: 2,
        paypalOrders: 0,
        deliveries: 0,
        idempotencyRecords: 0,
        faults: 0,
        clocks: 0,
      },
    });
    assert.deepEqual([count('sessions'), count('payment_tokens'), count('api_keys'), count('webhook_endpoints')], [0, 0, 1, 1]);
    const text = await run(['reset', '--merchant', 'mer_ci'], env);
    assert.match(text.stdout, /^Reset mer_ci: removed 0 sessions, 0 events, 0 payments, 0 tokens/);
    const production = await run(['reset', '--merchant', 'mer_ci'], { ...env, KASSA_MODE: 'production' });
    assert.equal(production.code, 2);
    assert.match(production.stderr, /KASSA_MODE=production/);
    assert.equal((await run(['reset', '--merchant', 'mer_none'], env)).code, 1);
  });

  test('KASSA_SEED at start: applied before the server listens; a bad file stops it with exit 2', async () => {
    const serverEnv = { ...env, DATABASE_URL: `sqlite:${join(dir, 'start.db')}`, KASSA_SEED: good };
    const kassa = await startKassa(serverEnv);
    try {
      const res = await fetch(`${kassa.url}/kassa/webhook-endpoints`, { headers: apiHeaders(KEY) });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { data: unknown[] }).data.length, 1);
      assert.ok(kassa.lines.some((l) => l.includes('KASSA_SEED applied') && l.includes('mer_ci')));
      assert.ok(
        kassa.errorLines.some((l) => l.includes('session order-ci: clientToken ey')),
        'the client token once, on stderr',
      );
      assert.ok(!kassa.lines.some((l) => l.includes('clientToken')), 'never in the log');
    } finally {
      await kassa.stop();
    }
    const bad = file('bad-start.json', { merchants: [{ id: 'nope', name: 'X' }] });
    const refused = await runKassa([], { ...serverEnv, KASSA_SEED: bad }, 'src/main.ts');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /KASSA_SEED \$\.merchants\[0\]\.id: Value must match/);
    assert.doesNotMatch(refused.stdout, /Server listening/);
  });
});
