// Where a webhook may be sent (docs/webhooks.md, "Destinations"). A receiver's URL is the merchant's
// choice, so without these rules Kassa is a proxy into its own network: the cloud metadata service
// (169.254.169.254 and its kin), link-local and unspecified addresses are always refused; loopback
// and private ranges only when KASSA_WEBHOOK_PRIVATE=deny (a developer's receiver runs on localhost).
// Every numeric spelling of an address counts (2130706433, 0x7f000001, 127.1, ::ffff:7f00:1), and a
// name counts by every address it resolves to: at creation, and again at send time through `lookup`,
// which is the resolver the connection itself uses, so no DNS answer changes between check and connect.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';

export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'unspecified' | 'reserved';
/** KASSA_WEBHOOK_PRIVATE: whether loopback and private ranges may receive webhooks. */
export type PrivatePolicy = 'allow' | 'deny';
export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

/** Names of cloud metadata services, refused whatever they resolve to. */
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
  'metadata.tencentyun.com',
  'metadata.platformequinix.com',
]);
const METADATA_V4 = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200']);
const METADATA_V6 = new Set(['fd00:ec2:0:0:0:0:0:254']);

/** Every IPv4 spelling WHATWG URLs and inet_aton take (decimal, 0x hex, 0 octal, 1 to 4 parts); undefined when not one. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length > 1 && parts.at(-1) === '') parts.pop();
  if (parts.length === 0 || parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = Number.parseInt(part.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(part)) value = Number(part);
    else return undefined;
    values.push(value);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255) || last >= 256 ** (4 - values.length)) return undefined;
  return values.reduce((sum, v, i) => sum + v * 256 ** (3 - i), 0) + last;
}

/** An IPv6 address (brackets and a zone allowed) as eight 16-bit groups; undefined when not one. */
export function parseIPv6(text: string): number[] | undefined {
  const bare = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIP(bare) !== 6) return undefined;
  // A dotted IPv4 tail (::ffff:127.0.0.1) is two groups.
  const hex = bare.replace(/(\d+\.\d+\.\d+\.\d+)$/, (tail) => {
    const n = parseIPv4(tail)!;
    return `${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  });
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const [left = '', right] = hex.split('::');
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const all = right === undefined ? l : [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  return all.length === 8 ? all : undefined;
}

const v4 = (a: number, b: number, c: number, d: number) => ((a * 256 + b) * 256 + c) * 256 + d;
const inV4 = (n: number, base: number, bits: number) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits));
const dotted = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

function classifyV4(n: number): AddressKind {
  if (METADATA_V4.has(dotted(n))) return 'metadata';
  if (inV4(n, 0, 8)) return 'unspecified';
  if (inV4(n, v4(169, 254, 0, 0), 16)) return 'link-local';
  if (inV4(n, v4(127, 0, 0, 0), 8)) return 'loopback';
  if (inV4(n, v4(10, 0, 0, 0), 8) || inV4(n, v4(172, 16, 0, 0), 12) || inV4(n, v4(192, 168, 0, 0), 16)) return 'private';
  if (inV4(n, v4(100, 64, 0, 0), 10)) return 'private';
  // Multicast, the reserved block and broadcast: no receiver has one.
  if (inV4(n, v4(224, 0, 0, 0), 3)) return 'reserved';
  return 'public';
}

function classifyV6(g: number[]): AddressKind {
  const embedded = (hi: number, lo: number) => classifyV4(hi * 65536 + lo);
  if (METADATA_V6.has(g.map((x) => x.toString(16)).join(':'))) return 'metadata';
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(8)) return 'unspecified';
  if (zeros(7) && g[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::) carry an IPv4 address.
  if (zeros(5) && (g[5] === 0xffff || g[5] === 0)) return embedded(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return embedded(g[6]!, g[7]!);
  if (g[0] === 0x2002) return embedded(g[1]!, g[2]!);
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0]! & 0xfe00) === 0xfc00 || (g[0]! & 0xffc0) === 0xfec0) return 'private';
  if ((g[0]! & 0xff00) === 0xff00) return 'reserved';
  return 'public';
}

/** What kind of address `text` spells, in any spelling; undefined when it is a name, not an address. */
export function classifyAddress(text: string): AddressKind | undefined {
  const groups = parseIPv6(text);
  if (groups) return classifyV6(groups);
  const n = parseIPv4(text);
  return n === undefined ? undefined : classifyV4(n);
}

const normalName = (hostname: string) => hostname.toLowerCase().replace(/\.$/, '');

/** A name's kind before resolving it: metadata names, and localhost (which resolves to loopback wherever it is asked). */
function classifyName(hostname: string): AddressKind | undefined {
  const name = normalName(hostname);
  if (METADATA_NAMES.has(name)) return 'metadata';
  if (name === 'localhost' || name.endsWith('.localhost')) return 'loopback';
  return undefined;
}

export const isAllowed = (kind: AddressKind, policy: PrivatePolicy): boolean =>
  kind === 'public' || ((kind === 'loopback' || kind === 'private') && policy === 'allow');

/** Why a destination is refused, as the API says it at $.url. */
export function refusal(kind: AddressKind): string {
  if (kind === 'loopback' || kind === 'private') return `Must not be a ${kind} address on this server (KASSA_WEBHOOK_PRIVATE=deny).`;
  if (kind === 'metadata') return 'Must not be a cloud metadata service.';
  if (kind === 'link-local') return 'Must not be a link-local address.';
  if (kind === 'unspecified') return 'Must not be an unspecified address (0.0.0.0, ::).';
  return 'Must not be a multicast or reserved address.';
}

/** Thrown by the guarded lookup: the connection is never made. */
export class DestinationRefused extends Error {
  readonly code = 'KASSA_DESTINATION_REFUSED';
  constructor(readonly kind: AddressKind) {
    super(refusal(kind));
  }
}

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });
/** How long a check at creation waits for DNS; a name that does not answer by then is checked when sent. */
const CREATION_LOOKUP_MS = 5000;

export class Destinations {
  constructor(
    private readonly policy: PrivatePolicy,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  /** The refused kind of a literal address or a known name, before any DNS; undefined when allowed or when only DNS can tell. */
  refusedHost(hostname: string): AddressKind | undefined {
    const kind = classifyAddress(hostname) ?? classifyName(hostname);
    return kind !== undefined && !isAllowed(kind, this.policy) ? kind : undefined;
  }

  /**
   * At creation: the refused kind of the URL's host or of any address its name resolves to. A name that
   * does not resolve (yet) is taken: send time checks it again.
   */
  async check(url: URL): Promise<AddressKind | undefined> {
    const host = url.hostname;
    const early = this.refusedHost(host);
    if (early || classifyAddress(host) !== undefined) return early;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), CREATION_LOOKUP_MS);
    });
    try {
      const addresses = await Promise.race([this.resolve(normalName(host)), bound]);
      return addresses && this.refusedAmong(addresses);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private refusedAmong(addresses: ReadonlyArray<{ address: string }>): AddressKind | undefined {
    for (const { address } of addresses) {
      const kind = classifyAddress(address) ?? 'reserved';
      if (!isAllowed(kind, this.policy)) return kind;
    }
    return undefined;
  }

  /** The `lookup` of every webhook connection: resolves, refuses when any address is refused, else hands all of them to the socket. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const refused = this.refusedHost(hostname);
    const done = callback as (error: Error | null, address?: unknown, family?: number) => void;
    if (refused) return done(new DestinationRefused(refused));
    this.resolve(normalName(hostname)).then(
      (all) => {
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const addresses = family ? all.filter((a) => a.family === family) : all;
        const kind = this.refusedAmong(all);
        if (kind) return done(new DestinationRefused(kind));
        if (addresses.length === 0) return done(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }));
        if (options.all) return done(null, addresses);
        return done(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: Error) => done(error),
    );
  };
}
