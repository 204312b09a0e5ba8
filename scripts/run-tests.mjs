// `npm test`: lints (Biome), compiles the sources and the tests (tsc, into dist/) and bundles the programs
// (dist/kassa, what `npm start` and `kassa` run), then runs every test file with
// node's test runner. Files run in a few lanes at once, each lane one process that imports its files
// in turn: a test process costs a second of CPU to start, and there would be seventy-five of them.
// The servers the tests start run compiled too.
//
// Engines: the suites listed in ON_BOTH_ENGINES build their app with test/support/app.ts, which puts
// it on SQLite, or on PostgreSQL when KASSA_TEST_ENGINE=postgres; a full run runs them a second time
// that way, alongside the first run. (The store contract suites run on both engines by themselves.)
//
// PostgreSQL: unless TEST_DATABASE_URL names a server, a throwaway one is started for the run (see
// throwaway-postgres.mjs) and passed to the tests as TEST_DATABASE_URL; each test makes its own
// database on it.
//
// Usage: npm test [-- test/file.test.ts ...]   (named files run once each, on SQLite, or on PostgreSQL
// with KASSA_TEST_ENGINE=postgres). A single file also runs from source: node --import tsx --test <file>.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { startThrowawayPostgres } from './throwaway-postgres.mjs';

/** Suites whose every test runs on SQLite and again on PostgreSQL: folders (ending in /) or files. */
const ON_BOTH_ENGINES = [
  'test/http/',
  'test/checkout/',
  'test/dashboard/dashboard.test.ts',
  'test/sessions/concurrent-writes.test.ts',
  'test/sessions/create.http.test.ts',
  'test/sessions/patch.http.test.ts',
  'test/sessions/primer-openapi.http.test.ts',
  'test/payments/payments.http.test.ts',
  'test/payments/primer-letter.http.test.ts',
  'test/payments/primer-openapi.http.test.ts',
  'test/payments/sdk.http.test.ts',
  'test/payments/three-ds-page.http.test.ts',
  'test/payments/vault.http.test.ts',
  'test/reliability/api-keys.test.ts',
  'test/reliability/etag.test.ts',
  'test/reliability/expiry.test.ts',
  'test/reliability/fuzz.test.ts',
  'test/reliability/hostile-input.test.ts',
  'test/reliability/idempotency.test.ts',
  'test/reliability/rate-limit.test.ts',
  'test/reliability/secrets-in-logs.test.ts',
  'test/webhooks/sending.http.test.ts',
  'test/webhooks/webhooks.http.test.ts',
  'test/webhooks/endpoints-log.http.test.ts',
];

/** Lanes per engine. Most tests wait on disks, sockets and child processes, so lanes overlap well. */
const LANES = { sqlite: 3, postgres: 2 };

/**
 * Seconds a file takes in a full run (its tests' durations in a run's log, rounded), where it is far
 * from the usual second: lanes are balanced with them, one table per engine. The files that start
 * processes weigh most: they wait on them.
 */
const WEIGHTS = {
  sqlite: {
    'test/e2e/webhooks.e2e.test.ts': 40,
    'test/e2e/dashboard.browser.test.ts': 26,
    'test/e2e/postgres-outage.test.ts': 25,
    'test/e2e/payments.e2e.test.ts': 17,
    'test/e2e/several-processes.test.ts': 17,
    'test/reliability/shutdown.test.ts': 24,
    'test/cli/cli.test.ts': 15,
    'test/e2e/restart.e2e.test.ts': 14,
    'test/e2e/start.e2e.test.ts': 6,
    'test/reliability/crash-idempotency.test.ts': 11,
    'test/reliability/durability.test.ts': 10,
    'test/http/errors.http.test.ts': 6,
    'test/reliability/fuzz.test.ts': 5,
    'test/dashboard/dashboard.test.ts': 5,
    'test/payments/primer-openapi.http.test.ts': 5,
    'test/webhooks/webhooks.http.test.ts': 4,
    'test/checkout/checkout-config.test.ts': 4,
    'test/checkout/actions.test.ts': 3,
    'test/payments/payments.http.test.ts': 3,
    'test/code-cache.test.ts': 2.5,
    'test/http/framework-answers.test.ts': 2.5,
    'test/payments/sdk.http.test.ts': 2.5,
    'test/checkout/sdk-guards.test.ts': 2.5,
    'test/cli/webhooks-cli.test.ts': 2,
    'test/storage/webhooks.contract.test.ts': 2,
    'test/storage/migrate.test.ts': 2,
  },
  postgres: {
    'test/reliability/fuzz.test.ts': 17,
    'test/payments/payments.http.test.ts': 16,
    'test/webhooks/webhooks.http.test.ts': 11,
    'test/payments/primer-openapi.http.test.ts': 10,
    'test/dashboard/dashboard.test.ts': 8,
    'test/http/errors.http.test.ts': 6,
    'test/reliability/api-keys.test.ts': 5,
    'test/checkout/actions.test.ts': 4,
    'test/payments/sdk.http.test.ts': 3.5,
    'test/checkout/checkout-config.test.ts': 3.5,
    'test/sessions/primer-openapi.http.test.ts': 3,
    'test/checkout/flow.e2e.test.ts': 3,
    'test/sessions/patch.http.test.ts': 2.5,
    'test/sessions/create.http.test.ts': 2,
    'test/http/framework-answers.test.ts': 2,
    'test/reliability/rate-limit.test.ts': 2,
    'test/http/observability.test.ts': 2,
    'test/http/openapi.test.ts': 2,
  },
};

