// engines: sqlite
// `kassa/testing` used exactly as a merchant's test suite uses it: imported by the package's name
// (from source here through tsconfig's paths; compiled, through package.json's exports), against the
// built server (npm run build first when running from source). startKassa's own SQLite is the engine.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KassaApiError, startKassa, type Kassa } from 'kassa/testing';

const sdk = (accessToken: string) => ({ 'primer-client-token': accessToken, 'x-api-version': '2.4', 'content-type': 'application/json' });
const accessTokenOf = (clientToken: string) =>
  JSON.parse(Buffer.from(clientToken.split('.')[1]!, 'base64url').toString('utf8')).accessToken as string;
/** An expiry four years ahead of the real clock, which the started server runs on. */
const expiry = () => ({ expirationMonth: '12', expirationYear: String(new Date().getUTCFullYear() + 4) });

/** A card payment as a checkout makes it: the SDK tokenizes with the session's token, the server pays. */
async function pay(kassa: Kassa, number: string): Promise<Record<string, any>> {
  const session = await kassa.createSession({ amount: 1500 });
  const tokenized = await fetch(`${kassa.url}/payment-instruments`, {
    method: 'POST',
    headers: sdk(accessTokenOf(session.clientToken)),
    body: JSON.stringify({ paymentInstrument: { number, cvv: '123', ...expiry() } }),
  });
  assert.equal(tokenized.status, 200, await tokenized.clone().text());
  const { token } = (await tokenized.json()) as { token: string };
  return kassa.api('POST', '/payments', { paymentMethodToken: token });
}

