// Helpers for the checkout tests: act as an SDK with a session's token (createSession is in test/support/app.ts).
import assert from 'node:assert/strict';
import type { TestApp } from '../support/app.ts';

/** The payload as Android reads it: the first dot-segment whose decoded text contains `"accessToken":`. */
export function decodeLikeAndroid(token: string): Record<string, unknown> {
  for (const segment of token.split('.')) {
    const text = Buffer.from(segment, 'base64url').toString('utf8');
    if (text.includes('"accessToken":')) return JSON.parse(text) as Record<string, unknown>;
  }
  throw new Error('no segment carries "accessToken":');
}

/** The payload as iOS reads it: segment 2, base64url -> base64, padded, JSON-decoded. */
export function decodeLikeIos(token: string): Record<string, unknown> {
  const parts = token.split('.');
  assert.ok(parts.length >= 2);
  let b64 = parts[1]!.replace(/-/g, '+').replace(/_/g, '/');
  while (b64.length % 4 !== 0) b64 += '=';
  return JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as Record<string, unknown>;
}

/** Headers the SDKs send (docs/sdk.md, "CORS"). */
export const sdkHeaders = (accessToken: string, version = '2.4') => ({
  'primer-client-token': accessToken,
  'x-api-version': version,
  'primer-sdk-version': '2.64.1',
  'primer-sdk-client': 'WEB',
  'primer-sdk-checkout-session-id': '6f1c1c2e-0000-4000-8000-000000000000',
  'content-type': 'application/json',
});

export async function getSession(t: TestApp, clientToken: string) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/client-session?clientToken=${encodeURIComponent(clientToken)}`,
    headers: { 'x-api-key': t.apiKey, 'x-api-version': '2.4' },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Record<string, any>;
}

export async function act(t: TestApp, accessToken: string, actions: unknown[]) {
  return t.app.inject({ method: 'POST', url: '/client-session/actions', headers: sdkHeaders(accessToken), payload: { actions } });
}
