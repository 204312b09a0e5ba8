// engines: sqlite
// docs/seed.schema.json is generated from the TypeBox schema the seed validates with (sandbox/seed/schema.ts):
// the committed file must be what it generates. KASSA_UPDATE_SEED_SCHEMA=1 writes it afresh.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { seedJsonSchema } from '../../src/sandbox/seed/schema.ts';
import { ROOT } from '../support/process.ts';

const PATH = join(ROOT, 'docs', 'seed.schema.json');

test('docs/seed.schema.json is the schema the seed validates with', () => {
  const generated = seedJsonSchema();
  if (process.env.KASSA_UPDATE_SEED_SCHEMA === '1') writeFileSync(PATH, generated);
  assert.equal(
    readFileSync(PATH, 'utf8'),
    generated,
    'run KASSA_UPDATE_SEED_SCHEMA=1 node --import tsx --test test/sandbox/seed-schema.test.ts',
  );
});
