// `npm test`: lints (Biome), compiles the sources and the tests (tsc, into dist/) and bundles the programs
// (dist/kassa, what `npm start` and `kassa` run), then runs every test file with
// node's test runner. Files run in a few lanes at once, each lane one process that imports its files
// in turn: a test process costs a second of CPU to start, and there would be eighty of them.
// The servers the tests start run compiled too.
//
// Engines: each test file says on its first line which engines it runs on (scripts/test-files.mjs):
// `// engines: sqlite, postgres` files build their app with test/support/app.ts, which puts it on
// SQLite, or on PostgreSQL when KASSA_TEST_ENGINE=postgres, and a full run runs them a second time that
// way, alongside the first run; `in-file` files (the store contracts, most e2e tests) open each engine
// themselves. A file without a valid declaration fails the run before anything starts.
//
// Lanes are balanced by what each file took in a full run, recorded in test/.durations.json by a run
// that passes with KASSA_RECORD_DURATIONS=1 (commit it when it has moved; a plain run leaves the tree
// as it was); a file not in it weighs a second.
//
// PostgreSQL: unless TEST_DATABASE_URL names a server, a throwaway one is started for the run (see
// throwaway-postgres.mjs) and passed to the tests as TEST_DATABASE_URL; each test takes a schema of its
// own on it (test/support/postgres.ts).
//
// Usage: npm test [-- test/file.test.ts ...]   (named files run once each, on SQLite, or on PostgreSQL
// with KASSA_TEST_ENGINE=postgres). A single file also runs from source: node --import tsx --test <file>.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { declaredTestFiles, runsOn, secondsPerFile, shareOut } from './test-files.mjs';
import { startThrowawayPostgres } from './throwaway-postgres.mjs';

/** Lanes per engine. Most tests wait on disks, sockets and child processes, so lanes overlap well. */
const LANES = { sqlite: 3, postgres: 2 };

/** Seconds each file took in the last full run that passed, per engine: lanes are balanced with them. */
const DURATIONS = 'test/.durations.json';

/** The whole run is timed, preflight included. */
const started = Date.now();

// Every file declares its engines, or nothing runs: a file left out of both engines would pass unseen.
let declared;
try {
  declared = declaredTestFiles('test');
} catch (error) {
  console.error(`# npm test: ${error.message}`);
  process.exit(1);
}

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

// Preflight, all at once (two cores): lint and format (Biome), the compiler (on the dashboard's browser
// code too, under its own tsconfig), and the programs the tests start, bundled from the sources as they
// ship (dist/kassa, see bundle.mjs). Any failing fails the run.
const [linted, compiled, browserChecked, bundled] = await Promise.all([
  step(['node_modules/@biomejs/biome/bin/biome', 'check', '.']),
  step(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit', 'false']),
  step(['node_modules/typescript/bin/tsc', '-p', 'src/dashboard/browser/tsconfig.json']),
  step(['scripts/bundle.mjs']),
]);
if (linted !== 0) await failed(linted, '# npm test: lint failed (npm run format fixes what it can)');
if (compiled !== 0 || browserChecked !== 0) await failed(compiled || browserChecked, '# npm test: the compiler found errors');
if (bundled !== 0) await failed(bundled, '# npm test: the bundle failed');

const normal = (path) => path.split(sep).join('/');
/** Where tsc put a test file. */
const compiledPath = (file) => join('dist', file.replace(/\.ts$/, '.js'));

const recorded = existsSync(DURATIONS) ? JSON.parse(readFileSync(DURATIONS, 'utf8')) : {};

/** `files` shared out over `count` lane files, weighed by what the record says they took. */
function lanes(files, count, name) {
  const dir = join('dist', 'test', '.lanes');
  mkdirSync(dir, { recursive: true });
  const buckets = shareOut(files, count, (file) => recorded[name]?.[file] ?? 1);
  return buckets.map((bucket, i) => {
    const path = join(dir, `${name}-${i + 1}.js`);
    const imports = bucket.sort().map((file) => `import './${normal(relative(dir, compiledPath(file)))}';`);
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

/**
 * Runs test files in one runner; its output streams when `live`, else comes back to print later. With
 * `durations`, each top-level test's file and duration also go to that file, one JSON line each.
 */
function run(list, extraEnv, concurrency, live, durations) {
  return new Promise((resolve) => {
    const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout'];
    if (durations) reporters.push('--test-reporter=./scripts/durations-reporter.mjs', `--test-reporter-destination=${durations}`);
    const args = ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, ...reporters, ...list];
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
  const dir = join('dist', 'test', '.lanes');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // With KASSA_TEST_ENGINE set, every file runs once, on that engine, and nothing is recorded.
  const chosen = env.KASSA_TEST_ENGINE;
  const files = declared.filter((f) => chosen || runsOn(f.engines, 'sqlite')).map((f) => f.file);
  const both = chosen ? [] : declared.filter((f) => runsOn(f.engines, 'postgres')).map((f) => f.file);
  const record = (engine) => (chosen ? undefined : join(dir, `${engine}.durations`));
  const [first, second] = await Promise.all([
    run(lanes(files, LANES.sqlite, chosen ?? 'sqlite'), {}, LANES.sqlite, true, record('sqlite')),
    both.length > 0
      ? run(lanes(both, LANES.postgres, 'postgres'), { KASSA_TEST_ENGINE: 'postgres' }, LANES.postgres, false, record('postgres'))
      : undefined,
  ]);
  status = first.status;
  if (second) {
    process.stdout.write(`\n# the suites that run on both engines, again on PostgreSQL (${both.length} files)\n${second.output}`);
    status = Math.max(status, second.status);
  }
  if (status === 0 && !chosen && env.KASSA_RECORD_DURATIONS === '1') {
    const weighed = (engine) => secondsPerFile(readFileSync(record(engine), 'utf8'));
    const durations = { sqlite: weighed('sqlite'), postgres: second ? weighed('postgres') : {} };
    writeFileSync(DURATIONS, `${JSON.stringify(durations, null, 2)}\n`);
    process.stdout.write(`# durations recorded in ${DURATIONS}\n`);
  }
}
await server?.destroy();
process.stdout.write(`\n# npm test: ${status === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s\n`);
process.exit(status);
