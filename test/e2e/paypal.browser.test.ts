// engines: sqlite
// End to end: the real server process and PayPal's approval page driven in headless Chromium, as the
// mobile SDKs' web views open it (docs/payments.md, "PayPal"): Approve reaches the SDK's returnUrl with
// token and PayerID, and the order pays; a decline@ payer declines; Cancel reaches the cancelUrl and
// the order stays unapproved. The return URLs are a local page of the test's.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from '../support/browser.ts';
import { sdkHeaders } from '../checkout/support.ts';
import { headers } from '../support/app.ts';
import { startKassa, type KassaProcess } from '../support/process.ts';

describe('PayPal approval page in a browser', () => {
  const API_KEY = 'kassa_e2e_key_0123456789abcdef';
  let shop: Server | undefined;
  let RETURN = '';
  let CANCEL = '';
  const skip = skipWithoutChromium;
  let server: KassaProcess | undefined;
  let browser: Browser | undefined;

  before(async () => {
    if (skip) return;
    // The app's return: a page of the test's own (Playwright's routes do not see a redirect's target).
    shop = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>back in the app</p>'));
    await new Promise<void>((resolve) => shop!.listen(0, '127.0.0.1', resolve));
    const shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
    RETURN = `${shopUrl}/paypal/success`;
    CANCEL = `${shopUrl}/paypal/cancel`;
    server = await startKassa({ DATABASE_URL: 'sqlite::memory:', KASSA_API_KEY: API_KEY, PORT: '0', LOG_LEVEL: 'info' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    if (server) await server.stop();
    shop?.close();
  });

  async function call(path: string, accessToken: string, body: unknown) {
    const res = await fetch(`${server!.url}${path}`, { method: 'POST', headers: sdkHeaders(accessToken), body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  /** A session and an order; its approval page opened in a fresh browser page. */
  async function openOrder(): Promise<{ accessToken: string; orderId: string; page: Page }> {
    const session = await fetch(`${server!.url}/client-session`, {
      method: 'POST',
      headers: headers(API_KEY),
      body: JSON.stringify({ orderId: `ord-${Math.random()}`, currencyCode: 'EUR', amount: 1000 }),
    });
    const { clientToken } = (await session.json()) as { clientToken: string };
    const { accessToken } = JSON.parse(Buffer.from(clientToken.split('.')[1]!, 'base64url').toString()) as { accessToken: string };
    const created = await call('/paypal/orders/create', accessToken, {
      paymentMethodConfigId: 'pmc_paypal',
      amount: 1000,
      currencyCode: 'EUR',
      returnUrl: RETURN,
      cancelUrl: CANCEL,
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const page = await browser!.newPage();
    await page.goto(`${server!.url}${new URL(created.body.approvalUrl).pathname}`);
    return { accessToken, orderId: created.body.orderId, page };
  }

  async function pay(accessToken: string, orderId: string) {
    const token = await call('/payment-instruments', accessToken, { paymentInstrument: { paypalOrderId: orderId } });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    return (await call('/payments', accessToken, { paymentMethodToken: token.body.token })).body;
  }

  test('Approve: the returnUrl is reached with token and PayerID, and the payment succeeds', { skip }, async () => {
    const { accessToken, orderId, page } = await openOrder();
    await page.click('#approve');
    await page.waitForURL((url) => url.href.startsWith(RETURN));
    const back = new URL(page.url());
    assert.equal(`${back.origin}${back.pathname}`, RETURN);
    assert.equal(back.searchParams.get('token'), orderId);
    const info = await call('/paypal/orders', accessToken, { paymentMethodConfigId: 'pmc_paypal', orderId });
    assert.equal(back.searchParams.get('PayerID'), info.body.externalPayerInfo.externalPayerId);
    assert.equal((await pay(accessToken, orderId)).status, 'SUCCESS');
    await page.close();
  });

  test('a decline@ payer: approved, and the payment fails (DECLINED on the server)', { skip }, async () => {
    const { accessToken, orderId, page } = await openOrder();
    await page.fill('#email', 'decline@example.com');
    await page.click('#approve');
    await page.waitForURL((url) => url.href.startsWith(RETURN));
    const payment = await pay(accessToken, orderId);
    assert.equal(payment.status, 'FAILED');
    const read = await fetch(`${server!.url}/payments/${payment.id}`, { headers: { 'X-Api-Key': API_KEY, 'X-Api-Version': '2.4' } });
    assert.equal(((await read.json()) as { status: string }).status, 'DECLINED');
    await page.close();
  });

  test('Cancel: the cancelUrl is reached, and the order is not approved', { skip }, async () => {
    const { accessToken, orderId, page } = await openOrder();
    await page.click('#cancel');
    await page.waitForURL(CANCEL);
    const info = await call('/paypal/orders', accessToken, { paymentMethodConfigId: 'pmc_paypal', orderId });
    assert.equal(info.status, 400);
    assert.equal(info.body.error.errorId, 'PayPalOrderNotApproved');
    await page.close();
  });
});
