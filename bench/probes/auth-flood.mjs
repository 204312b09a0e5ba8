// Issue #20's failed-authentication target, measured: Kassa from source on a fresh SQLite file; 200
// concurrent requests with wrong API keys from 127.0.0.1, and meanwhile one request with a valid key
// this process has never seen, from 127.0.0.2. Prints the valid key's wall time, the flood's answers and
// kassa_api_key_hashes_total. Usage: node bench/probes/auth-flood.mjs [kassa checkout, default .]
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const dir = resolve(process.argv[2] ?? '.');
const tmp = mkdtempSync(join(tmpdir(), 'kassa-auth-flood-'));
const port = 18000 + Math.floor(Math.random() * 1000);
const env = {
  ...process.env,
  DATABASE_URL: `sqlite:${join(tmp, 'kassa.db')}`,
  KASSA_API_KEY: 'kassa_probe_key_0123456789abcdefXYZ',
  PORT: String(port),
  LOG_LEVEL: 'warn',
};
const cli = (...args) => execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: dir, env });
cli('merchants', 'create', 'Probe', '--id', 'mer_default');
const fresh = JSON.parse(cli('keys', 'create', '--json').toString()).secret;
const server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'] });

function send(localAddress, key, path = '/client-session') {
  return new Promise((done, fail) => {
    const body = JSON.stringify({ orderId: 'o-1' });
    const headers = key
      ? { 'x-api-key': key, 'content-type': 'application/json', 'x-api-version': '2.4', 'content-length': Buffer.byteLength(body) }
      : {};
    const req = http.request(
      { host: '127.0.0.1', port, path, method: key ? 'POST' : 'GET', localAddress, agent: false, headers },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode));
      },
    );
    req.on('error', fail);
    req.end(key ? body : undefined);
  });
}
for (;;) {
  try {
    await send('127.0.0.3', null, '/health');
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 200));
  }
}
// Warm-up: a server's first requests compile the routes' schemas.
for (let i = 0; i < 3; i++) await send('127.0.0.3', env.KASSA_API_KEY);
const statuses = {};
const flood = Array.from({ length: 200 }, (_, i) =>
  send('127.0.0.1', `kassa_sk_wrong_${i}_0123456789abcdef`).then((s) => {
    statuses[s] = (statuses[s] ?? 0) + 1;
  }),
);
await new Promise((r) => setImmediate(r));
const started = performance.now();
const validStatus = await send('127.0.0.2', fresh);
const validMs = Math.round(performance.now() - started);
await Promise.all(flood);
const metrics = await new Promise((done) =>
  http.get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
    let text = '';
    res.on('data', (d) => (text += d));
    res.on('end', () => done(text));
  }),
);
const hashes = metrics.split('\n').find((l) => l.startsWith('kassa_api_key_hashes_total'));
console.log(JSON.stringify({ validStatus, validMs, flood: statuses, hashes: hashes ? Number(hashes.split(' ')[1]) : 'no metric' }));
server.kill('SIGTERM');
await new Promise((r) => server.on('exit', r));
rmSync(tmp, { recursive: true, force: true });
