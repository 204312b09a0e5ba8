// Kassa's one sealer, for what it must keep but never at rest in clear (a required action's client
// token, a webhook secret, an idempotent answer holding a client token): AES-256-GCM under a key
// derived (HKDF-SHA256) from the server secret and what the value is for. A copy of the database alone
// cannot open them. Every server secret is tried on open, so rotating the secret keeps sealed values
// readable. A bound seal (`Binding`) also needs a secret the client sends again, and opens for one record.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 's1';
/** The idempotency answers' own format before this sealer sealed them (idempotency/service.ts, 2026-11). */
const IDEMPOTENCY_V1 = 'v1';

/** What a bound seal is tied to besides the server secret. */
export interface Binding {
  /** Something only the client holds and sends again to open it (an idempotency key); never stored. */
  secret: string;
  /** The record the value belongs to (authenticated, not encrypted): it opens for that record only. */
  record: string;
}

/** The purpose idempotent answers are sealed for (idempotency/service.ts). */
export const IDEMPOTENCY_PURPOSE = 'idempotency';

export class Sealer {
  constructor(private readonly secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('at least one secret is needed');
  }

  /** Derived keys, by secret and purpose (HKDF on every use would cost more than the cipher). */
  private readonly keys = new Map<string, Buffer>();

  private key(secret: string, purpose: string): Buffer {
    const id = `${purpose}\0${secret}`;
    let key = this.keys.get(id);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', secret, 'kassa', `kassa seal ${VERSION}\0${purpose}`, 32));
      this.keys.set(id, key);
    }
    return key;
  }

  /** The cipher key: the purpose's, narrowed by a binding's secret (HMAC: a PRF of any length of input). */
  private cipherKey(secret: string, purpose: string, binding: Binding | undefined): Buffer {
    const key = this.key(secret, purpose);
    return binding ? createHmac('sha256', key).update(binding.secret).digest() : key;
  }

  /** `plain`, sealed for `purpose` (bound in: a value sealed for one purpose does not open for another). */
  seal(plain: string, purpose: string, binding?: Binding): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.cipherKey(this.secrets[0]!, purpose, binding), iv);
    if (binding) cipher.setAAD(Buffer.from(binding.record));
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), sealed.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The sealed value, or undefined when no secret held opens it (or, bound, not with this binding). */
  open(sealed: string, purpose: string, binding?: Binding): string | undefined {
    const [version, iv, body, tag] = sealed.split('.');
    if (!iv || body === undefined || !tag) return undefined;
    if (version === IDEMPOTENCY_V1 && binding && purpose === IDEMPOTENCY_PURPOSE) return this.openIdempotencyV1(iv, body, tag, binding);
    if (version !== VERSION) return undefined;
    for (const secret of this.secrets) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.cipherKey(secret, purpose, binding), Buffer.from(iv, 'base64url'));
        if (binding) decipher.setAAD(Buffer.from(binding.record));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // not this secret
      }
    }
    return undefined;
  }

  /**
   * An answer sealed by the idempotency service's own sealer before this one (read only: the last such
   * record expires with KASSA_IDEMPOTENCY_TTL_SECONDS, at most 30 days after the upgrade). Its key was
   * derived per record from the merchant (the first line of the record) and the idempotency key.
   */
  private openIdempotencyV1(iv: string, body: string, tag: string, binding: Binding): string | undefined {
    const merchantId = binding.record.slice(0, binding.record.indexOf('\n'));
    for (const secret of this.secrets) {
      try {
        const key = Buffer.from(hkdfSync('sha256', secret, merchantId, `kassa idempotency v1\0${binding.secret}`, 32));
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(binding.record));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // not this secret
      }
    }
    return undefined;
  }

  /** A value only the holder of the server secret can derive from `input` (a UUID's worth of it, as hex). */
  derive(input: string, purpose: string): string {
    return createHmac('sha256', this.key(this.secrets[0]!, purpose)).update(input).digest('hex');
  }

  /** What `derive` gives under every secret held (to check a value derived before a rotation). */
  deriveAll(input: string, purpose: string): string[] {
    return this.secrets.map((secret) => createHmac('sha256', this.key(secret, purpose)).update(input).digest('hex'));
  }
}

/** 32 hex characters as a version-4-shaped UUID. */
export function asUuid(hex: string): string {
  const h = hex.slice(0, 32).split('');
  h[12] = '4';
  h[16] = '89ab'[Number.parseInt(h[16]!, 16) % 4]!;
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}
