// `npm start`: the server as a program (`kassa serve` runs the same serve()). npm start runs the
// bundle of this file (dist/kassa/server.cjs, run by dist/kassa/main.js, see scripts/bundle.mjs),
// which starts on a quarter of the CPU of the separate modules (docs/performance.md, "Start-up").
import { serve } from './server.ts';

serve(process.env).catch((error: unknown) => {
  process.stderr.write(`kassa: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
