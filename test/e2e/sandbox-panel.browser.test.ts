// engines: sqlite
// The dashboard's Sandbox tab in headless Chromium, against a Kassa from kassa/testing: the clock shown
// and advanced, the faults listed, one deleted and the rest cleared, Reset asked for and done, and an
// event triggered and a dispute opened from their forms.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startKassa, type Kassa } from 'kassa/testing';
import { launchChromium, skipWithoutChromium } from '../support/browser.ts';
import { cardPayment } from '../support/card-payment.ts';

describe('the Sandbox tab in a browser', () => {
  const skip = skipWithoutChromium;
  let kassa: Kassa | undefined;
  let browser: Browser | undefined;

  before(async () => {
    if (skip) return;
    kassa = await startKassa();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await kassa?.close();
  });

  /** A signed-in dashboard on its Sandbox tab, recording the page's errors. */
  async function sandboxTab(k: Kassa) {
    const context = await browser!.newContext({ locale: 'en-GB', timezoneId: 'UTC' });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${k.url}/dashboard#sandbox`);
    await page.fill('#api-key', k.apiKey);
    await page.click('#sign-in-form button[type=submit]');
    await page.click('#tab-sandbox');
    await page.locator('#sandbox-view').waitFor({ state: 'visible' });
    return { context, page, pageErrors };
  }

  test('clock, Advance, faults with Delete and Clear all, Reset behind a confirmation', { skip, timeout: 300_000 }, async () => {
    const k = kassa!;
    const session = await k.createSession();
    await k.fault({ operation: 'POST /payments', status: 503, times: 2, phase: 'before' });
    await k.fault({ operation: 'POST /client-session', status: 'timeout', times: 1, phase: 'before', delayMs: 100 });
    await k.fault({ operation: 'GET /payments/{id}', status: 429, times: 1, phase: 'before' });

    const { context, page, pageErrors } = await sandboxTab(k);

    await page.locator('#sandbox-offset', { hasText: 'real time' }).waitFor();
    await page.fill('#sandbox-advance-seconds', '7200');
    await page.click('#sandbox-advance button[type=submit]');
    await page.locator('#sandbox-offset', { hasText: '7200 s ahead of real time' }).waitFor();
    assert.equal((await k.api('GET', '/kassa/sandbox/clock')).offsetSeconds, 7200);

    const rows = page.locator('#sandbox-faults tbody tr');
    await rows.nth(2).waitFor();
    assert.deepEqual((await rows.locator('td:first-child').allTextContents()).sort(), [
      'GET /payments/{id}',
      'POST /client-session',
      'POST /payments',
    ]);
    await rows.filter({ hasText: 'POST /payments' }).locator('button.delete').click();
    await page.waitForFunction(() => document.querySelectorAll('#sandbox-faults tbody tr').length === 2);
    assert.equal((await k.api('GET', '/kassa/sandbox/faults')).data.length, 2);
    await page.click('#sandbox-faults-clear');
    await page.locator('#sandbox-faults-empty').waitFor({ state: 'visible' });
    assert.deepEqual((await k.api('GET', '/kassa/sandbox/faults')).data, []);

    // Dismissed, Reset does nothing; accepted, it empties the merchant and shows what it removed.
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.click('#sandbox-reset');
    assert.equal((await k.api('GET', `/client-session?clientToken=${encodeURIComponent(session.clientToken)}`)).orderId, session.orderId);
    page.once('dialog', (dialog) => {
      assert.match(dialog.message(), /keys and webhook endpoints stay/);
      void dialog.accept();
    });
    await page.click('#sandbox-reset');
    await page.locator('#sandbox-reset-result', { hasText: 'Removed:' }).waitFor();
    await page.locator('#sandbox-offset', { hasText: 'real time' }).waitFor();
    const gone = await k.api('GET', `/client-session?clientToken=${encodeURIComponent(session.clientToken)}`).catch((e: unknown) => e);
    assert.ok(gone instanceof Error, 'the session is gone');
    assert.equal(await page.locator('#sandbox-error').textContent(), '');
    assert.deepEqual(pageErrors, []);
    await context.close();
  });

  test('Trigger an event and Dispute a payment, from their forms', { skip, timeout: 300_000 }, async () => {
    const k = kassa!;
    const payment = await cardPayment(k);
    assert.equal((await k.api<{ status: string }>('POST', `/payments/${payment.id}/capture`, {})).status, 'SETTLED');

    const { context, page, pageErrors } = await sandboxTab(k);

    const seen = k.webhooks.events.length;
    await page.selectOption('#sandbox-trigger-type', 'PAYMENT.STATUS');
    await page.fill('#sandbox-trigger-id', payment.id);
    await page.click('#sandbox-trigger button[type=submit]');
    await page.locator('#sandbox-trigger-result', { hasText: 'Triggered PAYMENT.STATUS' }).waitFor();
    const triggered = await k.webhooks.waitFor(
      (e) => k.webhooks.events.indexOf(e) >= seen && e.body.payment?.id === payment.id && e.headers['kassa-triggered'] === 'true',
    );
    assert.equal(triggered.body.payment.status, 'SETTLED');

    await page.fill('#sandbox-dispute-payment', payment.id);
    await page.selectOption('#sandbox-dispute-status', 'OPEN');
    await page.click('#sandbox-dispute button[type=submit]');
    await page.locator('#sandbox-dispute-result', { hasText: 'DISPUTE OPEN' }).waitFor();
    // A step the dispute cannot take from OPEN shows Primer's error.
    await page.selectOption('#sandbox-dispute-status', 'OPEN');
    await page.click('#sandbox-dispute button[type=submit]');
    await page.locator('#sandbox-error', { hasText: /DisputeTransitionNotAllowed|cannot take this step/ }).waitFor();
    const history = await k.api<{ data: { type: string }[] }>('GET', `/kassa/payments/${payment.id}/events`);
    assert.ok(
      history.data.some((e) => e.type === 'DISPUTE.OPENED'),
      JSON.stringify(history.data.map((e) => e.type)),
    );
    assert.deepEqual(pageErrors, []);
    await context.close();
  });
});
