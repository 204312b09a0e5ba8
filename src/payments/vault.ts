// The vault: a customer's saved cards are MULTI_USE tokens (docs/payments.md, "Vault"). Vaulting a
// SINGLE_USE token makes a new MULTI_USE token for the customer and points the SINGLE_USE one at it,
// so vaulting it again returns the same saved card; a customer keeps one saved card per card number
// (its keyed fingerprint), so vaulting another token of that card returns it too. The browser never sees a MULTI_USE token: it sees
// the vaulted method's `vpm_` id and exchanges it for a SINGLE_USE token bound to its session.
// Writes go into the caller's unit of work.
import { newAnalyticsId, newPaymentToken, newVaultedId } from '../lib/ids.ts';
import type { UnitOfWork } from '../storage/unit-of-work.ts';
import type { Locked, StoredToken, VaultCursor } from './payment.store.ts';

/** A token that may be used now: not deleted, not expired (SINGLE_USE), and its vaulted method not deleted. */
export function liveToken(locked: Pick<Locked, 'token' | 'vaulted'>, merchantId: string, now: number): StoredToken | undefined {
  const { token, vaulted } = locked;
  if (!token || token.merchantId !== merchantId || token.deletedAt !== undefined) return undefined;
  if (token.expiresAt !== undefined && token.expiresAt <= now) return undefined;
  if (token.tokenType === 'SINGLE_USE' && vaulted?.deletedAt !== undefined && vaulted.tokenType === 'MULTI_USE' && token.customerId) {
    // Exchanged from a saved card that was deleted since.
    return undefined;
  }
  return token;
}

/**
 * The customer's MULTI_USE token for `source`: `source` itself when it is one, the one it was vaulted
 * as before, the customer's saved card of the same number (`sameCard`), or a new one (recorded in `uow`).
 */
export function vaultToken(
  uow: UnitOfWork,
  source: StoredToken,
  vaulted: StoredToken | undefined,
  customerId: string,
  now: number,
  sameCard?: StoredToken,
): StoredToken {
  if (source.tokenType === 'MULTI_USE') return source;
  if (vaulted && vaulted.deletedAt === undefined) return vaulted;
  if (sameCard && sameCard.deletedAt === undefined && sameCard.customerId === customerId && sameCard.merchantId === source.merchantId) {
    uow.payments.updateToken(source.token, { sourceToken: sameCard.token });
    return sameCard;
  }
  const saved: StoredToken = {
    token: newPaymentToken(),
    merchantId: source.merchantId,
    tokenType: 'MULTI_USE',
    customerId,
    vaultedId: newVaultedId(),
    sourceToken: source.token,
    analyticsId: newAnalyticsId(),
    card: source.card,
    ...(source.method ? { method: source.method } : {}),
    scenario: source.scenario,
    cvvGiven: false,
    ...(source.fingerprint !== undefined ? { fingerprint: source.fingerprint } : {}),
    // The engine makes a customer's first saved card the default as it inserts it.
    isDefault: false,
    createdAt: now,
  };
  uow.payments.insertToken(saved);
  uow.payments.updateToken(source.token, { sourceToken: saved.token });
  return saved;
}

/** A SINGLE_USE token for a saved card, bound to a session (the SDKs' exchange). */
export function exchangeToken(saved: StoredToken, session: { id: string; expiresAt: number }, cvvGiven: boolean, now: number): StoredToken {
  return {
    token: newPaymentToken(),
    merchantId: saved.merchantId,
    tokenType: 'SINGLE_USE',
    sessionId: session.id,
    ...(saved.customerId !== undefined ? { customerId: saved.customerId } : {}),
    sourceToken: saved.token,
    analyticsId: newAnalyticsId(),
    card: saved.card,
    ...(saved.method ? { method: saved.method } : {}),
    scenario: saved.scenario,
    cvvGiven,
    ...(saved.fingerprint !== undefined ? { fingerprint: saved.fingerprint } : {}),
    isDefault: false,
    createdAt: now,
    expiresAt: session.expiresAt,
  };
}

/** A page's cursor as the opaque text lists answer (`nextCursor`); it names the vaulted id, never a token. */
export const vaultCursorText = (c: VaultCursor): string => Buffer.from(JSON.stringify([c.createdAt, c.vaultedId])).toString('base64url');

/** A cursor text this API made, or undefined. */
export function parseVaultCursor(text: string): VaultCursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
    const [createdAt, vaultedId] = parsed as unknown[];
    if (!Number.isSafeInteger(createdAt) || typeof vaultedId !== 'string' || !/^vpm_[A-Za-z0-9]{1,64}$/.test(vaultedId)) return undefined;
    return { createdAt: createdAt as number, vaultedId };
  } catch {
    return undefined;
  }
}

/** A page of saved cards, and where the next one starts. */
export interface VaultPage {
  saved: StoredToken[];
  next?: VaultCursor;
}

/** The first `limit` of `rows` (read with one more), and the cursor of the next page when there is one. */
export function vaultPage(rows: StoredToken[], limit: number): VaultPage {
  const saved = rows.slice(0, limit);
  const last = saved.at(-1);
  return rows.length > limit && last?.vaultedId ? { saved, next: { createdAt: last.createdAt, vaultedId: last.vaultedId } } : { saved };
}
