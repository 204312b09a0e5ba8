// Issue #20's SQLite-lock target, measured: Kassa from source on a fresh SQLite file; another process
// holds the write lock for 5 s (HOLD_MS) while GET /health is sent every 10 ms and 5 writes are sent.
// Prints GET /health's p50, p99 and max, and how each write was answered.
// Usage: node bench/probes/sqlite-lock.mjs [kassa checkout, default .]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
const wt = resolve(process.argv[2] ?? '.');
const dir = mkdtempSync(join(tmpdir(), 'kassa-sqlite-lock-'));
const dbPath = join(dir, 'kassa.db');
const port = 18000 + Math.floor(Math.random() * 1000);
const key = 'kassa_measure_key_0123456789abcdef';
const server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
  cwd: wt,
  env: {
    ...process.env,
    DATABASE_URL: `sqlite:${dbPath}`,
    KASSA_API_KEY: key,
    KASSA_RATE_LIMIT: 'off',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    KASSA_LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const base = `http://127.0.0.1:${port}`;
for (;;) {
  try {
    if ((await fetch(`${base}/health`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 100));
}
const write = async (n) => {
  const t0 = performance.now();
  const res = await fetch(`${base}/client-session`, {
    method: 'POST',
    headers: { 'X-Api-Key': key, 'X-Api-Version': '2.4', 'Content-Type': 'application/json' },
    body: JSON.stringify({ orderId: `o-${n}`, currencyCode: 'EUR', amount: 100 }),
  });
  await res.text();
  return { n, status: res.status, retryAfter: res.headers.get('retry-after'), ms: Math.round(performance.now() - t0) };
};
// Warm-up.
for (let i = 0; i < 20; i++) {
  await write(-1);
  await (await fetch(`${base}/health`)).text();
}
const driver = createRequire(join(wt, 'package.json')).resolve('better-sqlite3');
const holdMs = Number(process.env.HOLD_MS ?? 5000);
const holder = spawn(process.execPath, [new URL('./hold-sqlite-lock.cjs', import.meta.url).pathname, dbPath, String(holdMs), driver], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise((locked) =>
  holder.stdout.on('data', (d) => {
    if (String(d).includes('locked')) locked();
  }),
);
const holderExit = new Promise((r) => holder.on('exit', r));
const lat = [];
const inflight = [];
const writes = [];
const timer = setInterval(() => {
  const t0 = performance.now();
  inflight.push(
    fetch(`${base}/health`)
      .then((r) => r.text())
      .then(() => lat.push(performance.now() - t0)),
  );
}, 10);
for (let i = 0; i < 5; i++) {
  writes.push(write(i));
  await new Promise((r) => setTimeout(r, 200));
}
await holderExit;
clearInterval(timer);
await Promise.all(inflight);
const w = await Promise.all(writes);
lat.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(1);
console.log(
  `GET /health while the lock was held ${holdMs} ms: n=${lat.length} p50=${q(0.5)} ms p99=${q(0.99)} ms max=${lat[lat.length - 1].toFixed(1)} ms`,
);
console.log('writes:', JSON.stringify(w));
const after = await write(100);
console.log('a write after release:', JSON.stringify(after));
server.kill('SIGTERM');
await new Promise((r) => server.on('exit', r));
rmSync(dir, { recursive: true, force: true });
