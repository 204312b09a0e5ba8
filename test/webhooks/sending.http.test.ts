// engines: sqlite, postgres
// Sending a webhook to a receiver Kassa does not trust (docs/webhooks.md, "Destinations", "Verifying",
// "Retries"): refused destinations at creation and at send time (a name that turns into a metadata
// address included), outcomes in Kassa's words, the /test rate limit, receivers that answer forever or
// trickle, the Kassa-Signature a receiver checks with the documented snippet, and the warn log of a
// failed attempt. Receivers are local node:http and node:net servers.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, test, type TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { loggerOptions } from '../../src/http/observability.ts';
import { createMetrics } from '../../src/lib/metrics.ts';
import { Sealer } from '../../src/lib/seal.ts';
import { Destinations, type Resolver } from '../../src/webhooks/destination.ts';
import { KEPT_BODY, postJson } from '../../src/webhooks/http-post.ts';
import { WebhookService } from '../../src/webhooks/service.ts';
import { api, assertError, errorPaths, otherMerchant } from '../payments/support.ts';
import { ROOT } from '../support/process.ts';
import { createSession, testApp, type TestApp } from '../support/app.ts';
import { expectedSignature, startReceiver, type Receiver } from '../support/webhook-receiver.ts';

async function setup(ctx: TestContext, options: Parameters<typeof testApp>[0] = {}, answer?: Receiver['answer']) {
  const [t, rx] = await Promise.all([testApp(options), startReceiver(answer)]);
  ctx.after(async () => {
    await t.close();
    await rx.close();
  });
  return { t, rx };
}

const create = (t: TestApp, url: string, key?: string) =>
  api(t, 'POST', '/kassa/webhook-endpoints', { url, events: ['CLIENT_SESSION.CREATED'] }, key ? { key } : {});

async function addEndpoint(t: TestApp, url: string) {
  const res = await create(t, url);
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { id: string; secret: string };
}

