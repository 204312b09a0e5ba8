// Webhook signatures (docs/webhooks.md, "Verifying"). Primer's, unchanged because Primer's receivers
// check them: X-Signature-Primary is the base64 HMAC-SHA256 of the raw body under the endpoint's
// secret; for a day after a rotation, X-Signature-Secondary is the same under the old secret. They sign
// only the body, so a captured delivery can be replayed for ever: Kassa-Signature also signs a time and
// the delivery id (Stripe's t=…,v1=… scheme), and a receiver refuses one older than the freshness window.
import { createHmac, randomBytes } from 'node:crypto';

export const sign = (body: string, secret: string): string => createHmac('sha256', secret).update(body).digest('base64');

/** How far a Kassa-Signature's time may be from the receiver's clock (documented; receivers apply it). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * Kassa-Signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.deliveryId.body">`, one v1 per secret
 * that signs (the new one first during a rotation).
 */
export function kassaSignature(timestamp: number, deliveryId: string, body: string, secrets: readonly string[]): string {
  const signed = `${timestamp}.${deliveryId}.${body}`;
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${createHmac('sha256', s).update(signed).digest('hex')}`)].join(',');
}

/** A new endpoint secret: 32 random bytes, base64url, with a prefix that says what it is. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** How long the old secret keeps signing after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;
