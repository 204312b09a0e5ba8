// Helpers for the payments HTTP tests: a session and a token as an SDK makes them, then calls with the
// merchant's API key (docs/payments.md). Every helper goes through app.inject.
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { defaultCheckoutConfig } from '../../src/checkout/configuration.ts';
import { Merchants } from '../../src/merchants/merchants.ts';
import type { CardData } from '../../src/payments/model.ts';
import { sdkHeaders } from '../checkout/support.ts';
import { createSession, extraKey, headers, START, testApp, type TestApp } from '../support/app.ts';

/** Test cards by what they do (docs/payments.md, "Test cards"). */
export const CARDS = {
  visa: '4111111111111111',
  visaCredit: '4242424242424242',
  amex: '378282246310005',
  coBadgedVisa: '4035500000000000',
  cbOnly: '4970000000000008',
  decline: '4000000000000002',
  fail: '5100000000000016',
  gatewayTimeout: '4000000000007031',
  frictionless: '4929251897047956',
  frictionlessFailure: '4716429323842524',
  challenge: '4000000000000051',
  challengeFails: '4000000000007015',
  challengeThenDecline: '4000000000007023',
  asyncAuthorized: '4000000000007007',
  asyncDeclined: '4000000000007056',
  asyncCapture: '4000000000007064',
  refundFails: '4000000000007072',
  /** Luhn-valid, in no table. */
  other: '4000000000001000',
} as const;

export const ORDER = { orderId: 'ord-1', currencyCode: 'EUR', amount: 1000, customerId: 'cust-1' };

export type Res = LightMyRequestResponse;

/** A call with the merchant's API key (or `key`), in `version`, with an optional X-Idempotency-Key. */
export function api(
  t: TestApp,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  payload?: unknown,
  options: { version?: string; key?: string; idempotencyKey?: string } = {},
): Promise<Res> {
  const h: Record<string, string> = headers(options.key ?? t.apiKey, options.version ?? '2.4');
  if (payload === undefined) delete h['content-type'];
  if (options.idempotencyKey !== undefined) h['x-idempotency-key'] = options.idempotencyKey;
  return t.app.inject({ method, url, headers: h, ...(payload !== undefined ? { payload: payload as object } : {}) });
}

/** A POST to one of a payment's actions (`capture`, `refund`, …) with the API key. */
export const post = (t: TestApp, paymentId: string, action: string, body: unknown = {}, options: Parameters<typeof api>[4] = {}) =>
  api(t, 'POST', `/payments/${paymentId}/${action}`, body, options);