/** A service on the app's store with its own resolver, policy and timeout (as another process configured so would be). */
async function serviceFor(t: TestApp, options: { resolve?: Resolver; policy?: 'allow' | 'deny'; timeoutMs?: number } = {}) {
  return new WebhookService({
    store: t.store,
    clock: () => t.clock.now,
    sealer: new Sealer((await t.store.signingKeys.list()).map((k) => k.secret)),
    metrics: createMetrics(),
    retryScale: 1,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.policy ? { privateDestinations: options.policy } : {}),
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
}

const handed = new Set<string>();

/** The delivery an endpoint has for a new session, made by the outbox and due now (the tests send it, not record it). */
async function dueFor(t: TestApp, endpointId: string) {
  await createSession(t, { orderId: 'o-1' });
  await t.store.webhooks.fanOut(1000);
  const due = (await t.store.webhooks.dueDeliveries(t.clock.now, 100)).filter((d) => d.endpointId === endpointId && !handed.has(d.id));
  assert.equal(due.length, 1);
  handed.add(due[0]!.id);
  return due[0]!;
}

/** A TCP server that does what `onConnection` says with each connection; closed after the test. */
async function tcpServer(ctx: TestContext, onConnection: (socket: Socket) => void): Promise<{ url: string; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  ctx.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

const METADATA_URLS = [
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://100.100.100.200/latest/meta-data/',
  'http://2852039166/',
  'http://0xa9fea9fe/',
  'http://0251.0376.0251.0376/',
  'http://169.254.43518/',
  'http://[::ffff:169.254.169.254]/',
];
const ALWAYS_REFUSED = [...METADATA_URLS, 'http://[fe80::1]/', 'http://169.254.1.1/', 'http://0.0.0.0:8080/', 'http://[::]/', 'http://0/'];
const LOOPBACK_AND_PRIVATE = [
  'http://127.0.0.1:4000/',
  'http://2130706433:4000/',
  'http://0x7f000001/',
  'http://127.1/',
  'http://[::1]/',
  'http://[::ffff:7f00:1]/',
  'http://localhost:4000/',
  'http://10.0.0.5/',
  'http://172.16.1.1/',
  'http://192.168.0.10/',
  'http://100.64.0.1/',
  'http://[fd12::1]/',
];

describe('destinations', { concurrency: 4 }, () => {
  test('link-local, metadata and unspecified destinations are refused at $.url in every spelling; nothing is made', async (ctx) => {
    const { t } = await setup(ctx);
    for (const url of ALWAYS_REFUSED) {
      const res = await create(t, url);
      assert.deepEqual(errorPaths(res), ['$.url'], url);
    }
    assert.deepEqual((await api(t, 'GET', '/kassa/webhook-endpoints')).json(), { data: [] });
    const [one] = (await create(t, 'http://169.254.169.254/')).json().error.validationErrors[0].errors;
    assert.deepEqual(one, { path: '$.url', description: 'Must not be a cloud metadata service.' });
  });

  test('loopback and private ranges are allowed by default, and refused with KASSA_WEBHOOK_PRIVATE=deny', async (ctx) => {
    const { t } = await setup(ctx);
    for (const url of LOOPBACK_AND_PRIVATE) assert.equal((await create(t, url)).statusCode, 200, url);
    const deny = await testApp({ env: { KASSA_WEBHOOK_PRIVATE: 'deny' } });
    ctx.after(() => deny.close());
    for (const url of LOOPBACK_AND_PRIVATE) assert.deepEqual(errorPaths(await create(deny, url)), ['$.url'], url);
    assert.equal((await create(deny, 'http://93.184.215.14/hooks')).statusCode, 200, 'a public address is fine');
    assert.deepEqual(
      (await api(deny, 'GET', '/kassa/webhook-endpoints')).json().data.map((e: { url: string }) => e.url),
      ['http://93.184.215.14/hooks'],
    );
  });

  test('a name is checked by what it resolves to, at creation and again at send time (DNS rebinding): no request goes', async (ctx) => {
    // Connection: close, so each attempt connects (and looks the name up) afresh instead of reusing a checked connection.
    const { t, rx } = await setup(ctx, {}, () => ({ status: 200, headers: { connection: 'close' } }));
    const port = new URL(rx.url).port;
    const table: Record<string, string[]> = { 'hooks.example': ['127.0.0.1'], 'creds.example': ['169.254.169.254'] };
    const resolve: Resolver = async (name) => (table[name] ?? []).map((address) => ({ address, family: 4 }));
    const service = await serviceFor(t, { resolve });
    await assert.rejects(service.createEndpoint('mer_default', { url: `http://creds.example:${port}/` }), (e: any) => {
      assert.deepEqual(e.validationErrors[0].errors, [{ path: '$.url', description: 'Must not be a cloud metadata service.' }]);
      return true;
    });
    const made = await service.createEndpoint('mer_default', {
      url: `http://hooks.example:${port}/named`,
      events: ['CLIENT_SESSION.CREATED'],
    });
    // The connection goes to the address the guarded lookup gave: the local receiver.
    const first = await service.deliver(await dueFor(t, made.id));
    assert.equal(first.status, 'DELIVERED');
    assert.deepEqual(
      rx.received.map((r) => [r.path, r.headers.host]),
      [['/named', `hooks.example:${port}`]],
    );
    // The name now answers the metadata address.
    table['hooks.example'] = ['169.254.169.254'];
    const second = await service.deliver(await dueFor(t, made.id));
    assert.deepEqual([second.status, second.lastError], ['PENDING', 'The destination is not allowed.']);
    assert.equal(rx.received.length, 1, 'nothing was sent');
  });

  test('an endpoint stored before KASSA_WEBHOOK_PRIVATE=deny is refused at send time, and so is its /test', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const made = await addEndpoint(t, `${rx.url}/local`);
    const deny = await serviceFor(t, { policy: 'deny' });
    const result = await deny.deliver(await dueFor(t, made.id));
    assert.deepEqual([result.status, result.lastError], ['PENDING', 'The destination is not allowed.']);
    assert.deepEqual(await deny.test('mer_default', made.id), { delivered: false, error: 'The destination is not allowed.' });
    assert.equal(rx.received.length, 0);
  });
});

describe("outcomes in Kassa's words", { concurrency: 4 }, () => {
  test('/test says refused, not HTTP, TLS failed, closed, no answer or the status; never a library message', async (ctx) => {
    const { t, rx } = await setup(ctx, { env: { KASSA_WEBHOOK_TIMEOUT_MS: '300' } }, () => 503);
    const closed = await startReceiver();
    await closed.close();
    const garbage = await tcpServer(ctx, (s) => s.end('SSH-2.0-OpenSSH_9.6\r\n'));
    const hangUp = await tcpServer(ctx, (s) => s.once('data', () => s.destroy()));
    const silent = await tcpServer(ctx, () => {});
    const plain = await startReceiver();
    ctx.after(() => plain.close());
    const cases: Array<[string, Record<string, unknown>]> = [
      [`${closed.url}/`, { delivered: false, error: 'The connection was refused.' }],
      [`${garbage.url}/`, { delivered: false, error: 'The receiver did not answer with HTTP.' }],
      [`${plain.url.replace('http:', 'https:')}/`, { delivered: false, error: 'TLS failed.' }],
      [`${hangUp.url}/`, { delivered: false, error: 'The connection closed before an answer.' }],
      [`${silent.url}/`, { delivered: false, error: 'No answer within 0.3 s.' }],
      [`${rx.url}/`, { delivered: false, statusCode: 503, error: 'The receiver answered 503.' }],
    ];
    for (const [url, expected] of cases) {
      const { id } = await addEndpoint(t, url);
      const res = await api(t, 'POST', `/kassa/webhook-endpoints/${id}/test`);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), expected, url);
    }
  });

  test('/test is rate limited per merchant: the eleventh in a minute is 429 with Retry-After, nothing sent; another merchant is not', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const { id } = await addEndpoint(t, rx.url);
    for (let i = 0; i < 10; i++) assert.equal((await api(t, 'POST', `/kassa/webhook-endpoints/${id}/test`)).statusCode, 200);
    const limited = await api(t, 'POST', `/kassa/webhook-endpoints/${id}/test`);
    assertError(limited, 429, 'TooManyRequests');
    assert.equal(limited.headers['retry-after'], '6');
    assert.equal(rx.received.length, 10);
    const other = await otherMerchant(t);
    const theirs = (await api(t, 'POST', '/kassa/webhook-endpoints', { url: rx.url }, { key: other.key })).json().id;
    assert.equal((await api(t, 'POST', `/kassa/webhook-endpoints/${theirs}/test`, undefined, { key: other.key })).statusCode, 200);
    t.clock.advance(6000);
    assert.equal((await api(t, 'POST', `/kassa/webhook-endpoints/${id}/test`)).statusCode, 200, 'a token back after 6 s');
  });
});

