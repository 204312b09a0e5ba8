// A/B: alternate servers (dist dirs, or 'ceiling') over scenarios, several rounds; medians.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, serve } from './processes.ts';
import { makePool, measure } from './scenarios.ts';
const KEY = 'kassa_bench_key_0123456789abcdef';
const [scenarios, ...servers] = process.argv.slice(2);
const rounds = Number(process.env.ROUNDS ?? 3);
const results: Record<string, Array<{ rps: number; cpu: number; p99: number; err: number }>> = {};
for (let r = 0; r < rounds; r++) {
  for (const server of servers) {
    const env: Record<string, string> = {
      KASSA_API_KEY: KEY,
      CEILING_API_KEY: KEY,
      LOG_LEVEL: 'warn',
      KASSA_RATE_LIMIT: 'off',
      DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'kassa-ab-')), 'k.db')}`,
    };
    const args = server === 'ceiling' ? ['--import', 'tsx', 'bench/ceiling.ts'] : [server];
    const s = await serve(args, env, await freePort());
    const pool = await makePool(s.url, KEY, 1000);
    await measure('mix', s.url, KEY, pool, { connections: 50, duration: 2 });
    for (const sc of scenarios!.split(',')) {
      const m = await measure(sc as never, s.url, KEY, pool, { connections: 50, duration: 5 }, s.child.pid);
      results[`${server} ${sc}`] ??= [];
      results[`${server} ${sc}`]!.push({ rps: m.requestsPerSecond, cpu: m.cpuMicrosPerRequest ?? 0, p99: m.p99Ms, err: m.errors });
    }
    await s.stop();
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [k, rs] of Object.entries(results)) {
  console.log(
    k.padEnd(46),
    'req/s',
    String(median(rs.map((x) => x.rps))).padStart(6),
    'cpu',
    String(median(rs.map((x) => x.cpu))).padStart(4),
    'p99',
    median(rs.map((x) => x.p99)),
    'err',
    Math.max(...rs.map((x) => x.err)),
    JSON.stringify(rs.map((x) => x.rps)),
  );
}
