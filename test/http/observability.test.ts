// engines: sqlite, postgres
// Request ids, the one log line per request, Server-Timing and GET /metrics.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import pino from 'pino';
import { loggerOptions } from '../../src/http/observability.ts';
import { createMetrics } from '../../src/lib/metrics.ts';
import { timed, Timing } from '../../src/lib/context.ts';
import { createSession, headers, testApp, type TestApp } from '../support/app.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const ORDER = { orderId: 'o-1', currencyCode: 'EUR', amount: 100 };

/** Prometheus text -> { 'name{labels}': value }. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function scrape(t: TestApp): Promise<Map<string, number>> {
  const response = await t.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return samples(response.body);
}

describe('X-Request-Id', () => {
  test('a well-formed id is kept, returned, and is the diagnosticsId of an error', async () => {
    const t = await testApp();
    try {
      const id = 'trace-01:ab.CD_9';
      const ok = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': id } });
      assert.equal(ok.headers['x-request-id'], id);
      const error = await t.app.inject({
        method: 'POST',
        url: '/client-session',
        headers: { 'x-request-id': id, 'content-type': 'application/json' },
        payload: {},
      });
      assert.equal(error.statusCode, 401);
      assert.equal(error.headers['x-request-id'], id);
      assert.equal(error.json().error.diagnosticsId, id);
      const longest = 'a'.repeat(128);
      assert.equal(
        (await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': longest } })).headers['x-request-id'],
        longest,
      );
    } finally {
      await t.close();
    }
  });

  test('a missing or malformed id is replaced by a fresh UUID, on every kind of response', async () => {
    const t = await testApp();
    try {
      const seen = new Set<string>();
      for (const given of [undefined, 'has space', 'a'.repeat(129), 'semi;colon', '']) {
        for (const url of ['/health', '/no-such-route', '/dashboard']) {
          const response = await t.app.inject({ method: 'GET', url, headers: given === undefined ? {} : { 'x-request-id': given } });
          const id = String(response.headers['x-request-id']);
          assert.match(id, UUID, `${url} ${given}`);
          if (response.statusCode === 404) assert.equal(response.json().error.diagnosticsId, id);
          seen.add(id);
        }
      }
      assert.equal(seen.size, 15, 'every request gets its own id');
    } finally {
      await t.close();
    }
  });
});

describe('request log', () => {
  test('one JSON line per request with method, route, status, duration, merchant and request id, and no secrets', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(
          ...String(chunk)
            .split('\n')
            .filter((l) => l.length > 0),
        );
        done();
      },
    });
    const t = await testApp({ logger: pino(loggerOptions('info'), sink) });
    try {
      const { clientToken } = await createSession(t, ORDER);
      await t.app.inject({
        method: 'GET',
        url: `/client-session?clientToken=${encodeURIComponent(clientToken)}`,
        headers: { ...headers(t.apiKey), 'x-request-id': 'req-get-1' },
      });
      await t.app.inject({ method: 'GET', url: '/nowhere?secret=x' });
      const requests = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
      assert.equal(requests.length, 3, lines.join('\n'));
      const [post, get, missing] = requests;
      const pick = (l: Record<string, unknown>) => ({ method: l.method, route: l.route, status: l.status, merchantId: l.merchantId });
      assert.deepEqual(pick(post), { method: 'POST', route: '/client-session', status: 200, merchantId: 'mer_default' });
      assert.deepEqual(pick(get), { method: 'GET', route: '/client-session', status: 200, merchantId: 'mer_default' });
      assert.equal(get.requestId, 'req-get-1');
      assert.deepEqual(pick(missing), { method: 'GET', route: 'unmatched', status: 404, merchantId: undefined });
      for (const line of requests) {
        assert.equal(typeof line.durationMs, 'number');
        assert.ok((line.durationMs as number) >= 0);
        assert.match(String(line.requestId), /\S/);
      }
      const all = lines.join('\n');
      assert.ok(!all.includes(t.apiKey), 'the API key is never logged');
      assert.ok(!all.includes(clientToken), 'the client token is never logged');
      assert.ok(!all.includes('secret=x'), 'query strings are never logged');
    } finally {
      await t.close();
    }
  });
});

describe('Server-Timing', () => {
  test('every response carries the time spent in storage by that request alone', async () => {
    const t = await testApp();
    try {
      const storageMs = (header: unknown) => {
        const match = /^storage;dur=(\d+\.\d{3});desc="Time in storage"$/.exec(String(header));
        assert.ok(match, String(header));
        return Number(match[1]);
      };
      const post = await t.app.inject({ method: 'POST', url: '/client-session', headers: headers(t.apiKey), payload: { amount: 1 } });
      assert.ok(storageMs(post.headers['server-timing']) > 0, 'auth and insert are storage calls');
      // Requests that touch no storage report zero even while others run at the same time.
      const mixed = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 === 0
            ? t.app.inject({ method: 'GET', url: '/health' })
            : t.app.inject({ method: 'POST', url: '/client-session', headers: headers(t.apiKey), payload: { amount: i } }),
        ),
      );
      mixed.forEach((response, i) => {
        const ms = storageMs(response.headers['server-timing']);
        if (i % 2 === 0) assert.equal(ms, 0, 'health');
        else assert.ok(ms > 0, 'create');
      });
      const notFound = await t.app.inject({ method: 'GET', url: '/nope' });
      assert.equal(storageMs(notFound.headers['server-timing']), 0);
    } finally {
      await t.close();
    }
  });
});

describe('storage timing', () => {
  test('a storage call made for a request adds to its storage time and is reported by operation, failures too', async () => {
    const calls: string[] = [];
    const timing = new Timing((operation, seconds) => {
      assert.ok(seconds >= 0);
      calls.push(operation);
    });
    const ctx = { apiVersion: '2.4' as const, requestId: 'r', timing };
    const slow = () => new Promise<string>((resolve) => setTimeout(() => resolve('row'), 5));
    assert.equal(await timed(ctx, 'sessions.findById', slow), 'row');
    await assert.rejects(
      timed(ctx, 'sessions.change', () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.deepEqual(calls, ['sessions.findById', 'sessions.change']);
    assert.ok(timing.storageMs >= 4);
    // Outside a request (no timing) the call just runs.
    assert.equal(await timed({ apiVersion: '2.4', requestId: 'r' }, 'x', slow), 'row');
  });
});

describe('GET /metrics', () => {
  test('counts requests and latency per route pattern and status, sessions created and updated, and storage calls', async () => {
    const t = await testApp();
    try {
      const { clientToken } = await createSession(t, ORDER);
      const patch = await t.app.inject({
        method: 'PATCH',
        url: '/client-session',
        headers: headers(t.apiKey),
        payload: { clientToken, amount: 200 },
      });
      assert.equal(patch.statusCode, 200);
      const rejected = await t.app.inject({
        method: 'PATCH',
        url: '/client-session',
        headers: headers(t.apiKey),
        payload: { clientToken, amount: -1 },
      });
      assert.equal(rejected.statusCode, 422);
      await t.app.inject({ method: 'POST', url: '/client-session', headers: headers('wrong-key-0123456789'), payload: {} });
      await t.app.inject({ method: 'GET', url: '/dashboard/api/sessions/cs_one', headers: { 'x-api-key': t.apiKey } });
      await t.app.inject({ method: 'GET', url: '/dashboard/api/sessions/cs_two', headers: { 'x-api-key': t.apiKey } });
      await t.app.inject({ method: 'GET', url: '/no/such/thing' });

      const m = await scrape(t);
      const count = (method: string, route: string, status: number) =>
        m.get(`kassa_http_requests_total{method="${method}",route="${route}",status="${status}"}`);
      assert.equal(count('POST', '/client-session', 200), 1);
      assert.equal(count('POST', '/client-session', 401), 1);
      assert.equal(count('PATCH', '/client-session', 200), 1);
      assert.equal(count('PATCH', '/client-session', 422), 1);
      // The pattern, not the URL: two ids, one series.
      assert.equal(count('GET', '/dashboard/api/sessions/:id', 404), 2);
      assert.equal(count('GET', 'unmatched', 404), 1);
      assert.ok(![...m.keys()].some((k) => k.includes('cs_one') || k.includes('/no/such/thing')));
      assert.equal(m.get('kassa_http_request_duration_seconds_count{method="POST",route="/client-session",status="200"}'), 1);
      assert.equal(m.get('kassa_http_request_duration_seconds_bucket{le="+Inf",method="PATCH",route="/client-session",status="200"}'), 1);

      assert.equal(m.get('kassa_sessions_created_total'), 1);
      assert.equal(m.get('kassa_sessions_updated_total'), 1, 'a rejected update is not counted');
      // The create commits a unit of work; the accepted PATCH is one serialised change (the rejected
      // one never reached storage).
      assert.equal(m.get('kassa_storage_duration_seconds_count{operation="commit"}'), 1);
      assert.equal(m.get('kassa_storage_duration_seconds_count{operation="sessions.change"}'), 1);
      assert.ok((m.get('kassa_storage_duration_seconds_count{operation="apiKeys.authenticate"}') ?? 0) >= 6);
      assert.equal(m.get('kassa_idempotent_replays_total'), 0);
      assert.equal(m.get('kassa_rate_limited_total'), 0);

      // The scrape itself is counted on the next one.
      assert.equal(count('GET', '/metrics', 200), undefined);
      assert.equal((await scrape(t)).get('kassa_http_requests_total{method="GET",route="/metrics",status="200"}'), 1);
    } finally {
      await t.close();
    }
  });

  test('each app has its own registry, and the replay and rate-limit counters count what they are told', async () => {
    const metrics = createMetrics();
    metrics.idempotentReplay();
    metrics.idempotentReplay();
    metrics.rateLimited();
    const text = samples(await metrics.registry.metrics());
    assert.equal(text.get('kassa_idempotent_replays_total'), 2);
    assert.equal(text.get('kassa_rate_limited_total'), 1);

    const [a, b] = await Promise.all([testApp(), testApp()]);
    try {
      await createSession(a, ORDER);
      assert.equal((await scrape(a)).get('kassa_sessions_created_total'), 1);
      assert.equal((await scrape(b)).get('kassa_sessions_created_total'), 0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('replay and rate-limit counters', () => {
  test('an idempotent replay and a 429 are counted in /metrics', async (t) => {
    const app = await testApp({ env: { KASSA_RATE_LIMIT: 'key:3/s,token:off' } });
    t.after(() => app.close());
    const send = () =>
      app.app.inject({
        method: 'POST',
        url: '/client-session',
        headers: { ...headers(app.apiKey), 'x-idempotency-key': 'order-42' },
        payload: { orderId: 'o' },
      });
    assert.equal((await send()).statusCode, 200);
    const again = await send();
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal((await send()).statusCode, 200);
    assert.equal((await send()).statusCode, 429, 'the fourth request in the same second is over the 3/s limit');
    const metrics = samples((await app.app.inject({ method: 'GET', url: '/metrics' })).body);
    assert.equal(metrics.get('kassa_idempotent_replays_total'), 2);
    assert.equal(metrics.get('kassa_rate_limited_total'), 1);
  });
});