/** The whole run is timed, preflight included. */
const started = Date.now();

// The throwaway PostgreSQL starts while the preflight runs.
const postgresStarting = process.env.TEST_DATABASE_URL ? undefined : startThrowawayPostgres();
// Its failure is reported where it is awaited, below, not as an unhandled rejection meanwhile.
postgresStarting?.catch(() => {});

/** One preflight step (a node script); resolves with its exit code. */
const step = (args) =>
  new Promise((resolve) => spawn(process.execPath, args, { stdio: 'inherit' }).on('exit', (code) => resolve(code ?? 1)));
async function failed(code, message) {
  if (message) console.error(message);
  await (await postgresStarting)?.destroy();
  process.exit(code);
}

// Preflight, all at once (two cores): lint and format (Biome), the compiler, and the programs the
// tests start, bundled from the sources as they ship (dist/kassa, see bundle.mjs). Any failing fails the run.
const [linted, compiled, bundled] = await Promise.all([
  step(['node_modules/@biomejs/biome/bin/biome', 'check', '.']),
  step(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit', 'false']),
  step(['scripts/bundle.mjs']),
]);
if (linted !== 0) await failed(linted, '# npm test: lint failed (npm run format fixes what it can)');
if (compiled !== 0) await failed(compiled, '# npm test: the compiler found errors');
if (bundled !== 0) await failed(bundled, '# npm test: the bundle failed');

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}
const normal = (path) => path.split(sep).join('/');
const onBoth = (file) => ON_BOTH_ENGINES.some((entry) => (entry.endsWith('/') ? normal(file).startsWith(entry) : normal(file) === entry));
/** Where tsc put a test file. */
const compiledPath = (file) => join('dist', file.replace(/\.ts$/, '.js'));

/** `files` shared out over `count` lane files (the heaviest first, each to the lightest lane). */
function lanes(files, count, name) {
  const dir = join('dist', 'test', '.lanes');
  mkdirSync(dir, { recursive: true });
  const weight = (file) => WEIGHTS[name]?.[normal(file)] ?? 1;
  const buckets = Array.from({ length: Math.min(count, files.length) }, () => ({ files: [], weight: 0 }));
  for (const file of [...files].sort((a, b) => weight(b) - weight(a))) {
    const lightest = buckets.reduce((a, b) => (b.weight < a.weight ? b : a));
    lightest.files.push(file);
    lightest.weight += weight(file);
  }
  return buckets.map((bucket, i) => {
    const path = join(dir, `${name}-${i + 1}.js`);
    const imports = bucket.files.sort().map((file) => `import './${normal(relative(dir, compiledPath(file)))}';`);
    writeFileSync(path, `// ${name} lane ${i + 1}: written by scripts/run-tests.mjs\n${imports.join('\n')}\n`);
    return path;
  });
}

const env = { ...process.env, NODE_ENV: 'test' };
const server = await postgresStarting;
if (server) {
  env.TEST_DATABASE_URL = server.url;
  process.stdout.write(`# throwaway PostgreSQL for this run on port ${server.port} (binaries: ${server.binaries})\n`);
}

/** Runs test files in one runner; its output streams when `live`, else comes back to print later. */
function run(list, extraEnv, concurrency, live) {
  return new Promise((resolve) => {
    const args = ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...list];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', live ? 'inherit' : 'pipe', live ? 'inherit' : 'pipe'],
      env: { ...env, ...extraEnv },
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => resolve({ status: code ?? 1, output }));
  });
}

const named = process.argv.slice(2);
let status;
if (named.length > 0) {
  status = (await run(named.map(compiledPath), {}, 1, true)).status;
} else {
  rmSync(join('dist', 'test', '.lanes'), { recursive: true, force: true });
  const files = collect('test').sort();
  const both = env.KASSA_TEST_ENGINE ? [] : files.filter(onBoth);
  const [first, second] = await Promise.all([
    run(lanes(files, LANES.sqlite, env.KASSA_TEST_ENGINE ?? 'sqlite'), {}, LANES.sqlite, true),
    both.length > 0 ? run(lanes(both, LANES.postgres, 'postgres'), { KASSA_TEST_ENGINE: 'postgres' }, LANES.postgres, false) : undefined,
  ]);
  status = first.status;
  if (second) {
    process.stdout.write(`\n# the suites that run on both engines, again on PostgreSQL (${both.length} files)\n${second.output}`);
    status = Math.max(status, second.status);
  }
}
await server?.destroy();
process.stdout.write(`\n# npm test: ${status === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s\n`);
process.exit(status);
