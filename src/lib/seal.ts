// Secrets Kassa must keep but never at rest in clear (a required action's client token, a webhook
// secret): sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the server secret and what
// the secret is for. A copy of the database alone cannot open them. Every server secret is tried on
// open, so rotating the secret keeps sealed values readable.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 's1';

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

  /** `plain`, sealed for `purpose` (bound in: a value sealed for one purpose does not open for another). */
  seal(plain: string, purpose: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(this.secrets[0]!, purpose), iv);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), sealed.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The sealed value, or undefined when no secret held opens it. */
  open(sealed: string, purpose: string): string | undefined {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || !iv || body === undefined || !tag) return undefined;
    for (const secret of this.secrets) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.key(secret, purpose), Buffer.from(iv, 'base64url'));
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
