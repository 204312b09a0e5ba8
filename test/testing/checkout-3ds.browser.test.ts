// engines: sqlite
// docs/testing.md's Playwright example, run: a merchant's checkout page in headless Chromium pays with
// the 3DS challenge card against a Kassa from `kassa/testing` (imported by the package's name, as a
// merchant's suite does). The shop below is the smallest real one: its server creates the session, the
// payment and the resume with the API key (Primer's manual payment handling); its page tokenizes the
// card with the client token, opens the action's redirectUrl in an iframe and polls its statusUrl, as
// the web SDK does. The shopper clicks Authenticate on Kassa's challenge page; the payment ends
// AUTHORIZED and the receiver holds the signed PAYMENT.STATUS. The docs' example is checked against
// this file, line by line, so it stays code that runs.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startKassa, type Json, type Kassa } from 'kassa/testing';
import type { Browser } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from '../support/browser.ts';
import { ROOT } from '../support/process.ts';

/** Playwright's chromium.launch(), on the system's Chromium (test/support/browser.ts), so the docs' lines run here as written. */
const chromium = { launch: launchChromium };

/** The checkout page: a card form, and the steps the web SDK takes for a PROCESSOR_3DS action. */
function checkoutPage(clientToken: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop checkout</title></head>
<body><form id="card"><input id="card-number"><input id="expiry" placeholder="MM/YY"><input id="cvv">
<button id="pay" type="submit">Pay</button></form><div id="challenge"></div><p id="result"></p>
<script>
const claims = (jwt) => JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
const session = claims(${JSON.stringify(clientToken)});
const sdk = (accessToken) => ({ 'primer-client-token': accessToken, 'x-api-version': '2.4', 'content-type': 'application/json' });
const shop = (path, body) => fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
const result = document.getElementById('result');
document.getElementById('card').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const [month, year] = document.getElementById('expiry').value.split('/');
    // The card goes from the browser to Kassa (Primer's PCI host), never through the shop.
    const tokenized = await fetch(session.pciUrl + '/payment-instruments', {
      method: 'POST',
      headers: sdk(session.accessToken),
      body: JSON.stringify({ paymentInstrument: {
        number: document.getElementById('card-number').value, cvv: document.getElementById('cvv').value,
        expirationMonth: month, expirationYear: '20' + year,
      } }),
    }).then((r) => r.json());
    let payment = await shop('/pay', { paymentMethodToken: tokenized.token });
    if (payment.requiredAction) {
      const action = claims(payment.requiredAction.clientToken);
      const frame = document.createElement('iframe');
      frame.src = action.redirectUrl;
      document.getElementById('challenge').append(frame);
      let status;
      do {
        await new Promise((resolve) => setTimeout(resolve, 200));
        status = await fetch(action.statusUrl, { headers: sdk(action.accessToken) }).then((r) => r.json());
      } while (status.status === 'PENDING');
      frame.remove();
      payment = await shop('/resume', { paymentId: payment.id, resumeToken: status.id });
    }
    result.dataset.paymentId = payment.id;
    result.textContent = payment.status === 'AUTHORIZED' ? 'Paid' : 'Not paid: ' + payment.status;
  } catch (error) {
    result.textContent = 'Error: ' + error;
  }
});
</script></body></html>`;
}

async function jsonOf(request: IncomingMessage): Promise<Json> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return JSON.parse(text) as Json;
}

/** The merchant's app: its server talks to Primer (here Kassa) with the API key; the browser never sees the key. */
async function startShop({ primerUrl, primerApiKey }: { primerUrl: string; primerApiKey: string }) {
  /** The answers of POST /payments, for the test to look at. */
  const created: Json[] = [];
  const primer = async (path: string, body: unknown) => {
    const response = await fetch(`${primerUrl}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': primerApiKey, 'x-api-version': '2.4', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as Json;
  };
  const server = createServer((request, response) => {
    const send = (type: string, body: string) => response.writeHead(200, { 'content-type': type }).end(body);
    void (async () => {
      if (request.method === 'GET' && request.url === '/checkout') {
        const session = await primer('/client-session', { orderId: 'order-3ds-1', currencyCode: 'EUR', amount: 2500 });
        send('text/html; charset=utf-8', checkoutPage(session.clientToken));
      } else if (request.method === 'POST' && request.url === '/pay') {
        const payment = await primer('/payments', await jsonOf(request));
        created.push(payment);
        send('application/json', JSON.stringify(payment));
      } else if (request.method === 'POST' && request.url === '/resume') {
        const { paymentId, resumeToken } = await jsonOf(request);
        send('application/json', JSON.stringify(await primer(`/payments/${paymentId}/resume`, { resumeToken })));
      } else response.writeHead(404).end();
    })().catch((error: unknown) => response.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    created,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('a checkout page completes a 3DS challenge against kassa/testing', { skip: skipWithoutChromium }, () => {
  let dir: string;
  let kassa: Kassa;
  let shop: Awaited<ReturnType<typeof startShop>>;
  let browser: Browser;
  before(async () => {
    // The sandbox's challenge page rather than the SDK's own 3DS (docs/payments.md, "3DS").
    dir = mkdtempSync(join(tmpdir(), 'kassa-checkout-3ds-'));
    const checkoutConfig = join(dir, 'checkout.json');
    writeFileSync(
      checkoutConfig,
      JSON.stringify({
        paymentMethods: [{ type: 'PAYMENT_CARD', name: 'Payment Card', implementationType: 'NATIVE_SDK' }],
        sandbox: { threeDSecureMode: 'PROCESSOR_3DS' },
      }),
    );
    kassa = await startKassa({ env: { KASSA_CHECKOUT_CONFIG: checkoutConfig } });
    shop = await startShop({ primerUrl: kassa.url, primerApiKey: kassa.apiKey });
    browser = await chromium.launch();
  });
  after(async () => {
    await browser?.close();
    await shop?.close();
    await kassa?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // PENDING with the action, Authenticate clicked in the page, resumed AUTHORIZED, the signed webhook.
  test('a card with a 3DS challenge is paid', async () => {
    const page = await browser.newPage();
    // A safety net for a loaded machine, not a timing claim.
    page.setDefaultTimeout(60_000);
    const expiry = `12/${String((new Date().getUTCFullYear() + 4) % 100).padStart(2, '0')}`;
    try {
      await page.goto(`${shop.url}/checkout`);
      await page.fill('#card-number', '4000000000000051');
      await page.fill('#expiry', expiry);
      await page.fill('#cvv', '123');
      await page.click('#pay');
      // Kassa's challenge page, in the iframe the checkout opened on the action's redirectUrl.
      const challenge = page.frameLocator('iframe[src*="/kassa/sandbox/3ds/"]');
      await challenge.locator('text=2500 EUR').waitFor();
      await challenge.locator('#authenticate').click();
      await page.waitForFunction(() => document.querySelector('#result')?.textContent !== '');
      assert.equal(await page.textContent('#result'), 'Paid');
      const paymentId = await page.getAttribute('#result', 'data-payment-id');
      const [created] = shop.created;
      assert.equal(created?.id, paymentId);
      assert.equal(created?.status, 'PENDING');
      assert.equal(created?.requiredAction?.name, 'PROCESSOR_3DS');

      const event = await kassa.webhooks.waitFor(
        (e) => e.eventType === 'PAYMENT.STATUS' && e.body.payment.orderId === 'order-3ds-1' && e.body.payment.status === 'AUTHORIZED',
      );
      assert.equal(event.body.payment.id, paymentId);
      // Kept only because both signatures verified against the endpoint's secret.
      assert.match(String(event.headers['kassa-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.ok(event.headers['x-signature-primary']);
      assert.equal(kassa.webhooks.rejected, 0);
      const payment = await kassa.api('GET', `/payments/${event.body.payment.id}`);
      assert.equal(payment.status, 'AUTHORIZED');
      assert.equal(payment.paymentMethod.threeDSecureAuthentication.responseCode, 'AUTH_SUCCESS');
    } finally {
      await page.close();
    }
  });
});

test("docs/testing.md's Playwright example is this file: each of its lines, imports aside, is here in the same order", () => {
  const docs = readFileSync(join(ROOT, 'docs', 'testing.md'), 'utf8');
  const section = docs.slice(docs.indexOf('## With Playwright'));
  const block = section.slice(section.indexOf('```ts\n') + 6, section.indexOf('\n```\n'));
  const here = readFileSync(join(ROOT, 'test', 'testing', 'checkout-3ds.browser.test.ts'), 'utf8')
    .split('\n')
    .map((line) => line.trim());
  let at = 0;
  for (const line of block.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('import ')) continue;
    const found = here.indexOf(line, at);
    assert.notEqual(found, -1, `the docs' line is not in this file (after line ${at}): ${line}`);
    at = found + 1;
  }
});