/** GET /payments/{id}; asserts 200 and returns the body. */
export const read = async (t: TestApp, paymentId: string, query = '') => {
  const res = await api(t, 'GET', `/payments/${paymentId}${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Record<string, any>;
};

/** The payment's PAYMENT.STATUS events, as statuses in order. */
export async function statusEvents(t: TestApp, paymentId: string): Promise<string[]> {
  return (await t.store.payments.events('mer_default', paymentId)).filter((e) => e.type === 'PAYMENT.STATUS').map((e) => e.status);
}

/** An app whose sandbox does not authorize on create (payments wait for POST /payments/{id}/authorize). */
export function idleApp() {
  const checkout = defaultCheckoutConfig('SANDBOX');
  checkout.sandbox = { ...checkout.sandbox, authorizeOnCreate: false };
  return testApp({ checkout });
}

export const PROCESSOR = { processorMerchantId: 'kassa-sandbox' };
export const NOT_A_RESUME_TOKEN = '00000000-0000-4000-8000-000000000000';

/** A call as the SDK makes it, with a session's (or a required action's) access token. */
export function sdk(
  t: TestApp,
  accessToken: string,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  payload?: unknown,
  extra: Record<string, string> = {},
) {
  const h: Record<string, string> = { ...sdkHeaders(accessToken), ...extra };
  if (payload === undefined) delete h['content-type'];
  return t.app.inject({ method, url, headers: h, ...(payload !== undefined ? { payload: payload as object } : {}) });
}

/** A card expiring in December four years after `now` (2030 on the fixed test clock), so it is valid on any clock a test runs. */
export const card = (number: string, extra: Record<string, unknown> = {}, now: number = START) => ({
  number,
  cvv: number.startsWith('34') || number.startsWith('37') ? '1234' : '123',
  ...validExpiry(now),
  ...extra,
});

/** An expiry four years after `now`: pass the real clock's time where a server or command started by the test checks it. */
export const validExpiry = (now: number) => ({ expirationMonth: '12', expirationYear: String(new Date(now).getUTCFullYear() + 4) });

/** POST /payment-instruments (`extra` beside the instrument, `instrument` over card()'s fields); asserts 200 and returns the body. */
export async function tokenize(
  t: TestApp,
  accessToken: string,
  number: string = CARDS.visa,
  extra: Record<string, unknown> = {},
  instrument: Record<string, unknown> = {},
) {
  const res = await sdk(t, accessToken, 'POST', '/payment-instruments', {
    paymentInstrument: card(number, instrument, t.clock.now),
    ...extra,
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Record<string, any>;
}

/** A session (of the merchant of `key`) and a SINGLE_USE token of `number` made in it. */
export async function tokenFor(t: TestApp, number: string = CARDS.visa, sessionBody: Record<string, unknown> = ORDER, key?: string) {
  const s = await createSession(t, sessionBody, { key });
  const tokenized = await tokenize(t, s.accessToken, number);
  return { ...s, token: tokenized.token as string, tokenized };
}

/** A payment made with the API key from a fresh session and token; asserts 200. */
export async function pay(
  t: TestApp,
  number: string = CARDS.visa,
  options: {
    body?: Record<string, unknown>;
    session?: Record<string, unknown>;
    version?: string;
    idempotencyKey?: string;
    key?: string;
  } = {},
) {
  const s = await tokenFor(t, number, options.session ?? ORDER, options.key);
  const res = await api(t, 'POST', '/payments', { paymentMethodToken: s.token, ...options.body }, options);
  assert.equal(res.statusCode, 200, res.body);
  return { ...s, payment: res.json() as Record<string, any> };
}

/** Asserts Primer's error envelope with this status and errorId; returns `error`. */
export function assertError(res: Res, status: number, errorId: string): Record<string, any> {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json() as { error: Record<string, any> };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.errorId, errorId, res.body);
  assert.equal(typeof body.error.description, 'string');
  return body.error;
}

/** The paths of a 422's validation errors, in order. */
export function errorPaths(res: Res): string[] {
  const error = assertError(res, 422, 'RequestValidationError');
  return (error.validationErrors as { errors: { path: string }[] }[]).flatMap((g) => g.errors.map((e) => e.path));
}

/** Another merchant with a key of its own (all scopes unless named). */
export async function otherMerchant(t: TestApp, scopes?: readonly string[]) {
  const merchants = new Merchants(t.store, () => t.clock.now);
  const merchant = await merchants.createMerchant('Other shop');
  return { merchantId: merchant.id, key: await extraKey(t, merchant.id, scopes) };
}

/** A key of the default merchant with only these scopes. */
export async function scopedKey(t: TestApp, scopes: readonly string[]): Promise<string> {
  return extraKey(t, 'mer_default', scopes);
}

/** The decoded payload of a JWT's second segment (the SDKs read it so). */
export const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, any>;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

/** What 4111 1111 1111 1111 (Visa debit, 12/2030) is stored and answered as: no number, no CVV. */
export const VISA_CARD_DATA: CardData = {
  first6Digits: '411111',
  last4Digits: '1111',
  expirationMonth: '12',
  expirationYear: '2030',
  network: 'Visa',
  isNetworkTokenized: false,
  binData: {
    network: 'VISA',
    regionalRestriction: 'UNKNOWN',
    accountNumberType: 'PRIMARY_ACCOUNT_NUMBER',
    accountFundingType: 'DEBIT',
    prepaidReloadableIndicator: 'NOT_APPLICABLE',
    productUsageType: 'UNKNOWN',
    productCode: 'VISA',
    productName: 'VISA',
  },
};
