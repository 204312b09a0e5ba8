// The programs Kassa ships, each bundled into one ES module with what it imports (esbuild): the server
// (`npm start`: dist/kassa/main.js) and the `kassa` command (dist/kassa/cli.js), sharing chunks.
// Node then reads a few files instead of some eight hundred, and a process starts on half the CPU
// (docs/performance.md, "Start-up"). tsc still checks the types and compiles dist/src for the tests.
//
// Left outside the bundle, loaded from node_modules as usual: better-sqlite3 (a native addon) and
// @fastify/swagger-ui (it serves its own files from its folder). The WAL checkpointer's thread is a
// file of its own, copied next to the chunk that starts it.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const OUT = 'dist/kassa';
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
await build({
  entryPoints: { main: 'src/main.ts', cli: 'src/cli/main.ts' },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'bundle',
  external: ['better-sqlite3', '@fastify/swagger-ui'],
  // Bundled CommonJS packages call require() for Node's own modules: give each chunk one.
  banner: {
    js: "import { createRequire as __kassaCreateRequire } from 'node:module'; const require = __kassaCreateRequire(import.meta.url);",
  },
  sourcemap: true,
  logLevel: 'warning',
});
copyFileSync('src/storage/sqlite/checkpointer-thread.cjs', `${OUT}/checkpointer-thread.cjs`);
