// Row -> domain object mapping shared by the SQLite and PostgreSQL adapters: both use the same
// column names. SQLite returns INTEGER timestamps as numbers, PostgreSQL returns BIGINT as strings
// (it may exceed 2^53; Kassa's millisecond timestamps never do), so every timestamp goes through Number.
import type { ApiKey } from '../merchants/merchant.store.ts';
import type { SessionData } from '../sessions/schemas.ts';
import type { SessionEvent, SessionEventType, StoredSession } from '../sessions/session.store.ts';

type Timestamp = number | string;

export interface SessionRow {
  id: string;
  merchant_id: string;
  access_token_hash: string;
  data: string;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  expires_at: Timestamp;
}

export interface ApiKeyRow {
  id: string;
  merchant_id: string;
  secret_hash: string;
  scopes: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

/** A session row whose data the caller already holds (e.g. the data it just wrote). */
export const toSessionWithData = (row: Omit<SessionRow, 'data'>, data: SessionData): StoredSession => ({
  id: row.id,
  merchantId: row.merchant_id,
  accessTokenHash: row.access_token_hash,
  data,
  version: row.version,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
  expiresAt: Number(row.expires_at),
});

export const toSession = (row: SessionRow): StoredSession => toSessionWithData(row, JSON.parse(row.data) as SessionData);

// A key's scopes are one of very few lists: each is parsed once (and shared, so it is frozen).
const scopeLists = new Map<string, string[]>();
function parseScopes(json: string): string[] {
  let scopes = scopeLists.get(json);
  if (!scopes) {
    scopes = Object.freeze(JSON.parse(json) as string[]) as string[];
    if (scopeLists.size < 1000) scopeLists.set(json, scopes);
  }
  return scopes;
}

export const toApiKey = (row: ApiKeyRow): ApiKey => ({
  id: row.id,
  merchantId: row.merchant_id,
  secretHash: row.secret_hash,
  scopes: parseScopes(row.scopes),
  createdAt: Number(row.created_at),
  ...(row.revoked_at !== null ? { revokedAt: Number(row.revoked_at) } : {}),
});

/** The columns of an API key, in the order apiKeyFromRaw reads them. */
export const API_KEY_COLUMNS = 'id, merchant_id, secret_hash, scopes, created_at, revoked_at';

/** The same, from a raw row of API_KEY_COLUMNS. */
export const apiKeyFromRaw = (row: unknown[]): ApiKey =>
  toApiKey({
    id: row[0] as string,
    merchant_id: row[1] as string,
    secret_hash: row[2] as string,
    scopes: row[3] as string,
    created_at: row[4] as number,
    revoked_at: row[5] as number | null,
  });

export interface SessionEventRow {
  id: string;
  merchant_id: string;
  session_id: string;
  type: string;
  version: number | string;
  created_at: Timestamp;
  request_id: string | null;
  idempotency_key: string | null;
  detail: string;
  triggered: number | string;
}

export function toSessionEvent(r: SessionEventRow): SessionEvent {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    sessionId: r.session_id,
    type: r.type as SessionEventType,
    version: Number(r.version),
    createdAt: Number(r.created_at),
    ...(r.request_id !== null ? { requestId: r.request_id } : {}),
    ...(r.idempotency_key !== null ? { idempotencyKey: r.idempotency_key } : {}),
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    ...(Number(r.triggered) === 1 ? { triggered: true } : {}),
  };
}
