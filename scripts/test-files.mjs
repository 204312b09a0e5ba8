// The test files and what each declares on its first line (plain JS: scripts/run-tests.mjs reads them
// before anything is compiled). `// engines: sqlite, postgres` runs a file once per engine (its app
// from test/support/app.ts on KASSA_TEST_ENGINE); `// engines: sqlite` runs it once; `// engines: in-file`
// runs it once for a file that opens the engines it tests itself (the store contracts, the e2e tests).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const ENGINES = ['sqlite', 'postgres'];
const DECLARATION = /^\/\/ engines: (.*)$/;

/** What a file's text declares: the engines the runner runs it on, or `in-file`; throws naming what is wrong. */
export function declaredEngines(text) {
  const match = DECLARATION.exec(text.split('\n', 1)[0]);
  if (!match) throw new Error("no '// engines: …' on its first line (sqlite, postgres, or in-file)");
  // Words after the declaration, in parentheses, say why and are not read.
  const words = match[1]
    .replace(/\s*\(.*$/, '')
    .split(',')
    .map((word) => word.trim());
  if (words.length === 1 && words[0] === 'in-file') return 'in-file';
  const unknown = words.filter((word) => !ENGINES.includes(word));
  if (unknown.length > 0 || words.length === 0) throw new Error(`unknown engine '${unknown.join(', ')}' (sqlite, postgres, or in-file)`);
  if (new Set(words).size !== words.length) throw new Error('an engine named twice');
  return words;
}

/** Every `*.test.ts` under `dir`, with forward slashes, sorted. */
export function collectTestFiles(dir) {
  const found = readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collectTestFiles(path);
    return name.endsWith('.test.ts') ? [path.split(sep).join('/')] : [];
  });
  return found.sort();
}

/** Each test file under `dir` with its declaration; throws listing every file whose declaration is missing or wrong. */
export function declaredTestFiles(dir) {
  const problems = [];
  const files = collectTestFiles(dir).flatMap((file) => {
    try {
      return [{ file, engines: declaredEngines(readFileSync(file, 'utf8')) }];
    } catch (error) {
      problems.push(`${file}: ${error.message}`);
      return [];
    }
  });
  if (problems.length > 0) throw new Error(`test files without a valid engine declaration:\n  ${problems.join('\n  ')}`);
  return files;
}

/** The engines a runner runs a declared file on (`in-file` runs once, on the default engine). */
export const runsOn = (declared, engine) => (declared === 'in-file' ? engine === 'sqlite' : declared.includes(engine));

/** `files` shared out over `count` lanes by `weight`: the heaviest first, each to the lightest lane. */
export function shareOut(files, count, weight) {
  const lanes = Array.from({ length: Math.min(count, files.length) }, () => ({ files: [], weight: 0 }));
  for (const file of [...files].sort((a, b) => weight(b) - weight(a))) {
    const lightest = lanes.reduce((a, b) => (b.weight < a.weight ? b : a));
    lightest.files.push(file);
    lightest.weight += weight(file);
  }
  return lanes.map((lane) => lane.files);
}

/**
 * Seconds per test file from scripts/durations-reporter.mjs's lines, in half seconds (so the record
 * moves little between runs), at least half a second, named as sources relative to `cwd`.
 */
export function secondsPerFile(lines, cwd = process.cwd()) {
  const seconds = {};
  for (const line of lines.split('\n').filter(Boolean)) {
    const { file, ms } = JSON.parse(line);
    // Tests run compiled (dist/test/….js); the record names the sources.
    const source = relative(cwd, file.startsWith('file:') ? new URL(file).pathname : file)
      .split(sep)
      .join('/')
      .replace(/^dist\//, '')
      .replace(/\.js$/, '.ts');
    seconds[source] = (seconds[source] ?? 0) + ms / 1000;
  }
  const entries = Object.entries(seconds).map(([file, s]) => [file, Math.max(0.5, Math.round(s * 2) / 2)]);
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}
