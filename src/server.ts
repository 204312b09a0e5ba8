// Process entry for `npm start`; `kassa serve` runs the same serve().
import { serve } from './serve.ts';

serve(process.env).catch((error: unknown) => {
  process.stderr.write(`kassa: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
