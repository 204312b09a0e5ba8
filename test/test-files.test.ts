// engines: sqlite
// Each test file declares its engines on its first line (scripts/test-files.mjs), and npm test refuses
// to start while one does not, so no file is silently left out of an engine.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import type * as TestFiles from '../scripts/test-files.mjs';
import { ROOT } from './support/process.ts';

/** Plain JS that npm test runs before anything is compiled: loaded from its source. */
const { declaredEngines, declaredTestFiles, runsOn } = (await import(
  pathToFileURL(join(ROOT, 'scripts', 'test-files.mjs')).href
)) as typeof TestFiles;

test('a declaration names engines the runner runs the file on, or in-file for a file that opens them itself', () => {
  assert.deepEqual(declaredEngines('// engines: sqlite, postgres\nimport x;'), ['sqlite', 'postgres']);
  assert.deepEqual(declaredEngines('// engines: sqlite'), ['sqlite']);
  assert.deepEqual(declaredEngines('// engines: postgres (only PostgreSQL has this)\n'), ['postgres']);
  assert.equal(declaredEngines('// engines: in-file\n'), 'in-file');
  assert.equal(runsOn(['sqlite', 'postgres'], 'postgres'), true);
  assert.equal(runsOn(['sqlite'], 'postgres'), false);
  assert.equal(runsOn('in-file', 'sqlite'), true);
  assert.equal(runsOn('in-file', 'postgres'), false);
});

test('a missing declaration, one not on the first line, an unknown engine and a repeated one are refused', () => {
  assert.throws(() => declaredEngines("import { test } from 'node:test';\n"), /no '\/\/ engines: …' on its first line/);
  assert.throws(() => declaredEngines('// What this tests.\n// engines: sqlite\n'), /no '\/\/ engines: …' on its first line/);
  assert.throws(() => declaredEngines('// engines: sqlite, mysql\n'), /unknown engine 'mysql'/);
  assert.throws(() => declaredEngines('// engines: in-file, postgres\n'), /unknown engine 'in-file'/);
  assert.throws(() => declaredEngines('// engines: \n'), /unknown engine/);
  assert.throws(() => declaredEngines('// engines: sqlite, sqlite\n'), /an engine named twice/);
});

test("every test file of Kassa's declares its engines", () => {
  const files = declaredTestFiles(join(ROOT, 'test'));
  assert.ok(files.length > 70, `${files.length} files`);
  assert.ok(files.some((f) => f.file.endsWith('test/test-files.test.ts')));
});

test('npm test names every test file without a valid declaration and runs nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-test-files-'));
  try {
    mkdirSync(join(dir, 'test', 'a'), { recursive: true });
    writeFileSync(join(dir, 'test', 'a', 'good.test.ts'), '// engines: sqlite\n');
    writeFileSync(join(dir, 'test', 'a', 'none.test.ts'), "import { test } from 'node:test';\n");
    writeFileSync(join(dir, 'test', 'odd.test.ts'), '// engines: oracle\n');
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'run-tests.mjs')], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env },
    });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.equal(
      run.stderr,
      "# npm test: test files without a valid engine declaration:\n  test/a/none.test.ts: no '// engines: …' on its first line (sqlite, postgres, or in-file)\n  test/odd.test.ts: unknown engine 'oracle' (sqlite, postgres, or in-file)\n",
    );
    assert.equal(run.stdout, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
