// `npm run bench`: the node:http baseline, the ceiling (bench/ceiling.ts) and Kassa, one after the
// other on this machine, under the same load, in several rounds (the machine is shared and noisy: each
// figure is the median of its rounds); prints a table with every target met or missed and writes
// bench/results/latest.json. The webhook-fairness scenario (bench/fairness.ts) runs once, after the
// rounds, on a Kassa of its own; testing-start (bench/testing-start.ts) times startKassa(). See
// docs/performance.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config.ts';
import { FAIRNESS, FAIRNESS_ENV, fairnessTargets, measureFairness, type FairnessResult } from './fairness.ts';
import { prefill } from './prefill.ts';
import { freePort, memoryOf, serve, type Served } from './processes.ts';
import { markdown, mb, SCALE_FACTOR, slope, table, targetsOf, webhookTargets, type Row, type Target } from './report.ts';
import { makePool, measure, prepare, SCENARIOS, type Measured, type Scenario } from './scenarios.ts';
import { startReceiver } from './receiver.ts';
import { measureTestingStart, READY_TARGET_MS, TESTING_START, type StartResult } from './testing-start.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'database-url': { type: 'string' },
    prefill: { type: 'string', default: '0' },
    soak: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '3' },
    // Each round starts every server afresh and runs every scenario; the table shows medians.
    rounds: { type: 'string', default: '3' },
    pool: { type: 'string', default: '1000' },
    scenarios: { type: 'string', default: [...SCENARIOS, FAIRNESS, TESTING_START].join(',') },
    // webhook-fairness: merchant A's events, evenly spread over this many seconds.
    'fairness-events': { type: 'string', default: '200' },
    'fairness-spread': { type: 'string', default: '10' },
    // testing-start: startKassa() this many times each way; the medians are reported.
    'testing-starts': { type: 'string', default: '5' },
    'cpu-prof': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    // Another build of Kassa to measure (e.g. an older commit's dist/kassa/main.js), for before/after.
    server: { type: 'string', default: 'dist/kassa/main.js' },
    out: { type: 'string', default: 'bench/results/latest.json' },
  },
});

const count = (name: string, value: string, min: number): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`bench: --${name} must be a whole number >= ${min} (got "${value}")\n`);
    process.exit(2);
  }
  return n;
};
const options = {
  duration: count('duration', args.duration!, 1),
  connections: count('connections', args.connections!, 1),
  prefill: count('prefill', args.prefill!, 0),
  soak: count('soak', args.soak!, 0),
  warmup: count('warmup', args.warmup!, 0),
  rounds: count('rounds', args.rounds!, 1),
  pool: count('pool', args.pool!, 1),
  scenarios: args.scenarios!.split(',').filter((s): s is Scenario => (SCENARIOS as readonly string[]).includes(s)),
  fairness: args.scenarios!.split(',').includes(FAIRNESS),
  fairnessEvents: count('fairness-events', args['fairness-events']!, 1),
  fairnessSpread: count('fairness-spread', args['fairness-spread']!, 1),
  testingStart: args.scenarios!.split(',').includes(TESTING_START),
  testingStarts: count('testing-starts', args['testing-starts']!, 1),
};
const API_KEY = 'kassa_bench_key_0123456789abcdef';
const log = (line: string) => process.stderr.write(`${line}\n`);

