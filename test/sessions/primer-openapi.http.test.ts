// engines: sqlite, postgres
// Every 200 of the Client Session API validates against Primer's published v2.4 OpenAPI schemas,
// apart from the two places Kassa follows Primer's observed responses over its schema (docs/decisions.md, "Wire format"):
// `warnings` is an array, and `clientTokenExpirationDate` has no zone designator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { EMAIL_FORMAT } from '../../src/lib/ajv.ts';
import { FULL_REQUEST, createSession, getSession, patchSession, testApp } from '../support/app.ts';
import { ROOT } from '../support/process.ts';

const SPEC = join(ROOT, '..', 'shared', 'reference', 'primer-openapi-v2.4.yml');
const skip = existsSync(SPEC) ? false : `Primer's OpenAPI document not found at ${SPEC} (the shared/ folder beside the repo); skipping`;

function validators() {
  const doc = parse(readFileSync(SPEC, 'utf8')) as { components: { schemas: Record<string, any> } };
  const schemas = doc.components.schemas;
  // The two documented deviations (docs/decisions.md, "Wire format").
  schemas.ClientSessionWithTokenAPIResponse.properties.warnings = {
    type: 'array',
    items: { $ref: '#/components/schemas/ClientSessionWarningsAPIResponse' },
  };
  schemas.ClientSessionWithTokenAPIResponse.properties.clientTokenExpirationDate = {
    type: 'string',
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}$',
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => Ajv)(ajv);
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  // Primer's `email` allows internationalized addresses; ajv-formats' email is ASCII-only.
  ajv.addFormat('email', EMAIL_FORMAT);
  ajv.addSchema({ $id: 'primer', components: doc.components });
  return {
    withToken: ajv.compile({ $ref: 'primer#/components/schemas/ClientSessionWithTokenAPIResponse' }),
    session: ajv.compile({ $ref: 'primer#/components/schemas/ClientSessionAPIResponse' }),
  };
}

test("create, retrieve and update responses validate against Primer's response schemas", { skip }, async (t) => {
  const { withToken, session } = validators();
  const app = await testApp();
  t.after(() => app.close());
  for (const body of [FULL_REQUEST, {}, { orderId: 'o', amount: 5, unknownNested: undefined, customer: { emailAddress: 'ä@bücher.de' } }]) {
    const { response: created } = await createSession(app, body);
    assert.ok(withToken(created), JSON.stringify(withToken.errors));
    const read = (await getSession(app, created.clientToken)).json();
    assert.ok(session(read), JSON.stringify(session.errors));
    const patched = await patchSession(app, { clientToken: created.clientToken, customer: { firstName: 'Ann' }, metadata: { a: 1 } });
    assert.equal(patched.statusCode, 200);
    assert.ok(session(patched.json()), JSON.stringify(session.errors));
  }
});

test('a create response with warnings validates too (warnings as an array)', { skip }, async (t) => {
  const { withToken } = validators();
  const app = await testApp();
  t.after(() => app.close());
  const { response: created } = await createSession(app, { customer: { nickname: 'x' } });
  assert.ok(Array.isArray(created.warnings) && created.warnings.length > 0);
  assert.ok(withToken(created), JSON.stringify(withToken.errors));
});
