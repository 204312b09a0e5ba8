// The programs Kassa ships, each bundled with what it imports into one CommonJS file (esbuild): the
// server (dist/kassa/server.cjs) and the `kassa` command (dist/kassa/kassa.cjs). Their entry points,
// dist/kassa/main.js (`npm start`) and dist/kassa/cli.js (`kassa`), run them through
// src/lib/code-cache.cjs, which keeps V8's compiled code between starts. Node then reads a few files
// instead of some eight hundred and compiles little: a process starts on a quarter of the CPU it took
// from the separate modules (docs/performance.md, "Start-up"). tsc still checks the types and
// compiles dist/src for the tests.
//
// Left outside the bundles, loaded from node_modules as usual: better-sqlite3 (a native addon).
// @fastify/swagger-ui is inside, told where its own files are (swagger-ui-plugin.mjs). The WAL
// checkpointer's thread is a file of its own, copied next to the bundles. The dashboard's browser code is bundled first and built
// into them as a string (src/dashboard/script.ts).
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { builtScriptDefine } from '../src/dashboard/bundle-script.mjs';
import { swaggerUiFromItsFolder } from './swagger-ui-plugin.mjs';

const OUT = 'dist/kassa';
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
await esbuild.build({
  entryPoints: { server: 'src/main.ts', kassa: 'src/cli/main.ts' },
  outdir: OUT,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  // Every line it runs on: the maintained LTS lines, and 20, on which the README's commands still work.
  target: ['node20', 'node22', 'node24', 'node26'],
  packages: 'bundle',
  external: ['better-sqlite3'],
  plugins: [swaggerUiFromItsFolder],
  // The sources are ES modules: import.meta.url is the bundle's own URL.
  define: { 'import.meta.url': '__kassaModuleUrl', ...builtScriptDefine(esbuild) },
  banner: { js: "'use strict';\nconst __kassaModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: true,
  logLevel: 'warning',
});
copyFileSync('src/storage/sqlite/checkpointer-thread.cjs', `${OUT}/checkpointer-thread.cjs`);
copyFileSync('src/lib/code-cache.cjs', `${OUT}/code-cache.cjs`);
const entry = (name, bundle, shebang = '') =>
  writeFileSync(
    `${OUT}/${name}`,
    `${shebang}// Written by scripts/bundle.mjs: runs ${bundle} with V8's code cache (src/lib/code-cache.cjs).\n` +
      "import { createRequire } from 'node:module';\n" +
      "import { fileURLToPath } from 'node:url';\n\n" +
      `createRequire(import.meta.url)('./code-cache.cjs').run(fileURLToPath(new URL('./${bundle}', import.meta.url)));\n`,
  );
entry('main.js', 'server.cjs');
entry('cli.js', 'kassa.cjs', '#!/usr/bin/env node\n');
chmodSync(`${OUT}/cli.js`, 0o755);
