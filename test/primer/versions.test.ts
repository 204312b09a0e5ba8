// engines: sqlite
// API versions are compared as versions, by one helper (src/primer/versions.ts), never as strings.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { compareVersions, isBefore } from '../../src/primer/versions.ts';

test('isBefore compares major then minor as numbers', () => {
  const part = fc.integer({ min: 0, max: 120 });
  fc.assert(
    fc.property(part, part, part, part, (am, an, bm, bn) => {
      const expected = am < bm || (am === bm && an < bn);
      assert.equal(isBefore(`${am}.${an}`, `${bm}.${bn}`), expected);
      assert.equal(Math.sign(compareVersions(`${am}.${an}`, `${bm}.${bn}`)), Math.sign(am - bm || an - bn));
    }),
  );
  // As strings, '2.10' < '2.4'.
  assert.equal(isBefore('2.10', '2.4'), false);
  assert.equal(isBefore('2.4', '2.10'), true);
  assert.equal(isBefore('2.3', '2.3'), false);
});

test('no source file compares an API version as a string', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
  const stringCompare = /[vV]ersion\)?\s*(<|>|<=|>=)\s*['"]\d/;
  const offenders = files(join(import.meta.dirname, '../../src'))
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${f}:${i + 1}` }))
        .filter(({ line }) => stringCompare.test(line))
        .map(({ at }) => at),
    );
  assert.deepEqual(offenders, []);
});
