// Webhook signatures (docs/webhooks.md, "Verifying"): X-Signature-Primary is the base64 HMAC-SHA256 of
// the raw body under the endpoint's secret; for a day after a rotation, X-Signature-Secondary is the
// same under the old secret. Receivers compare in constant time.
import { createHmac, randomBytes } from 'node:crypto';

export const sign = (body: string, secret: string): string => createHmac('sha256', secret).update(body).digest('base64');

/** A new endpoint secret: 32 random bytes, base64url, with a prefix that says what it is. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** How long the old secret keeps signing after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;
