// /dashboard/app.js: the browser code in browser/ (type-checked by its own tsconfig.json, linted by
// Biome) bundled into one module. The programs scripts/bundle.mjs ships carry it built, as
// KASSA_DASHBOARD_JS; run from source or dist/src (the tests), it is built from the files once, when
// first asked for, with esbuild (a dev dependency there).
import { createRequire } from 'node:module';
import { buildDashboardScript } from './bundle-script.mjs';

declare const KASSA_DASHBOARD_JS: string | undefined;

let built: string | undefined;

export function dashboardScript(): string {
  if (typeof KASSA_DASHBOARD_JS === 'string') return KASSA_DASHBOARD_JS;
  built ??= buildDashboardScript(createRequire(import.meta.url)('esbuild'));
  return built;
}
