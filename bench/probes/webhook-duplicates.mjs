// Issue #21's exactly-once figure, measured: two Kassa processes of one build on one fresh PostgreSQL
// database, a receiver that answers each POST after 800 ms with KASSA_WEBHOOK_TIMEOUT_MS=1000, N
// payments made through process A before B starts; prints how many delivery ids arrived more than once.
// Usage: node bench/probes/webhook-duplicates.mjs <postgres server URL, e.g. postgres://postgres@127.0.0.1:5432>
//        [payments, default 30] [the build's main.js, default dist/kassa/main.js]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';
import { resolve } from 'node:path';
import postgres from 'postgres';

const [PG, n = '30', build = 'dist/kassa/main.js'] = process.argv.slice(2);
if (!PG) throw new Error('usage: webhook-duplicates.mjs <postgres server URL> [payments] [main.js]');
const server = resolve(build);
const PAYMENTS = Number(n);
const KEY = 'kassa_dupes_key_0123456789abcdef';
const dbName = `kassa_dupes_${process.pid}`;
const admin = postgres(`${PG}/postgres`, { max: 1, onnotice: () => {} });
await admin.unsafe(`CREATE DATABASE ${dbName}`);

const received = []; // [deliveryId, ms]
const t0 = performance.now();
const rx = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received.push([String(req.headers['x-kassa-delivery-id']), performance.now() - t0]);
    setTimeout(() => res.writeHead(200).end('ok'), 800);
  });
});
await new Promise((r) => rx.listen(0, '127.0.0.1', r));
const rxUrl = `http://127.0.0.1:${rx.address().port}/slow`;

const freePort = () =>
  new Promise((resolve) => {
    const s = netServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
const procs = [];
async function start() {
  const port = await freePort();
  const child = spawn(process.execPath, [server], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      KASSA_API_KEY: KEY,
      DATABASE_URL: `${PG}/${dbName}`,
      KASSA_RATE_LIMIT: 'off',
      KASSA_WEBHOOK_URL: rxUrl,
      KASSA_WEBHOOK_SECRET: 'whsec_dupes_configured_secret_0123456789',
      KASSA_WEBHOOK_TIMEOUT_MS: '1000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  procs.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return url;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
}
const headers = { 'x-api-key': KEY, 'x-api-version': '2.4', 'content-type': 'application/json' };
const post = async (url, path, body, h = headers) => {
  const res = await fetch(url + path, { method: 'POST', headers: h, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path} ${res.status} ${JSON.stringify(json)}`);
  return json;
};

let exit = 0;
try {
  const a = await start();
  const made = await post(a, '/client-session', { orderId: 'order-1', currencyCode: 'EUR', amount: 1500 });
  const access = JSON.parse(Buffer.from(made.clientToken.split('.')[1], 'base64url').toString()).accessToken;
  const sdk = { 'primer-client-token': access, 'x-api-version': '2.4', 'content-type': 'application/json' };
  const year = String(new Date().getUTCFullYear() + 4);
  for (let i = 0; i < PAYMENTS; i++) {
    const tok = await post(
      a,
      '/payment-instruments',
      { paymentInstrument: { number: '4111111111111111', cvv: '123', expirationMonth: '12', expirationYear: year } },
      sdk,
    );
    await post(a, '/payments', { paymentMethodToken: tok.token, orderId: `order-${i}` });
  }
  const b = await start();
  const expected = 2 * PAYMENTS;
  const until = Date.now() + 120_000;
  for (;;) {
    const res = await fetch(`${b}/kassa/webhook-deliveries?status=DELIVERED&limit=100`, { headers });
    const { data = [] } = await res.json();
    if (data.length >= expected || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  // Room for a late repeat: longer than the old build's claim (3 timeouts).
  await new Promise((r) => setTimeout(r, 5000));
  const times = new Map();
  for (const [id, at] of received) times.set(id, [...(times.get(id) ?? []), at]);
  const twice = [...times].filter(([, at]) => at.length > 1);
  const gaps = twice.map(([, at]) => Math.round(at[1] - at[0])).sort((x, y) => x - y);
  console.log(
    JSON.stringify({
      server,
      payments: PAYMENTS,
      deliveryIds: times.size,
      received: received.length,
      receivedMoreThanOnce: twice.length,
      maxReceipts: Math.max(0, ...twice.map(([, at]) => at.length)),
      gapMs: gaps.length ? { min: gaps[0], median: gaps[Math.floor(gaps.length / 2)], max: gaps.at(-1) } : null,
    }),
  );
} catch (e) {
  console.error(e);
  exit = 1;
} finally {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => (p.exitCode !== null ? null : new Promise((r) => p.once('exit', r)))));
  rx.closeAllConnections();
  rx.close();
  await admin.unsafe(`DROP DATABASE ${dbName} WITH (FORCE)`);
  await admin.end();
  process.exit(exit);
}
