// Runs every test file under test/ with node's test runner through tsx.
// Node 20's runner does not expand globs, so the files are listed here.
//
// PostgreSQL: unless TEST_DATABASE_URL names a server, a throwaway one is started for the run (see
// throwaway-postgres.mjs) and passed to the tests as TEST_DATABASE_URL; each test makes its own
// database on it. A full run then runs the HTTP suite (every *.test.ts under test/http/ and every
// *.http.test.ts) a second time with KASSA_TEST_ENGINE=postgres, so the in-process app sits on
// PostgreSQL instead of SQLite.
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startThrowawayPostgres } from './throwaway-postgres.mjs';

const only = process.argv.slice(2);
function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}
const files = (only.length > 0 ? only : collect('test')).sort();
const env = { ...process.env, NODE_ENV: 'test' };

let server;
if (!env.TEST_DATABASE_URL) {
  server = await startThrowawayPostgres();
  env.TEST_DATABASE_URL = server.url;
  process.stdout.write(`# throwaway PostgreSQL for this run on port ${server.port} (binaries: ${server.binaries})\n`);
}

const run = (list, extraEnv) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...list], {
    stdio: 'inherit',
    env: { ...env, ...extraEnv },
  }).status ?? 1;

let status = run(files, {});
// The HTTP suite: files under test/http/, and *.http.test.ts files anywhere.
const httpFiles = files.filter((f) => f.startsWith(`test${sep}http${sep}`) || f.endsWith('.http.test.ts'));
if (only.length === 0 && !env.KASSA_TEST_ENGINE && httpFiles.length > 0) {
  process.stdout.write(`\n# the HTTP suite again, on PostgreSQL (${httpFiles.length} files)\n`);
  status = Math.max(status, run(httpFiles, { KASSA_TEST_ENGINE: 'postgres' }));
}
await server?.destroy();
process.exit(status);
