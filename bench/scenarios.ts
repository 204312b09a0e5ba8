// The workloads, driven by autocannon over loopback: create, get by token, patch (an email change),
// patch-hot (every connection patches the same session), a 70/20/10 get/patch/create mix, and pay (the
// SDK tokenizes a test card with a session's client token, then the merchant's server creates the
// payment: two requests, each counted), pay-hooked (pay, with a webhook endpoint configured: every
// payment's events are also delivered, signed, to a local receiver) and pay-again (pay once more, the
// endpoint deleted: pay-hooked runs on a database pay has grown, so it is compared with both), and
// pay-redirect (an iDEAL payment end to end as the SDK makes it: tokenize, create, the shopper's choice
// by the sandbox helper, the SDK's poll, resume: five requests, each counted). Get, patch and pay cycle
// through a pool of sessions made beforehand, so every request finds a real session.
import autocannon, { type Request } from 'autocannon';
import { CREATE_BODY, patchBody, REDIRECT_TOKENIZE_BODY, TOKENIZE_BODY } from './bodies.ts';
import { cpuSecondsOf } from './processes.ts';

export const SCENARIOS = ['create', 'get', 'patch', 'patch-hot', 'mix', 'pay', 'pay-hooked', 'pay-again', 'pay-redirect'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Requests one payment takes, for the scenarios that pay: CPU per payment is CPU per request times this. */
export const REQUESTS_PER_PAYMENT: Partial<Record<Scenario, number>> = { pay: 2, 'pay-hooked': 2, 'pay-again': 2, 'pay-redirect': 5 };

export interface Measured {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  requests: number;
  bytesPerResponse: number;
  /** Server CPU time (user + system) per request, in microseconds: less sensitive to a busy machine. */
  cpuMicrosPerRequest?: number;
  /** The same per payment, for the scenarios that pay. */
  cpuMicrosPerPayment?: number;
}

export const apiHeaders = (apiKey: string): Record<string, string> => ({
  'x-api-key': apiKey,
  'x-api-version': '2.4',
  'content-type': 'application/json',
});

/** Creates `size` sessions (10 at a time) and returns their client tokens. */
export async function makePool(url: string, apiKey: string, size: number): Promise<string[]> {
  const tokens: string[] = [];
  const one = async () => {
    const res = await fetch(`${url}/client-session`, { method: 'POST', headers: apiHeaders(apiKey), body: CREATE_BODY });
    const body = (await res.json()) as { clientToken?: string };
    if (!res.ok || typeof body.clientToken !== 'string') throw new Error(`pool: POST answered ${res.status}`);
    tokens.push(body.clientToken);
  };
  while (tokens.length < size) await Promise.all(Array.from({ length: Math.min(10, size - tokens.length) }, one));
  return tokens;
}

function requestsFor(scenario: Scenario, apiKey: string, pool: readonly string[]): Request[] {
  const headers = apiHeaders(apiKey);
  const getHeaders = { 'x-api-key': apiKey, 'x-api-version': '2.4' };
  let n = 0;
  const nextToken = () => pool[n++ % pool.length]!;
  const create = (): Request => ({ method: 'POST', path: '/client-session', headers, body: CREATE_BODY });
  const get = (): Request => ({
    method: 'GET',
    path: `/client-session?clientToken=${encodeURIComponent(nextToken())}`,
    headers: getHeaders,
  });
  const patch = (): Request => ({ method: 'PATCH', path: '/client-session', headers, body: patchBody(nextToken(), n) });
  const hot = pool[0]!;
  const pick: Record<Exclude<Scenario, 'pay' | 'pay-hooked' | 'pay-again' | 'pay-redirect'>, () => Request> = {
    create,
    get,
    patch,
    'patch-hot': () => ({ method: 'PATCH', path: '/client-session', headers, body: patchBody(hot, n++) }),
    // 70% get, 20% patch, 10% create, interleaved deterministically.
    mix: () => {
      const slot = n % 10;
      if (slot < 7) return get();
      if (slot < 9) return patch();
      n++;
      return create();
    },
  };
  if (scenario === 'create') return [create()];
  if (scenario === 'pay' || scenario === 'pay-hooked' || scenario === 'pay-again') {
    // The baseline's fake token carries no access token: it answers whatever is sent.
    const accessTokenOf = (clientToken: string) => {
      try {
        return (JSON.parse(Buffer.from(clientToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { accessToken: string })
          .accessToken;
      } catch {
        return 'none';
      }
    };
    const access = pool.map(accessTokenOf);
    return [
      {
        setupRequest: () => ({
          method: 'POST',
          path: '/payment-instruments',
          headers: { 'primer-client-token': access[n++ % access.length]!, 'x-api-version': '2.4', 'content-type': 'application/json' },
          body: TOKENIZE_BODY,
        }),
        onResponse: (_status, body, context) => {
          try {
            context.token = (JSON.parse(body) as { token?: string }).token;
          } catch {
            context.token = undefined;
          }
        },
      },
      {
        setupRequest: (_request, context) => ({
          method: 'POST',
          path: '/payments',
          headers,
          body: JSON.stringify({ paymentMethodToken: context.token ?? 'tok_none' }),
        }),
      },
    ];
  }
  if (scenario === 'pay-redirect') return redirectPayment(headers, pool);
  return [{ setupRequest: () => pick[scenario as Exclude<Scenario, 'pay' | 'pay-hooked' | 'pay-again' | 'pay-redirect'>]() }];
}

/** A JWT's claims, or {} (the baseline's fake token has none: it answers whatever is sent). */
function claimsOf(token: unknown): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(String(token).split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}
const jsonOf = (body: string): Record<string, unknown> => {
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    return {};
  }
};

/**
 * pay-redirect, as docs/payments.md's "Redirect methods" walks it: the SDK tokenizes iDEAL and creates
 * the payment (PENDING, its action token naming statusUrl), the helper completes for the shopper, the
 * SDK polls statusUrl with the action token's accessToken and resumes with the id it answers.
 */
function redirectPayment(headers: Record<string, string>, pool: readonly string[]): Request[] {
  let n = 0;
  const access = pool.map((token) => String(claimsOf(token).accessToken ?? 'none'));
  const sdk = (accessToken: unknown) => ({ 'x-api-version': '2.4', 'primer-client-token': String(accessToken ?? 'none') });
  const json = { 'content-type': 'application/json' };
  return [
    {
      setupRequest: (_request, context) => {
        context.accessToken = access[n++ % access.length];
        return {
          method: 'POST',
          path: '/payment-instruments',
          headers: { ...sdk(context.accessToken), ...json },
          body: REDIRECT_TOKENIZE_BODY,
        };
      },
      onResponse: (_status, body, context) => {
        context.token = jsonOf(body).token;
      },
    },
    {
      setupRequest: (_request, context) => ({
        method: 'POST',
        path: '/payments',
        headers: { ...sdk(context.accessToken), ...json },
        body: JSON.stringify({ paymentMethodToken: context.token ?? 'tok_none' }),
      }),
      onResponse: (_status, body, context) => {
        const payment = jsonOf(body);
        const claims = claimsOf((payment.requiredAction as { clientToken?: string } | undefined)?.clientToken);
        context.paymentId = payment.id ?? 'none';
        context.actionAccess = claims.accessToken;
        context.statusPath = typeof claims.statusUrl === 'string' ? new URL(claims.statusUrl).pathname : '/none/status';
      },
    },
    {
      setupRequest: (_request, context) => ({
        method: 'POST',
        path: `/kassa/sandbox/payments/${context.paymentId}/redirect`,
        headers,
        body: '{"outcome":"COMPLETE"}',
      }),
    },
    {
      setupRequest: (_request, context) => ({ method: 'GET', path: String(context.statusPath), headers: sdk(context.actionAccess) }),
      onResponse: (_status, body, context) => {
        context.resumeToken = jsonOf(body).id ?? 'none';
      },
    },
    {
      setupRequest: (_request, context) => ({
        method: 'POST',
        path: `/payments/${context.paymentId}/resume`,
        headers: { ...sdk(context.actionAccess), ...json },
        body: JSON.stringify({ resumeToken: context.resumeToken }),
      }),
    },
  ];
}

export async function measure(
  scenario: Scenario,
  url: string,
  apiKey: string,
  pool: readonly string[],
  options: { connections: number; duration: number },
  serverPid?: number,
): Promise<Measured> {
  const cpuBefore = serverPid !== undefined ? cpuSecondsOf(serverPid) : undefined;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.duration,
    timeout: 10,
    requests: requestsFor(scenario, apiKey, pool),
  });
  const requests = result.requests.total;
  const cpuAfter = serverPid !== undefined ? cpuSecondsOf(serverPid) : undefined;
  return {
    requestsPerSecond: Math.round(requests / (result.duration > 0 ? result.duration : options.duration)),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    errors: result.errors + result.timeouts + result.non2xx,
    requests,
    bytesPerResponse: requests > 0 ? Math.round(result.throughput.total / requests) : 0,
    ...(cpuBefore !== undefined && cpuAfter !== undefined && requests > 0
      ? { cpuMicrosPerRequest: Math.round(((cpuAfter - cpuBefore) * 1e6) / requests) }
      : {}),
    ...(cpuBefore !== undefined && cpuAfter !== undefined && requests > 0 && REQUESTS_PER_PAYMENT[scenario] !== undefined
      ? { cpuMicrosPerPayment: Math.round(((cpuAfter - cpuBefore) * 1e6 * REQUESTS_PER_PAYMENT[scenario]) / requests) }
      : {}),
  };
}

/** What a scenario needs set up on the server first: pay-hooked, a webhook endpoint at `receiverUrl`. */
export async function prepare(scenario: Scenario, url: string, apiKey: string, receiverUrl: string): Promise<void> {
  if (scenario === 'pay-again') {
    // The endpoints pay-hooked made go, and the deliveries left wait for nobody.
    const listed = await fetch(`${url}/kassa/webhook-endpoints`, { headers: apiHeaders(apiKey) });
    const { data = [] } = (await listed.json().catch(() => ({}))) as { data?: { id: string }[] };
    for (const e of data)
      await (await fetch(`${url}/kassa/webhook-endpoints/${e.id}`, { method: 'DELETE', headers: { 'x-api-key': apiKey } })).arrayBuffer();
    return;
  }
  if (scenario !== 'pay-hooked') return;
  const res = await fetch(`${url}/kassa/webhook-endpoints`, {
    method: 'POST',
    headers: apiHeaders(apiKey),
    body: JSON.stringify({ url: receiverUrl, description: 'bench' }),
  });
  // The baseline has no webhooks: it answers anything.
  await res.arrayBuffer();
}
