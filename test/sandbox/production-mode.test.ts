// engines: sqlite
// KASSA_MODE=production switches every sandbox control off: each answers 404 in Primer's envelope, and
// the OpenAPI document no longer lists it. The shopper's pages (3DS, redirect, PayPal approval) stay.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import { testApp, type TestApp } from '../support/app.ts';
import { api, assertError } from '../payments/support.ts';

/** Every sandbox control, as `METHOD path`; each control adds its routes here. */
const CONTROLS = [
  'POST /kassa/sandbox/payments/:id/3ds',
  'POST /kassa/sandbox/payments/:id/redirect',
  'POST /kassa/sandbox/payments/:id/advance',
  'GET /kassa/sandbox/clock',
  'POST /kassa/sandbox/clock',
  'POST /kassa/sandbox/faults',
  'GET /kassa/sandbox/faults',
  'DELETE /kassa/sandbox/faults/:id',
  'DELETE /kassa/sandbox/faults',
  'POST /kassa/sandbox/events',
  'POST /kassa/sandbox/payments/:id/dispute',
  'POST /kassa/sandbox/reset',
];
const SHOPPER_PAGES = /^\/kassa\/sandbox\/(3ds|redirect|paypal)\//;

async function appIn(mode: 'sandbox' | 'production') {
  const routes: string[] = [];
  const onRoute = (r: RouteOptions) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD' && r.url.startsWith('/kassa/sandbox/')) routes.push(`${m} ${r.url}`);
  };
  return { t: await testApp({ env: { KASSA_MODE: mode }, onRoute }), routes };
}

describe('KASSA_MODE', () => {
  let sandbox: { t: TestApp; routes: string[] };
  let production: { t: TestApp; routes: string[] };
  before(async () => {
    sandbox = await appIn('sandbox');
    production = await appIn('production');
  });
  after(async () => {
    await sandbox.t.close();
    await production.t.close();
  });

  test('the sandbox mode serves every control, and every sandbox route that is not a shopper page is a listed control', () => {
    for (const c of CONTROLS) assert.ok(sandbox.routes.includes(c), `${c} is served`);
    const unlisted = sandbox.routes.filter((r) => !CONTROLS.includes(r) && !SHOPPER_PAGES.test(r.split(' ')[1]!));
    assert.deepEqual(unlisted, [], 'a new sandbox control is added to CONTROLS');
  });

  test('production serves none of them, answers each 404 in the envelope, and keeps the shopper pages', async () => {
    for (const c of CONTROLS) assert.ok(!production.routes.includes(c), `${c} is not served`);
    assert.ok(production.routes.some((r) => SHOPPER_PAGES.test(r.split(' ')[1]!)));
    for (const c of CONTROLS) {
      const [method, path] = c.split(' ') as [string, string];
      const res = await api(production.t, method as 'POST', path.replace(/:[a-zA-Z]+/g, 'x'), {});
      assertError(res, 404, 'NotFound');
    }
    const doc = (await production.t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, object> };
    const documented = Object.keys(doc.paths).filter((p) => p.startsWith('/kassa/sandbox/') && !SHOPPER_PAGES.test(p));
    assert.deepEqual(documented, []);
  });
});