describe('startKassa', () => {
  let kassa: Kassa;
  before(async () => {
    kassa = await startKassa();
  });
  after(() => kassa.close());

  test('a Kassa on a free loopback port, with its SQLite in a temporary folder and a key of its merchant', async () => {
    assert.match(kassa.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${kassa.url}/health/ready`)).status, 200);
    assert.ok(existsSync(kassa.dataDir));
    assert.match(kassa.apiKey, /^kassa_test_[0-9a-f]{32}$/);
    assert.equal(kassa.merchantId, 'mer_default');
  });

  test('createSession: a session over a default order, the body given winning, its token naming this Kassa', async () => {
    const session = await kassa.createSession({ currencyCode: 'GBP', customerId: 'cust-7' });
    assert.equal(session.currencyCode, 'GBP');
    assert.equal(session.amount, 1000);
    assert.equal(session.customerId, 'cust-7');
    assert.match(String(session.orderId), /^order-[0-9a-f-]{36}$/);
    const claims = JSON.parse(Buffer.from(session.clientToken.split('.')[1]!, 'base64url').toString('utf8'));
    // KASSA_PUBLIC_URL is this server's own URL: the SDK and the 3DS page reach it as given.
    assert.equal(claims.coreUrl, kassa.url);
    const other = await kassa.createSession();
    assert.notEqual(other.orderId, session.orderId);
  });

  test("api: a refused request throws Primer's envelope as a KassaApiError", async () => {
    const refused = await kassa.createSession({ currencyCode: 'XXX' }).catch((error: unknown) => error);
    assert.ok(refused instanceof KassaApiError);
    assert.equal(refused.status, 422);
    assert.equal(refused.errorId, 'RequestValidationError');
    assert.match(refused.message, /^POST \/client-session: 422 RequestValidationError /);
  });

  test('webhooks: a real payment delivered, signed, and verified before the receiver keeps it', async () => {
    const payment = await pay(kassa, '4111111111111111');
    assert.equal(payment.status, 'AUTHORIZED');
    const event = await kassa.webhooks.waitFor(
      (e) => e.eventType === 'PAYMENT.STATUS' && e.body.payment.id === payment.id && e.body.payment.status === 'AUTHORIZED',
    );
    assert.match(event.deliveryId, /^[0-9a-f-]{36}$/);
    assert.equal(event.headers['x-kassa-delivery-id'], event.deliveryId);
    assert.equal(JSON.parse(event.raw).payment.id, payment.id);
    assert.equal(kassa.webhooks.rejected, 0);
  });

  test('webhooks: a delivery whose signature does not verify is answered 401 and not kept', async () => {
    const body = JSON.stringify({ eventType: 'PAYMENT.STATUS', payment: { id: 'pay_forged' } });
    const forged = await fetch(kassa.webhooks.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-kassa-delivery-id': 'd1', 'kassa-signature': `t=1,v1=${'0'.repeat(64)}` },
      body,
    });
    assert.equal(forged.status, 401);
    assert.equal(kassa.webhooks.rejected, 1);
    assert.ok(!kassa.webhooks.events.some((e) => e.deliveryId === 'd1'));
    await assert.rejects(
      kassa.webhooks.waitFor((e) => e.body.payment?.id === 'pay_forged', { timeoutMs: 50 }),
      /no webhook matched within 50 ms/,
    );
  });

  test('webhooks: respondWith(503) makes Kassa retry the delivery, with the same id', async () => {
    kassa.webhooks.respondWith(503);
    const payment = await pay(kassa, '4111111111111111');
    const first = await kassa.webhooks.waitFor((e) => e.body.payment?.id === payment.id);
    kassa.webhooks.respondWith(204);
    // The first retry is due 30 s later on Kassa's schedule: ask for it now.
    await kassa.api('POST', `/kassa/webhook-deliveries/${first.deliveryId}/redeliver`, {});
    const again = await kassa.webhooks.waitFor((e) => e !== first && e.deliveryId === first.deliveryId);
    assert.equal(again.body.payment.id, payment.id);
  });
});

describe('startKassa: options, isolation and close()', () => {
  test('env reaches the server, and two Kassas share nothing: keys, sessions, folders, ports', async () => {
    const a = await startKassa({ env: { KASSA_TOKEN_TTL_SECONDS: '60' } });
    const b = await startKassa({ apiKey: 'kassa_my_own_key_0123456789abcdef' });
    try {
      assert.equal(b.apiKey, 'kassa_my_own_key_0123456789abcdef');
      assert.notEqual(a.url, b.url);
      assert.notEqual(a.dataDir, b.dataDir);
      const session = await a.createSession();
      const lifetime = Date.parse(session.clientTokenExpirationDate) - Date.now();
      assert.ok(lifetime > 0 && lifetime <= 60_000, `a 60 s token (${lifetime} ms left)`);
      // b knows neither a's key nor a's session.
      const withAsKey = await fetch(`${b.url}/client-session?clientToken=${session.clientToken}`, { headers: { 'x-api-key': a.apiKey } });
      assert.equal(withAsKey.status, 401);
      const unknown = await b.api('GET', `/client-session?clientToken=${session.clientToken}`).catch((e: unknown) => e);
      assert.ok(unknown instanceof KassaApiError && unknown.status >= 400 && unknown.status < 500, String(unknown));
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('close() stops the server and the receiver, removes the folder, and can be called twice', async () => {
    const kassa = await startKassa();
    const { url, dataDir } = kassa;
    const receiverUrl = kassa.webhooks.url;
    await kassa.close();
    await kassa.close();
    assert.equal(existsSync(dataDir), false);
    await assert.rejects(fetch(`${url}/health`), 'nothing listens there any more');
    await assert.rejects(fetch(receiverUrl, { method: 'POST', body: '{}' }));
  });

  test("a bad setting fails the start with the server's own message, and leaves no folder behind", async () => {
    // A temporary folder of the test's own (os.tmpdir() reads TMPDIR), so other files' folders do not count.
    const own = mkdtempSync(join(tmpdir(), 'kassa-start-test-'));
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = own;
    try {
      await assert.rejects(startKassa({ env: { KASSA_MODE: 'staging' } }), /KASSA_MODE: must be one of sandbox, production/);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
    assert.deepEqual(readdirSync(own), []);
    rmSync(own, { recursive: true });
  });
});
