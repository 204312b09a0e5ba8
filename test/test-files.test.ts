// engines: sqlite
// Each test file declares its engines on its first line (scripts/test-files.mjs), and npm test refuses
// to start while one does not, so no file is silently left out of an engine; lanes are weighed from
// the durations a full run records.
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
const { declaredEngines, declaredTestFiles, runsOn, secondsPerFile, shareOut } = (await import(
  pathToFileURL(join(ROOT, 'scripts', 'test-files.mjs')).href
)) as typeof TestFiles;
const reporter = (await import(pathToFileURL(join(ROOT, 'scripts', 'durations-reporter.mjs')).href)).default as (
  source: AsyncIterable<unknown>,
) => AsyncIterable<string>;

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

/** A node:test event as the runner reports it (only what the durations reporter reads). */
const event = (type: string, file: string, nesting: number, ms: number) => ({
  type,
  data: { file, nesting, details: { duration_ms: ms } },
});

test('the durations reporter names each top-level test by its file; a suite a helper declares weighs for the file of the tests in it', async () => {
  async function* events() {
    yield event('test:pass', '/r/dist/test/a.test.js', 1, 40);
    yield event('test:pass', '/r/dist/test/a.test.js', 0, 50);
    yield event('test:diagnostic', '/r/dist/test/a.test.js', 0, 0);
    yield event('test:fail', '/r/dist/test/a.test.js', 0, 5);
    // forEachEngine's suite is declared in test/support/engines.ts, its tests in the contract file.
    yield event('test:pass', '/r/dist/test/s.contract.test.js', 2, 10);
    yield event('test:pass', '/r/dist/test/s.contract.test.js', 1, 30);
    yield event('test:pass', '/r/dist/test/s.contract.test.js', 1, 20);
    yield event('test:pass', '/r/dist/test/support/engines.js', 0, 60);
  }
  const lines: string[] = [];
  for await (const line of reporter(events())) lines.push(line);
  assert.deepEqual(
    lines.map((l) => JSON.parse(l)),
    [
      { file: '/r/dist/test/a.test.js', ms: 50 },
      { file: '/r/dist/test/a.test.js', ms: 5 },
      { file: '/r/dist/test/s.contract.test.js', ms: 60 },
    ],
  );
  assert.deepEqual(secondsPerFile(lines.join(''), '/r'), { 'test/a.test.ts': 0.5, 'test/s.contract.test.ts': 0.5 });
  assert.deepEqual(
    secondsPerFile('{"file":"/r/dist/test/b.test.js","ms":2260}\n{"file":"file:///r/dist/test/b.test.js","ms":1000}\n', '/r'),
    {
      'test/b.test.ts': 3.5,
    },
  );
});

test('lanes are shared out heaviest first, each file to the lightest lane', () => {
  const weights: Record<string, number> = { a: 9, b: 5, c: 4, d: 1, e: 1 };
  assert.deepEqual(
    shareOut(['e', 'd', 'c', 'b', 'a'], 2, (f) => weights[f]!),
    [
      ['a', 'e'],
      ['b', 'c', 'd'],
    ],
  );
  assert.deepEqual(
    shareOut(['a'], 3, () => 1),
    [['a']],
  );
});
