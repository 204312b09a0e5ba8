// Start Kassa (dist), make a pool, warm up with mix, then run one scenario while the caller traces.
import { freePort, serve } from './processes.ts';
import { makePool, measure } from './scenarios.ts';
import { writeFileSync } from 'node:fs';
const KEY = 'kassa_bench_key_0123456789abcdef';
const scenario = process.argv[2] ?? 'get';
const env: Record<string, string> = { KASSA_API_KEY: KEY, LOG_LEVEL: 'warn', KASSA_RATE_LIMIT: 'off', DATABASE_URL: `sqlite:/tmp/one-${Date.now()}/k.db` };
const s = await serve([...(process.env.PERF ? ['--perf-basic-prof'] : []), 'dist/src/server.js'], env, await freePort());
writeFileSync('/tmp/kassa.pid', String(s.child.pid));
const pool = await makePool(s.url, KEY, 1000);
await measure('mix', s.url, KEY, pool, { connections: 50, duration: 3 });
console.log('START'); 
await new Promise((r) => setTimeout(r, 1000));
const m = await measure(scenario as any, s.url, KEY, pool, { connections: 50, duration: 6 }, s.child.pid);
console.log(scenario, m.requestsPerSecond, 'p99', m.p99Ms, 'cpu', m.cpuMicrosPerRequest);
await s.stop();
