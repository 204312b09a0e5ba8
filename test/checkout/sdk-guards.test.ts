// engines: sqlite, postgres
// The SDK routes are open to the internet: the token is checked before the body is read, bodies are
// small, and a caller with no token is limited by address.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSession, testApp } from '../support/app.ts';
import { sdkHeaders } from './support.ts';

/** A body like the one that stalled the event loop: one object with very many keys. */
const manyKeys = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}`;

describe('SDK routes: the client token before the body', () => {
  test('actions with no token or an unknown one: 400 ClientSessionValidationError, the body never parsed', async () => {
    const t = await testApp();
    try {
      for (const token of [undefined, 'f'.repeat(40)]) {
        const h: Record<string, string> = { ...sdkHeaders(token ?? '') };
        if (token === undefined) delete h['primer-client-token'];
        // Not even JSON: had it been parsed, the answer would be InvalidRequestBody.
        const res = await t.app.inject({ method: 'POST', url: '/client-session/actions', headers: h, payload: '{"actions": [' });
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json().error.errorId, 'ClientSessionValidationError');
      }
    } finally {
      await t.close();
    }
  });

  test('a valid token with a body far larger than any checkout sends: 413 PayloadTooLarge', async () => {
    const t = await testApp();
    try {
      const { accessToken, clientToken } = await createSession(t, { orderId: 'o-1', currencyCode: 'EUR', amount: 100 });
      const actions = await t.app.inject({
        method: 'POST',
        url: '/client-session/actions',
        headers: sdkHeaders(accessToken),
        payload: manyKeys(95_000),
      });
      assert.equal(actions.statusCode, 413, actions.body.slice(0, 200));
      assert.equal(actions.json().error.errorId, 'PayloadTooLarge');
      const validate = await t.app.inject({
        method: 'POST',
        url: '/client-token/validate',
        headers: sdkHeaders(accessToken),
        payload: JSON.stringify({ clientToken, padding: 'x'.repeat(20_000) }),
      });
      assert.equal(validate.statusCode, 413);
      // A real call still works.
      const ok = await t.app.inject({
        method: 'POST',
        url: '/client-token/validate',
        headers: sdkHeaders(accessToken),
        payload: { clientToken },
      });
      assert.deepEqual(ok.json(), { success: true });
    } finally {
      await t.close();
    }
  });

  test('validate with an unknown Primer-Client-Token: 400 before the body is read; without one: works, limited by address', async () => {
    const t = await testApp({ env: { KASSA_RATE_LIMIT: 'key:off,token:off,address:3/s' } });
    try {
      const { clientToken } = await createSession(t, { orderId: 'o-1', currencyCode: 'EUR', amount: 100 });
      const unknown = await t.app.inject({
        method: 'POST',
        url: '/client-token/validate',
        headers: sdkHeaders('0'.repeat(40)),
        payload: '{"clientToken": ',
      });
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().error.errorId, 'ClientSessionValidationError');

      const headers: Record<string, string> = { ...sdkHeaders('') };
      delete headers['primer-client-token'];
      const validate = (remoteAddress: string) =>
        t.app.inject({ method: 'POST', url: '/client-token/validate', headers, remoteAddress, payload: { clientToken } });
      for (let i = 0; i < 3; i++) assert.deepEqual((await validate('198.51.100.4')).json(), { success: true });
      const limited = await validate('198.51.100.4');
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.json().error.errorId, 'TooManyRequests');
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      assert.equal((await validate('198.51.100.5')).statusCode, 200, 'another address has its own bucket');
    } finally {
      await t.close();
    }
  });
});