describe('hostile receivers', { concurrency: 4 }, () => {
  /** A receiver that answers 200 and then writes its body for as long as the connection lasts; counts what it wrote. */
  async function endless(ctx: TestContext) {
    const state = { written: 0, closed: 0 };
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const server = createHttpServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      const pump = () => {
        while (!res.destroyed) {
          state.written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      res.on('close', () => state.closed++);
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    ctx.after(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, state };
  }

  test('an endless body: Kassa keeps its first 4 KiB, drops the connection and records the status; the receiver could write only what buffers hold', async (ctx) => {
    const { t } = await setup(ctx);
    const rx = await endless(ctx);
    // A minute's timeout: without the cut, this delivery would read for all of it.
    const service = await serviceFor(t, { timeoutMs: 60_000 });
    const made = await service.createEndpoint('mer_default', { url: rx.url, events: ['CLIENT_SESSION.CREATED'] });
    const result = await service.deliver(await dueFor(t, made.id));
    assert.deepEqual([result.status, result.lastStatusCode], ['DELIVERED', 200]);
    await waitUntil(() => rx.state.closed === 1);
    assert.ok(rx.state.written < 32 * 1024 * 1024, `the receiver wrote ${rx.state.written} bytes`);

    const answer = await postJson(rx.url, {}, '{}', { timeoutMs: 60_000, destinations: new Destinations('allow') });
    assert.equal(answer.kind, 'answer');
    if (answer.kind !== 'answer') return;
    assert.deepEqual([answer.statusCode, answer.body.length, answer.truncated], [200, KEPT_BODY, true]);
    assert.equal(answer.headers['content-type'], 'text/plain');
  });

  test('a receiver that trickles its headers gets no answer recorded within the timeout; one that trickles its body keeps its status', async (ctx) => {
    const { t } = await setup(ctx);
    const timers = new Set<NodeJS.Timeout>();
    ctx.after(() => {
      for (const timer of timers) clearInterval(timer);
    });
    const trickle = (socket: Socket, head: string, byte: string) => {
      socket.once('data', () => {
        socket.write(head);
        const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(byte)), 20);
        timers.add(timer);
      });
    };
    const headers = await tcpServer(ctx, (s) => trickle(s, 'HTTP/1.1 200 OK\r\n', 'X'));
    const body = await tcpServer(ctx, (s) => trickle(s, 'HTTP/1.1 200 OK\r\ncontent-length: 1000000\r\n\r\n', 'y'));
    const service = await serviceFor(t, { timeoutMs: 500 });
    const slowHead = await service.createEndpoint('mer_default', { url: headers.url, events: ['CLIENT_SESSION.CREATED'] });
    const slowBody = await service.createEndpoint('mer_default', { url: body.url, events: ['CLIENT_SESSION.CREATED'] });
    await createSession(t, { orderId: 'o-1' });
    await t.store.webhooks.fanOut(100);
    const due = await t.store.webhooks.dueDeliveries(t.clock.now, 100);
    const results = new Map(await Promise.all(due.map(async (d) => [d.endpointId, await service.deliver(d)] as const)));
    assert.deepEqual([results.get(slowHead.id)!.status, results.get(slowHead.id)!.lastError], ['PENDING', 'No answer within 0.5 s.']);
    assert.deepEqual([results.get(slowBody.id)!.status, results.get(slowBody.id)!.lastStatusCode], ['DELIVERED', 200]);
    const answer = await postJson(body.url, {}, '{}', { timeoutMs: 500, destinations: new Destinations('allow') });
    assert.ok(answer.kind === 'answer' && answer.truncated && /^y+$/.test(answer.body), 'the body read until the timeout cut it');
  });
});

