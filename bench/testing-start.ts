// The testing-start scenario (docs/testing.md, "How it starts"): how long `startKassa()` takes to be
// ready, against the other way it could have been built, the server in the test's own process.
//   - child: startKassa() as shipped (kassa/testing): the built server, dist/kassa/main.js with its code
//     cache, spawned on a free port with a fresh SQLite folder; ready once it listens.
//   - in-process: the same server code bundled like dist/kassa/server.cjs (esbuild, one file) and
//     started with serve() in a fresh Node process, as a test process would on its first start;
//     "warm" is a later start in that process, its modules already loaded.
// Each figure is the median of `starts` starts; the bundle's own start (Node itself) is left out of
// in-process, since a test process has already paid it.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { builtScriptDefine } from '../src/dashboard/bundle-script.mjs';
import { swaggerUiFromItsFolder } from '../scripts/swagger-ui-plugin.mjs';
import { startKassa } from '../src/testing/index.ts';

export const TESTING_START = 'testing-start';
/** docs/testing.md's target: a suite has its Kassa within a second. */
export const READY_TARGET_MS = 1_000;

export interface StartResult {
  starts: number;
  childMs: number;
  inProcessFirstMs: number;
  inProcessWarmMs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** What a fresh process runs for the in-process figures: serve() `starts` times, each on its own folder. */
const IN_PROCESS_ENTRY = `
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from './src/server.ts';
void (async () => {
  const times = [];
  const dirs = [];
  for (let i = 0; i < Number(process.env.STARTS); i++) {
    const began = i === 0 ? globalThis.__kassaBooted : performance.now();
    const dir = mkdtempSync(join(tmpdir(), 'kassa-bench-start-'));
    dirs.push(dir);
    await serve({ DATABASE_URL: 'sqlite:' + join(dir, 'kassa.db'), KASSA_API_KEY: 'kassa_bench_key_0123456789abcdef', PORT: '0', LOG_LEVEL: 'warn' });
    times.push(performance.now() - began);
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  process.stdout.write('\\nTIMES ' + JSON.stringify(times) + '\\n');
  process.exit(0);
})();
`;

/** One in-process run: the first start (the bundle loaded, then serve()) and the later ones. */
function inProcessRun(bundle: string, starts: number): number[] {
  // The preload marks when Node is up, before the bundle is read.
  const out = execFileSync(process.execPath, ['--import', 'data:text/javascript,globalThis.__kassaBooted=performance.now()', bundle], {
    env: { PATH: process.env.PATH ?? '', STARTS: String(starts) },
    encoding: 'utf8',
  });
  return JSON.parse(/TIMES (.*)/.exec(out)![1]!) as number[];
}

export async function measureTestingStart(starts: number, log: (line: string) => void): Promise<StartResult> {
  const child: number[] = [];
  for (let i = 0; i < starts; i++) {
    const began = performance.now();
    const kassa = await startKassa();
    child.push(performance.now() - began);
    await kassa.close();
  }
  log(`${TESTING_START}: child ${child.map(Math.round).join(', ')} ms`);

  // Beside the shipped bundles, so the checkpointer's thread file resolves as it does for them.
  const bundle = join('dist', 'kassa', `bench-in-process-${process.pid}.cjs`);
  try {
    await esbuild.build({
      stdin: { contents: IN_PROCESS_ENTRY, resolveDir: process.cwd(), sourcefile: 'in-process.ts', loader: 'ts' },
      outfile: bundle,
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      external: ['better-sqlite3'],
      plugins: [swaggerUiFromItsFolder],
      define: { 'import.meta.url': '__kassaModuleUrl', ...builtScriptDefine(esbuild) },
      banner: { js: "'use strict';\nconst __kassaModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
      logLevel: 'warning',
    });
    const first: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < starts; i++) {
      const [one, ...later] = inProcessRun(bundle, 3);
      first.push(one!);
      warm.push(...later);
    }
    log(`${TESTING_START}: in-process first ${first.map(Math.round).join(', ')} ms, warm ${warm.map(Math.round).join(', ')} ms`);
    return {
      starts,
      childMs: Math.round(median(child)),
      inProcessFirstMs: Math.round(median(first)),
      inProcessWarmMs: Math.round(median(warm)),
    };
  } finally {
    rmSync(bundle, { force: true });
  }
}
