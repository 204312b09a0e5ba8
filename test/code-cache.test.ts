// engines: sqlite
// The bundled programs start through src/lib/code-cache.cjs (docs/performance.md, "Start-up"): a
// program runs as the CommonJS module it is, the first start saves V8's compiled code when the process
// exits, later starts use it, and a changed program is compiled afresh and saved again, even when its
// length is unchanged (the one thing V8 itself checks of the source).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './support/process.ts';

const LOADER = join(ROOT, 'src', 'lib', 'code-cache.cjs');

test('a program runs as a CommonJS module; its code cache is written at the first exit, used next time, renewed when the program changes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-code-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const program = join(dir, 'program.cjs');
  const caches = () => readdirSync(dir).filter((name) => name.endsWith('.v8-cache'));
  const source = (greeting: string) => `
    const { basename } = require('node:path');
    function greet(name) { return '${greeting}, ' + name; }
    module.exports = { greet };
    process.stdout.write(JSON.stringify({ greeting: greet(basename(__filename)), dir: __dirname, exported: typeof module.exports.greet }) + '\\n');
  `;
  // One process: the outcome of the cache, then what the program printed.
  const start = () => {
    const [line, outcome] = execFileSync(
      process.execPath,
      ['-e', `process.stdout.write(require(${JSON.stringify(LOADER)}).run(${JSON.stringify(program)}) + '\\n')`],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    return { outcome, printed: JSON.parse(line!) as Record<string, string> };
  };

  writeFileSync(program, source('Hello'));
  const first = start();
  assert.equal(first.outcome, 'absent');
  assert.deepEqual(first.printed, { greeting: 'Hello, program.cjs', dir, exported: 'function' });
  assert.equal(caches().length, 1, 'written when the process exited');
  const cache = join(dir, caches()[0]!);
  const written = statSync(cache).mtimeMs;

  const second = start();
  assert.equal(second.outcome, 'used');
  assert.deepEqual(second.printed, first.printed);
  assert.equal(statSync(cache).mtimeMs, written, 'a cache that was used is not written again');

  // Same length, other code: V8 alone would take the old cache (and run the old greeting).
  writeFileSync(program, source('Howdy'));
  const changed = start();
  assert.equal(changed.outcome, 'absent', "not the other source's cache");
  assert.equal(changed.printed.greeting, 'Howdy, program.cjs');
  assert.equal(start().outcome, 'used', 'the changed program was saved when it exited');
  assert.equal(caches().length, 2);
});
