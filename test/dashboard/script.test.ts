// engines: sqlite
// The dashboard's script is real code: src/dashboard/browser/ (type-checked by its own tsconfig.json,
// linted by Biome), bundled by esbuild into the one module /dashboard/app.js serves.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as esbuild from 'esbuild';
import { buildDashboardScript, builtScriptDefine } from '../../src/dashboard/bundle-script.mjs';
import { testApp, type TestApp } from '../support/app.ts';
import { ROOT } from '../support/process.ts';

let t: TestApp;
before(async () => {
  t = await testApp();
});
after(() => t.close());

test('/dashboard/app.js is browser/ bundled: every module that has code, in one module that imports nothing', async () => {
  const served = await t.app.inject({ method: 'GET', url: '/dashboard/app.js' });
  assert.equal(served.statusCode, 200);
  assert.equal(served.body, buildDashboardScript(esbuild));
  // answers.ts holds only types: it leaves nothing in the bundle.
  const modules = readdirSync(join(ROOT, 'src', 'dashboard', 'browser')).filter((name) => name.endsWith('.ts') && name !== 'answers.ts');
  assert.ok(modules.length >= 8, modules.join());
  for (const name of modules) assert.match(served.body, new RegExp(`^// src/dashboard/browser/${name}$`, 'm'), name);
  assert.doesNotMatch(served.body, /^\s*(import|export)\b/m);
  assert.match(served.body, /\nstart\(\);\n$/, 'the page starts once every part is defined');
});

test('the programs bundle.mjs ships carry the script built: serving it needs no esbuild', async () => {
  // script.ts bundled as scripts/bundle.mjs bundles it, run where requiring esbuild fails.
  const bundled = await esbuild.build({
    entryPoints: [join(ROOT, 'src', 'dashboard', 'script.ts')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    write: false,
    define: { 'import.meta.url': '__url', ...builtScriptDefine(esbuild) },
    banner: { js: `const __url = ${JSON.stringify(`file://${join(ROOT, 'dist', 'kassa', 'server.cjs')}`)};` },
    logLevel: 'silent',
  });
  const required: string[] = [];
  const realRequire = createRequire(import.meta.url);
  const guardedRequire = (name: string): unknown => {
    required.push(name);
    if (name === 'esbuild') throw new Error('esbuild is a dev dependency');
    // script.ts requires through createRequire: that require is this one too.
    if (name === 'node:module') return { createRequire: () => guardedRequire };
    return realRequire(name);
  };
  const module = { exports: {} as { dashboardScript(): string } };
  new Function('module', 'exports', 'require', bundled.outputFiles[0]!.text)(module, module.exports, guardedRequire);
  assert.equal(module.exports.dashboardScript(), buildDashboardScript(esbuild));
  assert.ok(!required.includes('esbuild'), required.join());
});
