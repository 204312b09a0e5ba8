// engines: sqlite
// Where a webhook may go (src/webhooks/destination.ts): every spelling of an address is the address,
// metadata, link-local and unspecified are always refused, loopback and private only under
// KASSA_WEBHOOK_PRIVATE=deny, and a name counts by what it resolves to (creation and the socket's lookup).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { classifyAddress, DestinationRefused, Destinations, isAllowed, parseIPv4, type Resolver } from '../../src/webhooks/destination.ts';

const SPELLINGS: Array<[string, ReturnType<typeof classifyAddress>]> = [
  ['169.254.169.254', 'metadata'],
  ['2852039166', 'metadata'],
  ['0xa9fea9fe', 'metadata'],
  ['0251.0376.0251.0376', 'metadata'],
  ['169.254.43518', 'metadata'],
  ['[::ffff:169.254.169.254]', 'metadata'],
  ['[::ffff:a9fe:a9fe]', 'metadata'],
  ['[64:ff9b::a9fe:a9fe]', 'metadata'],
  ['[fd00:ec2::254]', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['169.254.170.2', 'metadata'],
  ['169.254.1.1', 'link-local'],
  ['[fe80::1]', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['0.0.0.0', 'unspecified'],
  ['0', 'unspecified'],
  ['[::]', 'unspecified'],
  ['127.0.0.1', 'loopback'],
  ['2130706433', 'loopback'],
  ['0x7f000001', 'loopback'],
  ['017700000001', 'loopback'],
  ['127.1', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['127.0.0.1.', 'loopback'],
  ['[::1]', 'loopback'],
  ['[::ffff:7f00:1]', 'loopback'],
  ['[0:0:0:0:0:ffff:127.0.0.1]', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'private'],
  ['[fd12:3456::1]', 'private'],
  ['[fc00::1]', 'private'],
  ['224.0.0.1', 'reserved'],
  ['255.255.255.255', 'reserved'],
  ['[ff02::1]', 'reserved'],
  ['172.32.0.1', 'public'],
  ['100.128.0.1', 'public'],
  ['8.8.8.8', 'public'],
  ['[2001:db8::1]', 'public'],
  ['example.com', undefined],
  ['metadata.google.internal', undefined],
  ['256.0.0.1', undefined],
  ['08.0.0.1', undefined],
];

const resolver =
  (table: Record<string, string[]>): Resolver =>
  async (name) =>
    (table[name] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

/** The guarded lookup as a socket calls it, promised. */
const lookup = (d: Destinations, host: string, all = true) =>
  new Promise<unknown>((resolve, reject) =>
    d.lookup(host, { all } as never, ((error: Error | null, address: unknown) => (error ? reject(error) : resolve(address))) as never),
  );

describe('the address classifier', () => {
  test('every spelling of an address is classified as the address', () => {
    for (const [spelling, kind] of SPELLINGS) assert.equal(classifyAddress(spelling), kind, spelling);
  });

  test('any 32-bit address reads back the same in decimal, hex, octal and short forms, as WHATWG URLs read it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
        const bytes = [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256);
        const dotted = bytes.join('.');
        const spellings = [
          dotted,
          String(n),
          `0x${n.toString(16)}`,
          `0${n.toString(8)}`,
          `${bytes[0]}.${n % 2 ** 24}`,
          `${bytes[0]}.${bytes[1]}.${n % 2 ** 16}`,
          bytes.map((b) => `0x${b.toString(16)}`).join('.'),
          bytes.map((b) => `0${b.toString(8)}`).join('.'),
        ];
        for (const s of spellings) {
          assert.equal(parseIPv4(s), n, s);
          assert.equal(new URL(`http://${s}/`).hostname, dotted, `the URL parser agrees on ${s}`);
          assert.equal(classifyAddress(s), classifyAddress(dotted), s);
          assert.equal(classifyAddress(`[::ffff:${dotted}]`), classifyAddress(dotted), 'IPv4-mapped is the IPv4 address');
        }
      }),
      { numRuns: 300 },
    );
  });

  test('metadata, link-local, unspecified and reserved are never allowed; loopback and private only with allow', () => {
    const kinds = ['public', 'loopback', 'private', 'link-local', 'metadata', 'unspecified', 'reserved'] as const;
    assert.deepEqual(
      kinds.filter((k) => isAllowed(k, 'allow')),
      ['public', 'loopback', 'private'],
    );
    assert.deepEqual(
      kinds.filter((k) => isAllowed(k, 'deny')),
      ['public'],
    );
  });
});

describe('Destinations', () => {
  test('at creation: literal addresses and metadata names without DNS, other names by every address they resolve to', async () => {
    const names = resolver({
      'hooks.example': ['93.184.215.14'],
      'rebind.example': ['93.184.215.14', '169.254.169.254'],
      'internal.example': ['10.1.2.3'],
      'local.example': ['::1'],
    });
    const allow = new Destinations('allow', names);
    const deny = new Destinations('deny', names);
    const check = (d: Destinations, url: string) => d.check(new URL(url));
    assert.equal(await check(allow, 'http://hooks.example/x'), undefined);
    assert.equal(await check(allow, 'http://rebind.example/x'), 'metadata', 'one forbidden address is enough');
    assert.equal(await check(allow, 'http://metadata.google.internal/computeMetadata/v1/'), 'metadata');
    assert.equal(await check(allow, 'http://METADATA.GOOGLE.INTERNAL./'), 'metadata');
    assert.equal(await check(allow, 'http://2852039166/latest/meta-data/'), 'metadata');
    assert.equal(await check(allow, 'http://[fe80::1]/'), 'link-local');
    assert.equal(await check(allow, 'http://0.0.0.0:8080/'), 'unspecified');
    assert.equal(await check(allow, 'http://internal.example/'), undefined);
    assert.equal(await check(allow, 'http://127.1:4000/'), undefined);
    assert.equal(await check(deny, 'http://internal.example/'), 'private');
    assert.equal(await check(deny, 'http://local.example/'), 'loopback');
    assert.equal(await check(deny, 'http://localhost:4000/'), 'loopback');
    assert.equal(await check(deny, 'http://0x7f000001/'), 'loopback');
    assert.equal(await check(deny, 'https://hooks.example/'), undefined);
    assert.equal(await check(deny, 'https://unknown.example/'), undefined, 'a name that does not resolve is checked when sent');
  });

  test('the socket lookup refuses a name resolving to a forbidden address, and hands over only checked addresses', async () => {
    const table: Record<string, string[]> = { 'hooks.example': ['127.0.0.1'] };
    const d = new Destinations('allow', resolver(table));
    assert.deepEqual(await lookup(d, 'hooks.example'), [{ address: '127.0.0.1', family: 4 }]);
    assert.equal(await lookup(d, 'hooks.example', false), '127.0.0.1');
    // The name now answers the metadata address (DNS rebinding): the lookup the socket uses refuses it.
    table['hooks.example'] = ['169.254.169.254'];
    await assert.rejects(lookup(d, 'hooks.example'), DestinationRefused);
    await assert.rejects(lookup(d, 'metadata.google.internal'), DestinationRefused);
    await assert.rejects(lookup(new Destinations('deny', resolver({ a: ['10.0.0.1'] })), 'a'), DestinationRefused);
    await assert.rejects(lookup(d, 'nothing.example'), { code: 'ENOTFOUND' });
  });
});
