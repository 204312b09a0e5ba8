// engines: sqlite
// End to end: the real server process (src/main.ts) and a redirect method's page driven in headless
// Chromium, as a shopper meets it after the web SDK tokenized iDEAL and created the payment: the page
// the action token's redirectUrl opens shows the amount; Complete, Reject and Cancel each send the
// browser back to the shop's merchantRedirectUrl (a real local server, which sees the request); the
// SDK's poll then answers COMPLETE and resume authorizes, declines (DO_NOT_HONOR) or fails. The page
// loads nothing from any other host.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from '../support/browser.ts';
import { sdkHeaders } from '../checkout/support.ts';
import { headers } from '../support/app.ts';
import { startKassa, type KassaProcess } from '../support/process.ts';

/** A port free now, so KASSA_PUBLIC_URL (which the action token's URLs are built from) can name it. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, string>;

describe('the redirect page in a browser', () => {
  const API_KEY = 'kassa_e2e_key_0123456789abcdef';
  const skip = skipWithoutChromium;

  let dir: string;
  let server: KassaProcess | undefined;
  let browser: Browser | undefined;
  let shop: Server | undefined;
  let shopUrl = '';
  /** The paths the shop's return page was asked for. */
  const returned: string[] = [];

  before(async () => {
    if (skip) return;
    dir = mkdtempSync(join(tmpdir(), 'kassa-e2e-redirect-'));
    shop = createServer((request, response) => {
      returned.push(request.url ?? '');
      response
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end('<!doctype html><title>Shop</title><h1 id="back">Back at the shop</h1>');
    });
    await new Promise<void>((resolve) => shop!.listen(0, '127.0.0.1', resolve));
    shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
    const port = await freePort();
    server = await startKassa({
      DATABASE_URL: `sqlite:${join(dir, 'kassa.db')}`,
      KASSA_API_KEY: API_KEY,
      PORT: String(port),
      KASSA_PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (server) assert.equal((await server.stop()).code, 0, 'the server drains and exits 0 on SIGTERM');
    await new Promise((resolve) => (shop ? shop.close(resolve) : resolve(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, init: { body?: unknown; headers: Record<string, string> }) {
    const res = await fetch(`${server!.url}${path}`, {
      method,
      headers: init.headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  /** What the web SDK does before it opens the page: tokenize iDEAL with a full-page return, create the payment. */
  async function pendingPayment(orderId: string) {
    const session = await call('POST', '/client-session', {
      headers: headers(API_KEY),
      body: { orderId, currencyCode: 'EUR', amount: 1000, customerId: 'cust-browser' },
    });
    assert.equal(session.status, 200, JSON.stringify(session.body));
    const accessToken = claimsOf(session.body.clientToken).accessToken!;
    const token = await call('POST', '/payment-instruments', {
      headers: sdkHeaders(accessToken),
      body: {
        paymentInstrument: {
          type: 'OFF_SESSION_PAYMENT',
          paymentMethodType: 'ADYEN_IDEAL',
          paymentMethodConfigId: 'pmc_adyen_ideal',
          sessionInfo: {
            locale: 'nl-NL',
            platform: 'WEB',
            browserInfo: {
              javaEnabled: false,
              language: 'nl-NL',
              colorDepth: 24,
              screenHeight: 900,
              screenWidth: 1440,
              timezoneOffset: -60,
              userAgent: 'Mozilla/5.0',
            },
            merchantRedirectUrl: `${shopUrl}/return?order=${orderId}`,
            redirectMode: 'REDIRECT',
          },
        },
      },
    });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    const created = await call('POST', '/payments', { headers: sdkHeaders(accessToken), body: { paymentMethodToken: token.body.token } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.status, 'PENDING');
    const claims = claimsOf(created.body.requiredAction.clientToken);
    assert.equal(claims.intent, 'ADYEN_IDEAL_REDIRECTION');
    return {
      id: created.body.id as string,
      redirectUrl: claims.redirectUrl!,
      statusUrl: claims.statusUrl!,
      actionAccess: claims.accessToken!,
    };
  }

  for (const [button, outcome, status, reason] of [
    ['complete', 'completed', 'AUTHORIZED', undefined],
    ['reject', 'rejected', 'DECLINED', { type: 'ISSUER_DECLINED', code: 'DO_NOT_HONOR' }],
    ['cancel', 'cancelled', 'FAILED', { type: 'APPLICATION_ERROR' }],
  ] as const) {
    test(`${button}: the page sends the shopper back to the shop, the poll turns COMPLETE, the payment is ${status}`, {
      skip,
    }, async () => {
      const orderId = `ord-browser-${button}`;
      const payment = await pendingPayment(orderId);
      assert.ok(payment.redirectUrl.startsWith(`${server!.url}/`), payment.redirectUrl);
      const page = await browser!.newPage();
      // Safety nets for a loaded machine, not timing claims.
      page.setDefaultTimeout(60_000);
      const foreign: string[] = [];
      page.on('request', (request) => {
        const url = request.url();
        if (!url.startsWith(`${server!.url}/`) && !url.startsWith(`${shopUrl}/`)) foreign.push(url);
      });
      try {
        await page.goto(payment.redirectUrl);
        assert.match(await page.title(), /Kassa sandbox: ADYEN_IDEAL/);
        assert.match((await page.textContent('body')) ?? '', /1000 EUR/);
        await Promise.all([page.waitForURL(`${shopUrl}/return?order=${orderId}`), page.click(`#${button}`)]);
        assert.equal(await page.textContent('#back'), 'Back at the shop');
        assert.ok(returned.includes(`/return?order=${orderId}`), returned.join(', '));
        // Back on the page (the browser's back button): it shows the choice, which stands.
        await page.goto(payment.redirectUrl);
        assert.equal(await page.textContent('#result'), `Payment ${outcome}. You can close this page.`);
        assert.deepEqual(foreign, []);
      } finally {
        await page.close();
      }

      const polled = await call('GET', new URL(payment.statusUrl).pathname, { headers: sdkHeaders(payment.actionAccess) });
      assert.equal(polled.status, 200, JSON.stringify(polled.body));
      assert.equal(polled.body.status, 'COMPLETE');
      assert.equal(polled.body.source, 'ADYEN_IDEAL');
      const resumed = await call('POST', `/payments/${payment.id}/resume`, {
        headers: sdkHeaders(payment.actionAccess),
        body: { resumeToken: polled.body.id },
      });
      assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
      assert.equal(resumed.body.status, status === 'AUTHORIZED' ? 'SUCCESS' : 'FAILED');
      const shown = await call('GET', `/payments/${payment.id}`, { headers: headers(API_KEY) });
      assert.equal(shown.body.status, status);
      assert.equal(shown.body.paymentMethod.paymentMethodType, 'ADYEN_IDEAL');
      if (reason) {
        assert.equal(shown.body.statusReason.type, reason.type);
        if ('code' in reason) assert.equal(shown.body.statusReason.code, reason.code);
      }
    });
  }
});
