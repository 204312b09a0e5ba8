// engines: sqlite, postgres
// The checkout configuration file (KASSA_CHECKOUT_CONFIG): format, defaults, bad entries named at
// start-up; the payment-method warnings it drives on POST /client-session.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig, ConfigError } from '../../src/config.ts';
import {
  CheckoutConfigError,
  DEFAULT_CHECKOUT_FILE,
  defaultCheckoutConfig,
  parseCheckoutConfig,
  readCheckoutConfigFile,
} from '../../src/checkout/configuration.ts';
import { PAYMENT_METHOD_REQUIREMENTS } from '../../src/sessions/warnings.ts';
import { createSession, testApp } from '../support/app.ts';
import { nodeArgs, ROOT } from '../support/process.ts';
import { sdkHeaders } from './support.ts';

const problemsOf = (value: unknown): string[] => {
  try {
    parseCheckoutConfig(value, 'SANDBOX');
  } catch (error) {
    assert.ok(error instanceof CheckoutConfigError);
    return error.problems;
  }
  assert.fail('expected the configuration to be refused');
};

describe('checkout configuration file', () => {
  test('the built-in default offers cards, PayPal, Google Pay, Apple Pay, Klarna and iDEAL', () => {
    const config = parseCheckoutConfig(DEFAULT_CHECKOUT_FILE, 'STAGING');
    // What a start without a file uses (unchecked there, for speed) is the file as checked here.
    assert.deepEqual(defaultCheckoutConfig('STAGING'), config);
    assert.equal(config.env, 'STAGING');
    assert.deepEqual(
      config.paymentMethods.map((m) => m.type),
      ['PAYMENT_CARD', 'PAYPAL', 'GOOGLE_PAY', 'APPLE_PAY', 'KLARNA', 'ADYEN_IDEAL'],
    );
    assert.deepEqual(
      config.paymentMethods.map((m) => m.icon),
      ['card', 'paypal', 'google-pay', 'apple-pay', 'klarna', 'ideal'],
    );
  });

  test("the README's example file is valid", () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('### Checkout configuration file'));
    const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(json);
    const config = parseCheckoutConfig(JSON.parse(json), 'SANDBOX');
    assert.deepEqual(
      config.paymentMethods.map((m) => m.id),
      ['pmc_payment_card', 'pmc_paypal', 'pmc_ideal'],
    );
    assert.equal(config.checkoutModules.length, 3);
  });

  test('every bad entry is named by its JSON path', () => {
    const schemaProblems = problemsOf({
      env: 'LOCAL',
      paymentMethods: [
        { type: 'PAYPAL', name: 'PayPal', implementationType: 'NATIVE' },
        { type: 'paypal', name: '', implementationType: 'NATIVE_SDK', colour: 'red' },
      ],
    });
    assert.deepEqual(
      [...schemaProblems].sort(),
      [
        '$.env: Value is not a valid enumeration member; permitted: "LOCAL_DOCKER", "DEV", "SANDBOX", "STAGING", "PRODUCTION"',
        '$.paymentMethods[0].implementationType: Value is not a valid enumeration member; permitted: "NATIVE_SDK", "WEB_REDIRECT", "IPAY88_SDK", "FORM_WITH_REDIRECT", "BACKEND_DRIVEN"',
        '$.paymentMethods[1].colour: Unknown field: extra fields are not permitted here',
        '$.paymentMethods[1].name: Ensure this value has at least 1 characters',
        '$.paymentMethods[1].type: Value must match ^[A-Z][A-Z0-9_]{0,63}$',
      ].sort(),
    );
    assert.deepEqual(
      problemsOf({
        paymentMethods: [
          { type: 'PAYPAL', name: 'PayPal', implementationType: 'NATIVE_SDK' },
          { type: 'PAYPAL', name: 'PayPal again', implementationType: 'NATIVE_SDK' },
        ],
        checkoutModules: [
          { type: 'SHIPPING', options: { shippingMethods: [{ id: 'a', name: 'A', amount: -1 }] } },
          { type: 'BILLING_ADDRESS', options: { postalCode: 'yes' } },
        ],
      }),
      [
        '$.paymentMethods[1].type: PAYPAL is listed twice',
        '$.paymentMethods[1].id: pmc_paypal is used twice',
        '$.checkoutModules[0].options.shippingMethods[0].amount: Ensure this value is greater than or equal to 0',
        '$.checkoutModules[1].options.postalCode: Value must be a valid boolean',
      ],
    );
    assert.deepEqual(
      problemsOf({
        paymentMethods: [],
        checkoutModules: [
          {
            type: 'SHIPPING',
            options: {
              shippingMethods: [
                { id: 'a', name: 'A', amount: 1 },
                { id: 'a', name: 'B', amount: 2 },
              ],
            },
          },
        ],
      }),
      ['$.checkoutModules[0].options.shippingMethods[1].id: a is listed twice'],
    );
    assert.deepEqual(problemsOf({}), ['$.paymentMethods: Field required']);
  });

  test('a file that cannot be read or parsed is named with the variable and path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-checkout-'));
    try {
      const path = join(dir, 'checkout.json');
      assert.throws(
        () => readCheckoutConfigFile(path, 'SANDBOX'),
        /KASSA_CHECKOUT_CONFIG \(.*checkout\.json\)[\s\S]*cannot read the file: ENOENT/,
      );
      writeFileSync(path, '{"paymentMethods": [');
      assert.throws(() => readCheckoutConfigFile(path, 'SANDBOX'), /not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a bad file stops start-up with exit code 2 and a message naming the bad entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-checkout-'));
    try {
      const path = join(dir, 'checkout.json');
      writeFileSync(
        path,
        JSON.stringify({ paymentMethods: [{ type: 'KLARNA', name: 'Klarna', implementationType: 'NATIVE_SDK', icon: 'kitten' }] }),
      );
      const run = spawnSync(process.execPath, nodeArgs('src/main.ts'), {
        cwd: ROOT,
        env: { PATH: process.env.PATH, KASSA_CHECKOUT_CONFIG: path, DATABASE_URL: `sqlite:${join(dir, 'k.db')}`, PORT: '0' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /Invalid checkout configuration in KASSA_CHECKOUT_CONFIG/);
      assert.match(run.stderr, /\$\.paymentMethods\[0\]\.icon: Value is not a valid enumeration member/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('KASSA_CORS_ORIGINS and KASSA_CHECKOUT_CONFIG are read by loadConfig; bad origins are named', () => {
    const config = loadConfig({
      KASSA_CHECKOUT_CONFIG: '/etc/kassa/checkout.json',
      KASSA_CORS_ORIGINS: 'https://a.example,http://localhost:3000',
    });
    assert.equal(config.checkoutConfigPath, '/etc/kassa/checkout.json');
    assert.deepEqual(config.corsOrigins, ['https://a.example', 'http://localhost:3000']);
    assert.equal(loadConfig({}).corsOrigins, '*');
    assert.equal(loadConfig({}).checkoutConfigPath, undefined);
    assert.throws(
      () => loadConfig({ KASSA_CORS_ORIGINS: 'https://a.example/, ftp://b.example' }),
      (error: unknown) =>
        error instanceof ConfigError && /KASSA_CORS_ORIGINS: .*"https:\/\/a\.example\/", "ftp:\/\/b\.example"/.test(error.message),
    );
  });

  test('a custom file: methods, modules, env and account id reach the SDK configuration', async () => {
    const checkout = parseCheckoutConfig(
      {
        env: 'PRODUCTION',
        primerAccountId: 'acc_shop',
        paymentMethods: [
          { type: 'PAYPAL', name: 'PayPal', implementationType: 'NATIVE_SDK', options: { clientId: 'pp-123' } },
          {
            id: 'my-card',
            type: 'PAYMENT_CARD',
            name: 'Card',
            implementationType: 'NATIVE_SDK',
            displayMetadata: { button: { iconUrl: { colored: 'data:image/png;base64,AAAA' } } },
          },
        ],
        checkoutModules: [{ type: 'SHIPPING', options: { shippingMethods: [{ id: 'pickup', name: 'Pick-up', amount: 0 }] } }],
      },
      'SANDBOX',
    );
    const t = await testApp({ checkout });
    try {
      const s = await createSession(t, { currencyCode: 'EUR', orderId: 'o', amount: 100 });
      // Token env and configuration env agree.
      assert.equal(s.claims.env, 'PRODUCTION');
      const res = await t.app.inject({ method: 'GET', url: '/client-sdk/configuration', headers: sdkHeaders(s.accessToken) });
      const config = res.json();
      assert.equal(config.env, 'PRODUCTION');
      assert.equal(config.primerAccountId, 'acc_shop');
      assert.deepEqual(config.paymentMethods[0], {
        id: 'pmc_paypal',
        type: 'PAYPAL',
        name: 'PayPal',
        implementationType: 'NATIVE_SDK',
        options: { clientId: 'pp-123' },
        displayMetadata: config.paymentMethods[0].displayMetadata,
      });
      assert.equal(config.paymentMethods[0].displayMetadata.button.iconUrl.colored, 'http://localhost:8080/assets/icons/paypal.svg');
      assert.deepEqual(config.paymentMethods[1].displayMetadata, { button: { iconUrl: { colored: 'data:image/png;base64,AAAA' } } });
      assert.deepEqual(config.checkoutModules, [
        { type: 'SHIPPING', options: { shippingMethods: [{ id: 'pickup', name: 'Pick-up', amount: 0 }] } },
      ]);
    } finally {
      await t.close();
    }
  });
});

describe('payment-method warnings on POST /client-session', () => {
  test('each offered method names the data it is missing', async () => {
    const t = await testApp();
    try {
      const { response } = await createSession(t, { orderId: 'o-1', amount: 100 });
      const warnings = (response.warnings ?? []) as Array<{ type: string; code: string; message: string }>;
      const missing = warnings.filter((w) => w.type !== 'CLIENT_SESSION').map((w) => `${w.type} ${w.code} ${w.message}`);
      assert.deepEqual(missing, [
        'PAYPAL MISSING_DATA PAYPAL needs $.currencyCode, which is missing.',
        'GOOGLE_PAY MISSING_DATA GOOGLE_PAY needs $.order.countryCode, which is missing.',
        'GOOGLE_PAY MISSING_DATA GOOGLE_PAY needs $.currencyCode, which is missing.',
        'APPLE_PAY MISSING_DATA APPLE_PAY needs $.order.countryCode, which is missing.',
        'APPLE_PAY MISSING_DATA APPLE_PAY needs $.currencyCode, which is missing.',
        'KLARNA MISSING_DATA KLARNA needs $.order.lineItems, which is missing.',
        'KLARNA MISSING_DATA KLARNA needs $.order.countryCode, which is missing.',
        'KLARNA MISSING_DATA KLARNA needs $.customer.emailAddress, which is missing.',
        'KLARNA MISSING_DATA KLARNA needs $.currencyCode, which is missing.',
        'ADYEN_IDEAL MISSING_DATA ADYEN_IDEAL needs $.currencyCode, which is missing.',
        'ADYEN_IDEAL MISSING_DATA ADYEN_IDEAL needs $.order.countryCode, which is missing.',
      ]);
      const complete = await createSession(t, {
        orderId: 'o-2',
        currencyCode: 'EUR',
        order: { countryCode: 'NL', lineItems: [{ amount: 100 }] },
        customer: { emailAddress: 'ada@example.com' },
      });
      assert.equal(complete.response.warnings, undefined);
    } finally {
      await t.close();
    }
  });

  test('only the methods the checkout offers are checked', async () => {
    const checkout = parseCheckoutConfig(
      { paymentMethods: [{ type: 'PAYPAL', name: 'PayPal', implementationType: 'NATIVE_SDK' }] },
      'SANDBOX',
    );
    const t = await testApp({ checkout });
    try {
      const { response } = await createSession(t, { orderId: 'o', currencyCode: 'EUR', amount: 1 });
      assert.equal(response.warnings, undefined);
      assert.ok(PAYMENT_METHOD_REQUIREMENTS.KLARNA!.length > 0);
    } finally {
      await t.close();
    }
  });
});
