// `npm start`: the server as a program (`kassa serve` runs the same serve()), then, while it waits for
// its first requests, the schemas they need compiled. npm start runs the bundle of this file
// (dist/kassa/server.cjs, run by dist/kassa/main.js, see scripts/bundle.mjs), which starts on a
// quarter of the CPU of the separate modules (docs/performance.md, "Start-up").
import { compileFirstSchemas, serve } from './server.ts';

serve(process.env).then(compileFirstSchemas, (error: unknown) => {
  process.stderr.write(`kassa: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
