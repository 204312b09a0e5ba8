// PATCH's partial-update rules (docs/decisions.md, "PATCH"). Pure: returns a new session.
import type { SessionData } from './schemas.ts';

/** Objects merged one level deep; every other field is replaced whole (arrays and metadata too). */
export const MERGED_ONE_LEVEL = ['customer', 'order', 'paymentMethod'] as const;

export type SessionPatch = { [K in keyof SessionData]?: SessionData[K] | null | Record<string, unknown> };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Omitted: unchanged. `null`: cleared. customer/order/paymentMethod: each sub-field sent replaces that
 * sub-field whole, `null` clears it. An object left empty is dropped (empty fields are omitted).
 */
export function applyPatch(session: SessionData, patch: SessionPatch): SessionData {
  const next: Record<string, unknown> = { ...session };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      delete next[key];
    } else if ((MERGED_ONE_LEVEL as readonly string[]).includes(key) && isPlainObject(value)) {
      const merged: Record<string, unknown> = { ...(isPlainObject(next[key]) ? next[key] : {}) };
      for (const [sub, subValue] of Object.entries(value)) {
        if (subValue === undefined) continue;
        if (subValue === null) delete merged[sub];
        else merged[sub] = subValue;
      }
      if (Object.keys(merged).length === 0) delete next[key];
      else next[key] = merged;
    } else {
      next[key] = value;
    }
  }
  return next as SessionData;
}