describe('Kassa-Signature', { concurrency: 4 }, () => {
  /** The receiver snippet of docs/webhooks.md, loaded from the page itself. */
  async function documentedVerifier(ctx: TestContext) {
    const page = readFileSync(join(ROOT, 'docs', 'webhooks.md'), 'utf8');
    const block = [...page.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('function verifyKassaSignature'));
    assert.ok(block, 'docs/webhooks.md has the snippet');
    const dir = mkdtempSync(join(tmpdir(), 'kassa-snippet-'));
    ctx.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'verify.mjs'), block);
    return (await import(pathToFileURL(join(dir, 'verify.mjs')).href)) as {
      verifyKassaSignature: (header: unknown, deliveryId: string, raw: Buffer | string, secret: string, now?: number) => boolean;
    };
  }

  test('signs the time, the delivery id and the body; the documented snippet accepts a real delivery and refuses a replay, another id or body', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const { verifyKassaSignature } = await documentedVerifier(ctx);
    const made = await addEndpoint(t, rx.url);
    await createSession(t, { orderId: 'o-1' });
    await t.app.webhookDispatcher!.runDue();
    const [got] = rx.received;
    const header = String(got!.headers['kassa-signature']);
    const id = String(got!.headers['x-kassa-delivery-id']);
    const now = Math.floor(t.clock.now / 1000);
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(header.split(',')[0], `t=${now}`);
    assert.equal(got!.body.signedAt, String(now), 'the same time as the body says');
    assert.equal(got!.headers['x-signature-primary'], expectedSignature(got!.raw, made.secret), "Primer's signature unchanged");
    assert.equal(verifyKassaSignature(header, id, Buffer.from(got!.raw), made.secret, now), true);
    assert.equal(verifyKassaSignature(header, id, got!.raw, made.secret, now + 300), true, 'within the 5 minutes');
    assert.equal(verifyKassaSignature(header, id, got!.raw, made.secret, now + 301), false, 'a replay after the window');
    assert.equal(
      verifyKassaSignature(header, `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`, got!.raw, made.secret, now),
      false,
      'another delivery id',
    );
    assert.equal(verifyKassaSignature(header, id, `${got!.raw} `, made.secret, now), false, 'another body');
    assert.equal(verifyKassaSignature(header, id, got!.raw, 'whsec_someone_else_0123456789', now), false, 'another secret');
    assert.equal(verifyKassaSignature(undefined, id, got!.raw, made.secret, now), false, 'no header');
    assert.equal(verifyKassaSignature(`t=${now},v1=zz`, id, got!.raw, made.secret, now), false);
  });

  test('after a rotation Kassa-Signature carries a v1 for each secret, and the snippet accepts either', async (ctx) => {
    const { t, rx } = await setup(ctx);
    const { verifyKassaSignature } = await documentedVerifier(ctx);
    const made = await addEndpoint(t, rx.url);
    const rotated = (await api(t, 'POST', `/kassa/webhook-endpoints/${made.id}/rotate-secret`)).json() as { secret: string };
    assert.equal((await api(t, 'POST', `/kassa/webhook-endpoints/${made.id}/test`)).statusCode, 200);
    const [got] = rx.received;
    const header = String(got!.headers['kassa-signature']);
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    const now = Math.floor(t.clock.now / 1000);
    const id = String(got!.headers['x-kassa-delivery-id']);
    assert.equal(verifyKassaSignature(header, id, got!.raw, rotated.secret, now), true);
    assert.equal(verifyKassaSignature(header, id, got!.raw, made.secret, now), true);
  });
});

describe('logs', () => {
  test('a failed attempt is logged at warn with the endpoint, the delivery and the outcome; never the secret or the body', async (ctx) => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const { t, rx } = await setup(ctx, { logger: pino(loggerOptions('info'), sink) }, () => 500);
    const made = await addEndpoint(t, rx.url);
    await createSession(t, { orderId: 'order-in-the-body' });
    await t.app.webhookDispatcher!.runDue();
    const [delivery] = rx.received;
    const warned = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.msg === 'webhook delivery failed');
    assert.deepEqual(
      warned.map((l) => [l.level, l.webhook]),
      [
        [
          40,
          {
            endpointId: made.id,
            deliveryId: delivery!.headers['x-kassa-delivery-id'],
            attempts: 1,
            status: 'PENDING',
            outcome: 'The receiver answered 500.',
          },
        ],
      ],
    );
    const all = lines.join('\n');
    assert.ok(!all.includes(made.secret) && !all.includes('order-in-the-body'), 'neither the secret nor the body');
  });
});

/** Waits for a condition that follows from something already done (a socket closing); the bound is a safety net. */
async function waitUntil(done: () => boolean) {
  const until = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > until) throw new Error('not within 30 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}
