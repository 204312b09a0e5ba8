// engines: sqlite
// The configuration tells the truth: a KASSA_CHECKOUT_CONFIG entry Kassa cannot pay is refused at
// start, named by its JSON path with what Kassa can pay; payable is what the method registry gives a flow.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  DEFAULT_CHECKOUT_FILE,
  IMPLEMENTATION_TYPES,
  defaultCheckoutConfig,
  readCheckoutConfigFile,
  unpayableMethods,
  type PaymentMethodConfig,
} from '../../src/checkout/configuration.ts';
import { canPay, payableTypes } from '../../src/payments/methods/registry.ts';
import { nodeArgs, ROOT } from '../support/process.ts';

type Entry = Pick<PaymentMethodConfig, 'type' | 'implementationType'>;
const entry = (type: string, implementationType: Entry['implementationType']): PaymentMethodConfig => ({
  id: `pmc_${type.toLowerCase()}`,
  type,
  name: type,
  implementationType,
  icon: 'card',
});
/** A type no slice of issue #23 registers. */
const UNPAYABLE = entry('ACME_WALLET', 'NATIVE_SDK');
const payable = () =>
  payableTypes(
    DEFAULT_CHECKOUT_FILE.paymentMethods.map((m) => m.type),
    IMPLEMENTATION_TYPES,
  );

function withFile<T>(content: unknown, run: (path: string, dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-payable-'));
  try {
    const path = join(dir, 'checkout.json');
    writeFileSync(path, JSON.stringify(content));
    return run(path, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('payable payment methods', () => {
  test('an entry Kassa cannot pay is named by its JSON path, with the types Kassa can pay', () => {
    const problems = unpayableMethods({ paymentMethods: [entry('PAYMENT_CARD', 'NATIVE_SDK'), UNPAYABLE] });
    assert.equal(problems.length, 1);
    const [problem] = problems as [string];
    assert.match(
      problem,
      /^\$\.paymentMethods\[1\]\.type: Kassa cannot pay ACME_WALLET \(implementationType NATIVE_SDK\); remove the entry\. Kassa can pay: /,
    );
    for (const type of ['PAYMENT_CARD', 'PRIMER_TEST_PAYPAL', 'PRIMER_TEST_KLARNA', 'PRIMER_TEST_SOFORT'])
      assert.ok(problem.includes(type), type);
    assert.match(problem, /any type whose implementationType is WEB_REDIRECT$/);
    assert.deepEqual(unpayableMethods({ paymentMethods: [] }), []);
  });

  test('every type the list names is accepted, and every type of an implementationType that pays any', () => {
    const { types, anyTypeWith } = payable();
    assert.ok(types.includes('PAYMENT_CARD') && anyTypeWith.includes('WEB_REDIRECT'));
    for (const type of types) {
      assert.ok(
        IMPLEMENTATION_TYPES.some(
          (implementationType) => unpayableMethods({ paymentMethods: [entry(type, implementationType)] }).length === 0,
        ),
        type,
      );
    }
    // Anything else is refused unless its implementationType pays any type: the list is the whole truth.
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,20}$/), fc.constantFrom(...IMPLEMENTATION_TYPES), (type, implementationType) => {
        const expected = types.includes(type) ? canPay({ type, implementationType }) : anyTypeWith.includes(implementationType);
        assert.equal(unpayableMethods({ paymentMethods: [entry(type, implementationType)] }).length === 0, expected);
      }),
      { numRuns: 200 },
    );
  });

  test('a file of every payable type is read; one unpayable entry refuses the file', () => {
    const { types } = payable();
    const methods = types.map((type) => {
      const implementationType = IMPLEMENTATION_TYPES.find((i) => canPay({ type, implementationType: i }))!;
      return { type, name: type, implementationType };
    });
    const read = withFile(
      { paymentMethods: [...methods, { type: 'ADYEN_SOFORT', name: 'Sofort', implementationType: 'WEB_REDIRECT' }] },
      (path) => readCheckoutConfigFile(path, 'SANDBOX'),
    );
    assert.deepEqual(
      read.paymentMethods.map((m) => m.type),
      [...types, 'ADYEN_SOFORT'],
    );
    assert.throws(
      () =>
        withFile({ paymentMethods: [...methods, { type: 'ACME_WALLET', name: 'Acme', implementationType: 'NATIVE_SDK' }] }, (path) =>
          readCheckoutConfigFile(path, 'SANDBOX'),
        ),
      new RegExp(`KASSA_CHECKOUT_CONFIG[\\s\\S]*\\$\\.paymentMethods\\[${methods.length}\\]\\.type: Kassa cannot pay ACME_WALLET`),
    );
  });

  test('a file naming a type Kassa cannot pay stops start-up with exit code 2 and the list', () => {
    withFile(
      {
        paymentMethods: [
          { type: 'PAYMENT_CARD', name: 'Card', implementationType: 'NATIVE_SDK' },
          { type: 'ACME_WALLET', name: 'Acme', implementationType: 'NATIVE_SDK' },
        ],
      },
      (path, dir) => {
        const run = spawnSync(process.execPath, nodeArgs('src/main.ts'), {
          cwd: ROOT,
          env: { PATH: process.env.PATH, KASSA_CHECKOUT_CONFIG: path, DATABASE_URL: `sqlite:${join(dir, 'k.db')}`, PORT: '0' },
          encoding: 'utf8',
          timeout: 60_000,
        });
        assert.equal(run.status, 2, run.stderr);
        assert.match(run.stderr, /Invalid checkout configuration in KASSA_CHECKOUT_CONFIG/);
        assert.match(
          run.stderr,
          /\$\.paymentMethods\[1\]\.type: Kassa cannot pay ACME_WALLET .*Kassa can pay: PAYMENT_CARD, .*WEB_REDIRECT/,
        );
      },
    );
  });

  test('every type the built-in configuration offers is payable', () => {
    const unpayable = defaultCheckoutConfig('SANDBOX').paymentMethods.filter((m) => !canPay(m));
    assert.deepEqual(
      unpayable.map((m) => m.type),
      [],
      `the built-in configuration offers what Kassa cannot pay: ${unpayable.map((m) => m.type).join(', ')}`,
    );
  });
});
