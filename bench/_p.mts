// Profile one server (dist or ceiling) under one scenario: --cpu-prof with a fine interval.
import { freePort, serve } from './processes.ts';
import { makePool, measure } from './scenarios.ts';
import { rmSync } from 'node:fs';
const KEY = 'kassa_bench_key_0123456789abcdef';
const [scenario, server, out] = process.argv.slice(2);
rmSync(out!, { recursive: true, force: true });
const prof = ['--cpu-prof', '--cpu-prof-interval', '200', '--cpu-prof-dir', out!];
const env: Record<string, string> = { KASSA_API_KEY: KEY, CEILING_API_KEY: KEY, LOG_LEVEL: 'warn', KASSA_RATE_LIMIT: 'off', DATABASE_URL: `sqlite:/tmp/p-${Date.now()}/k.db` };
const s = await serve(server === 'ceiling' ? [...prof, '--import', 'tsx', 'bench/ceiling.ts'] : [...prof, server!], env, await freePort());
const pool = await makePool(s.url, KEY, 1000);
await measure('mix', s.url, KEY, pool, { connections: 50, duration: 2 });
const m = await measure(scenario as never, s.url, KEY, pool, { connections: 50, duration: 5 }, s.child.pid);
console.log(server, scenario, m.requestsPerSecond, 'cpu', m.cpuMicrosPerRequest);
await s.stop();