function databaseTarget(): { url: string; target: DatabaseTarget; cleanup: () => void } {
  if (args['database-url']) {
    const target = parseDatabaseUrl(args['database-url']);
    if (typeof target === 'string') {
      process.stderr.write(`bench: --database-url: ${target}\n`);
      process.exit(2);
    }
    return { url: args['database-url'], target, cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'kassa-bench-'));
  const path = join(dir, 'kassa.db');
  return { url: `sqlite:${path}`, target: { engine: 'sqlite', path }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const sqliteBytes = (target: DatabaseTarget) =>
  target.engine === 'sqlite'
    ? ['', '-wal'].reduce((sum, suffix) => sum + (existsSync(target.path + suffix) ? statSync(target.path + suffix).size : 0), 0)
    : undefined;

/**
 * With --cpu-prof, the node flags that write the server's CPU profile as `name`; `threads`: a folder
 * `name` of one profile per thread instead (tsx's loader runs in a thread of its own).
 */
const profileFlags = (name: string, threads = false) =>
  !args['cpu-prof']
    ? []
    : threads
      ? ['--cpu-prof', '--cpu-prof-dir', `bench/results/profiles/${name}`]
      : ['--cpu-prof', '--cpu-prof-dir', 'bench/results/profiles', '--cpu-prof-name', `${name}.cpuprofile`];

async function startKassa(databaseUrl: string, profile: string, extraEnv: Record<string, string> = {}): Promise<Served> {
  const flags = profileFlags(profile);
  const env = { KASSA_API_KEY: API_KEY, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', KASSA_RATE_LIMIT: 'off', ...extraEnv };
  return serve([...flags, args.server!], env, await freePort());
}

/** webhook-fairness on a Kassa of its own (a fresh SQLite file, or the --database-url database). */
async function fairness(): Promise<FairnessResult> {
  const cli = join(dirname(args.server!), 'cli.js');
  if (!existsSync(cli)) throw new Error(`${FAIRNESS} makes its merchants with the kassa command beside --server: no ${cli}`);
  const db = args['database-url'] ? { url: args['database-url'], cleanup: () => {} } : databaseTarget();
  const kassa = await startKassa(db.url, 'kassa-fairness', FAIRNESS_ENV);
  try {
    return await measureFairness({
      url: kassa.url,
      databaseUrl: db.url,
      cli,
      events: options.fairnessEvents,
      spreadSeconds: options.fairnessSpread,
      waitSeconds: 120,
      log,
    });
  } finally {
    await kassa.stop();
    db.cleanup();
  }
}

/** The pay-hooked scenario's webhook receiver. */
const receiver = await startReceiver();

/** Pool, warm-up (not recorded), then each scenario; peak RSS of the server afterwards. */
async function drive(label: string, served: Served, scenarios: readonly Scenario[]) {
  log(`${label}: creating a pool of ${options.pool} sessions`);
  const pool = await makePool(served.url, API_KEY, options.pool);
  if (options.warmup > 0) await measure('mix', served.url, API_KEY, pool, { connections: options.connections, duration: options.warmup });
  const results: Partial<Record<Scenario, Measured>> = {};
  for (const scenario of scenarios) {
    log(`${label}: ${scenario} for ${options.duration} s at ${options.connections} connections`);
    await prepare(scenario, served.url, API_KEY, receiver.url);
    results[scenario] = await measure(scenario, served.url, API_KEY, pool, options, served.child.pid);
  }
  return { results, pool, memory: memoryOf(served.child.pid!) };
}

async function soak(served: Served, pool: readonly string[]) {
  const samples: Array<[number, number]> = [];
  const started = Date.now();
  const timer = setInterval(() => {
    const m = memoryOf(served.child.pid!);
    if (m) samples.push([(Date.now() - started) / 1000, m.rss]);
  }, 1000);
  log(`kassa: soak, mix for ${options.soak} s`);
  const measured = await measure(
    'mix',
    served.url,
    API_KEY,
    pool,
    { connections: options.connections, duration: options.soak },
    served.child.pid,
  );
  clearInterval(timer);
  // Warm-up: the first fifth of the run, at least 10 s when the run is long enough.
  const warm = Math.min(Math.max(10, options.soak / 5), options.soak / 2);
  const steady = samples.filter(([t]) => t >= warm);
  const rss = steady.map(([, v]) => v);
  // The heap grows to its next collection and drops: a sawtooth. A leak shows as the second half's
  // low and high points sitting above the first half's.
  const half = (from: number, to: number) => {
    const part = rss.slice(from, to);
    return { min: mb(Math.min(...part)), max: mb(Math.max(...part)) };
  };
  const middle = Math.floor(rss.length / 2);
  return {
    seconds: options.soak,
    warmupSeconds: warm,
    measured,
    rssMb: { afterWarmup: mb(rss[0] ?? 0), end: mb(rss.at(-1) ?? 0), min: mb(Math.min(...rss)), max: mb(Math.max(...rss)) },
    slopeMbPerMinute: Math.round((slope(steady) / 1024 / 1024) * 60 * 100) / 100,
    halvesMb: { first: half(0, middle), second: half(middle, rss.length) },
    samples: samples.map(([t, v]) => [Math.round(t), mb(v)]),
  };
}

/** The median of each figure over rounds (errors: the most seen in a round). */
function medianOf(runs: Measured[]): Measured {
  const median = (pick: (m: Measured) => number | undefined) => {
    const values = runs
      .map(pick)
      .filter((v): v is number => v !== undefined)
      .sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)];
  };
  const cpu = median((m) => m.cpuMicrosPerRequest);
  const perPayment = median((m) => m.cpuMicrosPerPayment);
  return {
    requestsPerSecond: median((m) => m.requestsPerSecond)!,
    p50Ms: median((m) => m.p50Ms)!,
    p99Ms: median((m) => m.p99Ms)!,
    maxMs: Math.max(...runs.map((m) => m.maxMs)),
    errors: Math.max(...runs.map((m) => m.errors)),
    requests: median((m) => m.requests)!,
    bytesPerResponse: median((m) => m.bytesPerResponse)!,
    ...(cpu !== undefined ? { cpuMicrosPerRequest: cpu } : {}),
    ...(perPayment !== undefined ? { cpuMicrosPerPayment: perPayment } : {}),
  };
}

async function main(): Promise<void> {
  if (!args['no-build']) {
    log('building dist/ (npm run build)');
    const built = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('build failed');
  }
  const targets: Target[] = [];
  const runs = { baseline: {}, ceiling: {}, kassa: {} } as Record<'baseline' | 'ceiling' | 'kassa', Partial<Record<Scenario, Measured[]>>>;
  const keep = (who: keyof typeof runs, results: Partial<Record<Scenario, Measured>>) => {
    for (const [scenario, m] of Object.entries(results) as Array<[Scenario, Measured]>) {
      runs[who][scenario] ??= [];
      runs[who][scenario].push(m);
    }
  };

  const db = databaseTarget();
  let soakResult: Awaited<ReturnType<typeof soak>> | undefined;
  let freshPeak: ReturnType<typeof memoryOf>;
  try {
    for (let round = 1; round <= options.rounds && options.scenarios.length > 0; round++) {
      const label = (who: string) => (options.rounds > 1 ? `${who} (round ${round}/${options.rounds})` : who);
      const baseline = await serve(['--import', 'tsx', 'bench/baseline-server.ts'], {}, await freePort());
      keep('baseline', (await drive(label('baseline'), baseline, options.scenarios).finally(() => baseline.stop())).results);
      // The ceiling keeps its own SQLite file; against PostgreSQL there is none to compare with.
      if (db.target.engine === 'sqlite') {
        const ceiling = await serve(
          [...profileFlags(`ceiling-${round}`, true), '--import', 'tsx', 'bench/ceiling.ts'],
          { CEILING_API_KEY: API_KEY },
          await freePort(),
        );
        // The ceiling pays by card (pay); webhooks and redirect methods are compared with the baseline only.
        const comparable = options.scenarios.filter((s) => !s.startsWith('pay') || s === 'pay');
        keep('ceiling', (await drive(label('ceiling'), ceiling, comparable).finally(() => ceiling.stop())).results);
      }
      const kassaDb = db.target.engine === 'sqlite' && round < options.rounds ? databaseTarget() : db;
      const kassa = await startKassa(kassaDb.url, `kassa-${round}`);
      try {
        const fresh = await drive(label('kassa'), kassa, options.scenarios);
        keep('kassa', fresh.results);
        if (round === options.rounds) {
          soakResult = options.soak > 0 ? await soak(kassa, fresh.pool) : undefined;
          freshPeak = memoryOf(kassa.child.pid!);
        }
      } finally {
        await kassa.stop();
        if (kassaDb !== db) kassaDb.cleanup();
      }
    }

    const rows: Row[] = options.scenarios.map((scenario) => ({
      scenario,
      baseline: medianOf(runs.baseline[scenario]!),
      ...(runs.ceiling[scenario] ? { ceiling: medianOf(runs.ceiling[scenario]) } : {}),
      kassa: medianOf(runs.kassa[scenario]!),
    }));
    const fresh = { results: Object.fromEntries(rows.map((r) => [r.scenario, r.kassa])) as Partial<Record<Scenario, Measured>> };
    for (const row of rows) targets.push(...targetsOf(row));
    targets.push(...webhookTargets(rows));
    const fairnessResult = options.fairness ? await fairness() : undefined;
    if (fairnessResult) targets.push(...fairnessTargets(fairnessResult));
    const startResult: StartResult | undefined = options.testingStart ? await measureTestingStart(options.testingStarts, log) : undefined;
    if (startResult) {
      targets.push({
        what: `startKassa() ready in ${startResult.childMs} ms, median of ${startResult.starts} (target < ${READY_TARGET_MS} ms)`,
        met: startResult.childMs < READY_TARGET_MS,
      });
    }

    let scale:
      | (Record<string, unknown> & {
          sessions: number;
          versusFresh: Record<string, { throughputDrop: number; p99Growth: number; cpuGrowth: number }>;
        })
      | undefined;
    if (options.prefill > 0) {
      const before = sqliteBytes(db.target);
      log(`prefilling ${options.prefill} sessions`);
      const t0 = Date.now();
      let shown = 0;
      await prefill(db.target, options.prefill, (done) => {
        if (done - shown >= 100_000 || done === options.prefill) {
          shown = done;
          log(`  ${done} sessions`);
        }
      });
      const prefillSeconds = (Date.now() - t0) / 1000;
      const kassa = await startKassa(db.url, 'kassa-prefilled');
      const filled = await drive(
        `kassa (+${options.prefill})`,
        kassa,
        ['get', 'patch'].filter((s) => options.scenarios.includes(s as Scenario)) as Scenario[],
      );
      const filledPeak = memoryOf(kassa.child.pid!);
      await kassa.stop();
      const after = sqliteBytes(db.target);
      const compare: Record<string, { throughputDrop: number; p99Growth: number; cpuGrowth: number }> = {};
      for (const [scenario, m] of Object.entries(filled.results) as Array<[Scenario, Measured]>) {
        const empty = fresh.results[scenario]!;
        const throughput = empty.requestsPerSecond / m.requestsPerSecond;
        const p99 = m.p99Ms / Math.max(empty.p99Ms, 1);
        // CPU per request is the figure a busy shared machine disturbs least.
        const cpu = (m.cpuMicrosPerRequest ?? NaN) / (empty.cpuMicrosPerRequest ?? NaN);
        compare[scenario] = { throughputDrop: round2(throughput), p99Growth: round2(p99), cpuGrowth: round2(cpu) };
        targets.push({
          what: `${scenario} +${options.prefill}: throughput ÷${round2(throughput)} of the fresh database's (target <= ${SCALE_FACTOR})`,
          met: throughput <= SCALE_FACTOR,
        });
        targets.push({
          what: `${scenario} +${options.prefill}: p99 ×${round2(p99)} the fresh database's (target <= ${SCALE_FACTOR})`,
          met: p99 <= SCALE_FACTOR,
        });
      }
      scale = {
        sessions: options.prefill,
        prefillSeconds,
        bytesPerSession: before !== undefined && after !== undefined ? Math.round((after - before) / options.prefill) : undefined,
        databaseMb: after !== undefined ? mb(after) : undefined,
        peakRssMb: filledPeak ? mb(filledPeak.peakRss) : undefined,
        versusFresh: compare,
      };
    }

    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version };
    const report = {
      date: new Date().toISOString(),
      machine,
      options: { ...options, database: db.target.engine },
      rows: rows.map((r) => ({ ...r, ratioToBaseline: round2(r.kassa.requestsPerSecond / r.baseline.requestsPerSecond) })),
      kassaPeakRssMb: freshPeak ? mb(freshPeak.peakRss) : undefined,
      scale,
      soak: soakResult,
      fairness: fairnessResult,
      testingStart: startResult,
      targets,
    };
    mkdirSync(dirname(args.out!), { recursive: true });
    writeFileSync(args.out!, `${JSON.stringify(report, null, 2)}\n`);

    console.log(
      `\nKassa benchmark, ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.node}, ${options.connections} connections, ${options.duration} s per scenario, ${db.target.engine}\n`,
    );
    if (rows.length > 0) {
      console.log(table(rows));
      console.log(`\nKassa peak RSS: ${report.kassaPeakRssMb} MB`);
    }
    if (scale) {
      console.log(
        `Pre-filled ${scale.sessions} sessions in ${scale.prefillSeconds} s: ${scale.bytesPerSession ?? '?'} bytes/session, database ${scale.databaseMb ?? '?'} MB, peak RSS ${scale.peakRssMb} MB`,
      );
      for (const [scenario, c] of Object.entries(scale.versusFresh)) {
        console.log(
          `  ${scenario} vs the fresh database: throughput ÷${c.throughputDrop}, p99 ×${c.p99Growth}, CPU/request ×${c.cpuGrowth}`,
        );
      }
    }
    if (soakResult) {
      const r = soakResult.rssMb;
      const h = soakResult.halvesMb;
      console.log(
        `Soak (${soakResult.seconds} s mix, ${soakResult.measured.requestsPerSecond} req/s, ${soakResult.measured.errors} errors): RSS ${r.afterWarmup} MB after warm-up, ${r.end} MB at the end (min ${r.min}, max ${r.max}), trend ${soakResult.slopeMbPerMinute} MB/min`,
      );
      console.log(`  RSS after warm-up, first half ${h.first.min}-${h.first.max} MB, second half ${h.second.min}-${h.second.max} MB`);
    }
    if (fairnessResult) {
      const f = fairnessResult;
      const ms = (v: number | null) => (v === null ? 'not within the wait' : `${v} ms`);
      console.log(
        `Webhook fairness (merchant B: ${f.bEndpoints} endpoints that never answer, ${f.bEvents * f.bEndpoints} deliveries, ${f.bSendsHeld} sends held until the ${f.timeoutMs} ms timeout; merchant A: ${f.events} events over ${options.fairnessSpread} s): A's deliveries ${f.delivered} of ${f.events} arrived, p50 ${ms(f.p50Ms)}, p99 ${ms(f.p99Ms)}, max ${ms(f.maxMs)} after their events`,
      );
    }
    if (startResult) {
      const r = startResult;
      console.log(
        `startKassa() ready (median of ${r.starts}): ${r.childMs} ms as a child (shipped); in the test's process ${r.inProcessFirstMs} ms the first time, ${r.inProcessWarmMs} ms later ones`,
      );
    }
    console.log(
      `\nTargets:\n${markdown(
        ['target', ''],
        targets.map((t) => [t.what, t.met ? 'met' : 'MISSED']),
      )}`,
    );
    const missed = targets.filter((t) => !t.met).length;
    console.log(missed === 0 ? '\nAll targets met.' : `\n${missed} target(s) missed.`);
    console.log(`\nWritten to ${args.out}`);
  } finally {
    db.cleanup();
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
