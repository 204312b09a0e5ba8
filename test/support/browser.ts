// Debian's Chromium for the browser tests: its headless shell when installed (the same engine without
// the windowed browser around it, which Playwright also uses for headless runs: half the CPU), else the
// full browser; the tests are skipped, saying how to install it, when neither is there.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].find((path) => existsSync(path));

/** node:test's `skip` for a browser test: false when Chromium is there, else why it is skipped. */
export const skipWithoutChromium: false | string = CHROMIUM
  ? false
  : 'Chromium not found at /usr/bin/chromium-headless-shell or /usr/bin/chromium: install it with `apt-get install chromium-headless-shell` (Debian/Ubuntu) to run the browser test';

/** Chromium headless, with nothing reaching for the network (this machine's network is closed). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 120_000,
  });
}
