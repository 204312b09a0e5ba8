// engines: in-file
// Every method of the built-in checkout configuration paid the way its SDK pays it, over real HTTP to
// a real Kassa process (docs/payments.md, "Payment methods"; issue #23), on SQLite and on PostgreSQL:
// iDEAL (Android's OFF_SESSION_PAYMENT, the sandbox helper, the poll, resume), PayPal (order, the
// approval page's form, payer info, iOS tokenize; a decline@ payer), Klarna (session, finalize,
// authorization token; a DECLINE… token), Apple Pay (iOS; the declining amount) and Google Pay
// (Android); and for each payment the signed PAYMENT.STATUS webhooks of its PENDING and final status.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { freshDatabase } from '../support/postgres.ts';
import { processFleet, type KassaProcess } from '../support/process.ts';
import { expectedSignature, startReceiver } from '../support/webhook-receiver.ts';

const API_KEY = 'kassa_e2e_key_0123456789abcdef';
const SECRET = 'whsec_e2e_payment_methods_0123456789';
/** The wallet amount that declines (docs/payments.md, "Apple Pay and Google Pay": generic decline). */
const WALLET_DECLINE_AMOUNT = 2005;

/** A port nobody listens on now, so KASSA_PUBLIC_URL can name it and the URLs Kassa hands out are used as given. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, any>;

describe('every payment method over real HTTP', () => {
  const fleet = processFleet(API_KEY);
  after(() => fleet.close());

  /** One JSON request as the SDK makes it, with the session's (or an action's) access token. */
  async function sdk(accessToken: string, method: string, url: string, body?: unknown) {
    const res = await fetch(url, {
      method,
      headers: { 'primer-client-token': accessToken, 'x-api-version': '2.4', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
  }

  async function checkoutRun(t: TestContext, databaseUrl: string) {
    const rx = await startReceiver();
    fleet.cleanup(() => rx.close());
    const port = await freePort();
    const p: KassaProcess = await fleet.start({
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      KASSA_PUBLIC_URL: `http://127.0.0.1:${port}`,
      KASSA_WEBHOOK_URL: `${rx.url}/kassa`,
      KASSA_WEBHOOK_SECRET: SECRET,
    });
    const api = (method: string, path: string, body?: unknown) => fleet.call(p, method, path, body);
    /** paymentId → [method type, final status the Payments API shows]. */
    const expected = new Map<string, [string, string]>();

    /** A client session as the merchant's server makes it; resolves with the SDK's access token. */
    async function session(extra: Record<string, unknown> = {}): Promise<string> {
      const created = await api('POST', '/client-session', {
        orderId: `order-${crypto.randomUUID()}`,
        currencyCode: 'EUR',
        amount: 1000,
        customerId: 'cust-e2e',
        ...extra,
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      return claimsOf(created.body.clientToken).accessToken as string;
    }

    // The SDK reads each method's config id from the configuration, as it does before tokenizing.
    const configuration = await sdk(await session(), 'GET', `${p.url}/client-sdk/configuration`);
    assert.equal(configuration.status, 200, JSON.stringify(configuration.body));
    const configId = (type: string): string => {
      const found = (configuration.body.paymentMethods as { type: string; id: string }[]).find((m) => m.type === type);
      assert.ok(found, `the built-in configuration offers ${type}`);
      return found.id;
    };

    /** Tokenize and pay as the SDK; checks the SDK's answer and what the Payments API shows, and expects its webhooks. */
    async function pay(accessToken: string, instrument: unknown, type: string, sdkStatus: 'SUCCESS' | 'FAILED', status: string) {
      const tokenized = await sdk(accessToken, 'POST', `${p.url}/payment-instruments`, { paymentInstrument: instrument });
      assert.equal(tokenized.status, 200, JSON.stringify(tokenized.body));
      assert.equal(tokenized.body.paymentMethodType, type);
      const paid = await sdk(accessToken, 'POST', `${p.url}/payments`, { paymentMethodToken: tokenized.body.token });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      // Spec §0.5: these methods never answer a required action.
      assert.equal(paid.body.requiredAction, undefined);
      assert.equal(paid.body.status, sdkStatus);
      await shown(paid.body.id, type, status);
    }

    async function shown(paymentId: string, type: string, status: string) {
      const read = await api('GET', `/payments/${paymentId}`);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(read.body.status, status);
      assert.equal(read.body.paymentMethod.paymentMethodType, type);
      expected.set(paymentId, [type, status]);
    }

    await t.test('iDEAL: Android tokenize, PENDING with the redirect action, the sandbox helper, poll, resume: SUCCESS', async () => {
      const accessToken = await session();
      const redirectionUrl = 'primer://requestor.com.example.shop/async';
      const tokenized = await sdk(accessToken, 'POST', `${p.url}/payment-instruments`, {
        paymentInstrument: {
          type: 'OFF_SESSION_PAYMENT',
          paymentMethodType: 'ADYEN_IDEAL',
          paymentMethodConfigId: configId('ADYEN_IDEAL'),
          sessionInfo: { platform: 'ANDROID', locale: 'nl_NL', redirectionUrl },
        },
      });
      assert.equal(tokenized.status, 200, JSON.stringify(tokenized.body));
      assert.equal(tokenized.body.paymentInstrumentData.paymentMethodType, 'ADYEN_IDEAL');
      const created = await sdk(accessToken, 'POST', `${p.url}/payments`, { paymentMethodToken: tokenized.body.token });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.equal(created.body.status, 'PENDING');
      assert.equal(created.body.requiredAction.name, 'USE_PRIMER_SDK');
      const action = claimsOf(created.body.requiredAction.clientToken);
      assert.equal(action.intent, 'ADYEN_IDEAL_REDIRECTION');
      assert.ok(String(action.redirectUrl).startsWith(`${p.url}/`), action.redirectUrl);
      const validated = await sdk(action.accessToken, 'POST', `${p.url}/client-token/validate`, {
        clientToken: created.body.requiredAction.clientToken,
      });
      assert.deepEqual([validated.status, validated.body], [200, { success: true }]);
      const pending = await sdk(action.accessToken, 'GET', action.statusUrl);
      assert.deepEqual([pending.status, pending.body], [200, { status: 'PENDING', id: '', source: 'ADYEN_IDEAL' }]);

      const helped = await api('POST', `/kassa/sandbox/payments/${created.body.id}/redirect`, { outcome: 'COMPLETE' });
      assert.equal(helped.status, 200, JSON.stringify(helped.body));
      const polled = await sdk(action.accessToken, 'GET', action.statusUrl);
      assert.equal(polled.status, 200, JSON.stringify(polled.body));
      assert.equal(polled.headers.get('cache-control'), 'no-store');
      assert.deepEqual(polled.body, { status: 'COMPLETE', id: helped.body.resumeToken, source: 'ADYEN_IDEAL' });
      const resumed = await sdk(action.accessToken, 'POST', `${p.url}/payments/${created.body.id}/resume`, { resumeToken: polled.body.id });
      assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
      assert.equal(resumed.body.status, 'SUCCESS');
      await shown(created.body.id, 'ADYEN_IDEAL', 'AUTHORIZED');
    });

    /** Order create, the approval page's form posted with `email`, payer info: the order id and payer, as iOS has them. */
    async function approvedPayPalOrder(accessToken: string, email: string) {
      const returnUrl = 'merchantapp://paypal-success';
      const created = await sdk(accessToken, 'POST', `${p.url}/paypal/orders/create`, {
        paymentMethodConfigId: configId('PAYPAL'),
        amount: 1000,
        currencyCode: 'EUR',
        returnUrl,
        cancelUrl: 'merchantapp://paypal-cancel',
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const { orderId, approvalUrl } = created.body;
      const page = await fetch(approvalUrl);
      assert.equal(page.status, 200);
      const html = await page.text();
      // The form posts to the page itself (no action); it names an email field and the Approve button.
      assert.match(html, /<form method="post">/);
      assert.match(html, /<input name="email"/);
      assert.match(html, /<button name="choice" value="APPROVE"/);
      const approved = await fetch(approvalUrl, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email, choice: 'APPROVE' }).toString(),
      });
      assert.equal(approved.status, 302);
      const back = new URL(approved.headers.get('location')!);
      assert.equal(`${back.protocol}//${back.host}${back.pathname}`, returnUrl);
      assert.equal(back.searchParams.get('token'), orderId);
      const info = await sdk(accessToken, 'POST', `${p.url}/paypal/orders`, { paymentMethodConfigId: configId('PAYPAL'), orderId });
      assert.equal(info.status, 200, JSON.stringify(info.body));
      assert.equal(info.body.externalPayerInfo.email, email);
      assert.equal(back.searchParams.get('PayerID'), info.body.externalPayerInfo.externalPayerId);
      return { orderId: orderId as string, payer: info.body.externalPayerInfo as Record<string, string> };
    }

    for (const [email, sdkStatus, status] of [
      ['payer@example.com', 'SUCCESS', 'AUTHORIZED'],
      ['decline@example.com', 'FAILED', 'DECLINED'],
    ] as const) {
      await t.test(`PayPal: order, approval page as ${email}, payer info, iOS tokenize, pay: ${sdkStatus}`, async () => {
        const accessToken = await session();
        const { orderId, payer } = await approvedPayPalOrder(accessToken, email);
        // iOS sends both spellings of the payer's fields.
        const instrument = {
          paypalOrderId: orderId,
          externalPayerInfo: {
            externalPayerId: payer.externalPayerId,
            external_payer_id: payer.externalPayerId,
            email: payer.email,
            firstName: payer.firstName,
            first_name: payer.firstName,
            lastName: payer.lastName,
            last_name: payer.lastName,
          },
        };
        await pay(accessToken, instrument, 'PAYPAL', sdkStatus, status);
      });
    }

    for (const [authorizationToken, sdkStatus, status] of [
      [crypto.randomUUID(), 'SUCCESS', 'AUTHORIZED'],
      ['DECLINE-e2e', 'FAILED', 'DECLINED'],
    ] as const) {
      await t.test(`Klarna: payment session, finalize, tokenize ${authorizationToken.slice(0, 7)}…: ${sdkStatus}`, async () => {
        const accessToken = await session({
          order: { countryCode: 'DE', lineItems: [{ itemId: 'sku-1', description: 'Socks', amount: 500, quantity: 2 }] },
          customer: { emailAddress: 'shopper@example.com' },
        });
        const created = await sdk(accessToken, 'POST', `${p.url}/klarna/payment-sessions`, {
          paymentMethodConfigId: configId('KLARNA'),
          sessionType: 'ONE_OFF_PAYMENT',
          totalAmount: 1000,
          localeData: { countryCode: 'DE', currencyCode: 'EUR', localeCode: 'de-DE' },
          orderItems: [{ name: 'Socks', unitAmount: 500, reference: 'sku-1', quantity: 2, productType: 'physical' }],
        });
        assert.equal(created.status, 200, JSON.stringify(created.body));
        const finalized = await sdk(accessToken, 'POST', `${p.url}/klarna/payment-sessions/finalize`, {
          paymentMethodConfigId: configId('KLARNA'),
          sessionId: created.body.sessionId,
        });
        assert.equal(finalized.status, 200, JSON.stringify(finalized.body));
        const instrument = { klarnaAuthorizationToken: authorizationToken, sessionData: finalized.body.sessionData };
        await pay(accessToken, instrument, 'KLARNA', sdkStatus, status);
      });
    }

    for (const [amount, sdkStatus, status] of [
      [1000, 'SUCCESS', 'AUTHORIZED'],
      [WALLET_DECLINE_AMOUNT, 'FAILED', 'DECLINED'],
    ] as const) {
      await t.test(`Apple Pay: the iOS payload for ${amount}: ${sdkStatus}`, async () => {
        const accessToken = await session({ amount });
        const instrument = {
          paymentMethodConfigId: configId('APPLE_PAY'),
          sourceConfig: { source: 'IN_APP', merchantId: 'merchant.com.example.shop' },
          token: {
            paymentMethod: { displayName: 'Visa 0224', network: 'Visa', type: 'debit' },
            transactionIdentifier: 'e2e-transaction',
            paymentData: {
              data: 'ZTJlLWFwcGxlLWRhdGE=',
              signature: 'ZTJlLXNpZ25hdHVyZQ==',
              version: 'EC_v1',
              header: { ephemeralPublicKey: 'ZTJlLWtleQ==', publicKeyHash: 'aGFzaA==', transactionId: 'abc123' },
            },
          },
        };
        await pay(accessToken, instrument, 'APPLE_PAY', sdkStatus, status);
      });
    }

    await t.test('Google Pay: the Android payload: SUCCESS', async () => {
      const accessToken = await session();
      const encryptedPayload = Buffer.from(JSON.stringify({ signature: 'e2e', protocolVersion: 'ECv2', signedMessage: 'e2e' })).toString(
        'base64',
      );
      await pay(accessToken, { merchantId: 'kassa-google-pay', encryptedPayload, flow: 'GATEWAY' }, 'GOOGLE_PAY', 'SUCCESS', 'AUTHORIZED');
    });

    await t.test('the receiver gets a signed PAYMENT.STATUS webhook of each payment with PENDING and its final status', async () => {
      assert.equal(expected.size, 8, 'every payment above was made');
      const want = new Set([...expected].flatMap(([id, [, status]]) => [`${id} PENDING`, `${id} ${status}`]));
      const got = () => new Set(rx.received.map((r) => `${r.body.payment?.id} ${r.body.payment?.status}`));
      // A bound so a broken run cannot hang, not a timing claim.
      const until = Date.now() + 60_000;
      while (![...want].every((w) => got().has(w))) {
        if (Date.now() > until) throw new Error(`missing webhooks: ${[...want].filter((w) => !got().has(w)).join(', ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const r of rx.received) {
        assert.equal(r.path, '/kassa');
        assert.equal(r.body.eventType, 'PAYMENT.STATUS');
        assert.equal(r.headers['x-signature-primary'], expectedSignature(r.raw, SECRET));
        const [type] = expected.get(r.body.payment.id) ?? [];
        assert.equal(r.body.payment.paymentMethod?.paymentMethodType, type, `${r.body.payment.id}'s method`);
      }
      // No status but PENDING and the final one was sent for any payment.
      assert.deepEqual(got(), want);
    });
    await p.stop();
  }

  test('SQLite: every method of the built-in configuration pays over HTTP, with its webhooks', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-methods-e2e-'));
    fleet.cleanup(async () => rmSync(dir, { recursive: true, force: true }));
    await checkoutRun(t, `sqlite:${join(dir, 'kassa.db')}`);
  });

  test('PostgreSQL: the same', async (t) => {
    const db = await freshDatabase();
    fleet.cleanup(() => db.drop());
    await checkoutRun(t, db.url);
  });
});
