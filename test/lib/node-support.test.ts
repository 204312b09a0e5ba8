// engines: sqlite
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endOfLifeWarning } from '../../src/lib/node-support.ts';

const at = (date: string) => Date.parse(`${date}T00:00:00Z`);

test('a Node line past its end of life is named in one line, with the lines Kassa supports', () => {
  assert.equal(
    endOfLifeWarning('v20.20.2', at('2026-04-30')),
    'Node.js v20.20.2 reached end of life on 2026-04-30: it gets no security fixes. Run Kassa on a maintained LTS line (22, 24, 26).',
  );
  assert.match(endOfLifeWarning('v25.1.0', at('2026-12-07'))!, /^Node\.js v25\.1\.0 reached end of life on 2026-06-01/);
});

test('a maintained line, a line before its end of life, and a line newer than the table get no warning', () => {
  assert.equal(endOfLifeWarning('v20.20.2', at('2026-04-29')), undefined);
  assert.equal(endOfLifeWarning('v24.22.3', at('2026-12-07')), undefined);
  assert.equal(endOfLifeWarning('v22.23.0', at('2027-04-29')), undefined);
  assert.match(endOfLifeWarning('v22.23.0', at('2027-04-30'))!, /end of life on 2027-04-30/);
  assert.equal(endOfLifeWarning('v28.0.0', at('2031-01-01')), undefined);
  assert.equal(endOfLifeWarning('not a version', at('2031-01-01')), undefined);
});
