// Bundles the dashboard's browser code (browser/, checked by browser/tsconfig.json) into the one module
// /dashboard/app.js serves. scripts/bundle.mjs builds it into the programs it ships; run from source or
// dist/src, script.ts builds it here the first time it is asked for.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** browser/main.ts: beside this file in src/, in the source tree when this file runs from dist/src/. */
function entryPoint() {
  const beside = fileURLToPath(new URL('./browser/main.ts', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../../src/dashboard/browser/main.ts', import.meta.url));
}

/**
 * The script's text: one ES module, not minified (an operator may read it), for the browsers of the
 * last few years.
 * @param {typeof import('esbuild')} esbuild
 * @returns {string}
 */
export function buildDashboardScript(esbuild) {
  const result = esbuild.buildSync({
    entryPoints: [entryPoint()],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/**
 * What scripts/bundle.mjs defines in the programs it ships: the script built, as script.ts reads it.
 * @param {typeof import('esbuild')} esbuild
 */
export function builtScriptDefine(esbuild) {
  return { KASSA_DASHBOARD_JS: JSON.stringify(buildDashboardScript(esbuild)) };
}
