// Sessions on PostgreSQL. A change locks the session's row for its transaction (database.ts, change).
import type { SessionStore, SessionVersion, SessionWrites, StoredSession } from '../../sessions/session.store.ts';
import { toSession, toSessionEvent, type SessionEventRow, type SessionRow } from '../rows.ts';
import { WriteConflict } from '../unit-of-work.ts';
import type { PostgresEngine } from './database.ts';
import type { PostgresUnitOfWork } from './unit-of-work.ts';
import { subscribed } from './outbox.ts';

export function sessionWrites(uow: PostgresUnitOfWork): SessionWrites {
  return {
    recordEvent(e) {
      // The event is the outbox: flagged when the merchant has a live endpoint for its type (webhooks.ts fans it out).
      uow.ops.push(
        (tx) => tx`
          INSERT INTO session_events (id, merchant_id, session_id, type, version, ordinal, created_at, triggered, request_id, idempotency_key, detail,
            awaiting_fan_out)
          VALUES (${e.id}, ${e.merchantId}, ${e.sessionId}, ${e.type}, ${e.version}, ${e.ordinal ?? 0}, ${e.createdAt}, ${e.triggered ? 1 : 0}, ${e.requestId ?? null}, ${e.idempotencyKey ?? null},
                  ${JSON.stringify(e.detail)}, ${subscribed(tx, e.merchantId, e.type)})`,
      );
    },
    insert(s) {
      uow.written.record(`session ${s.id}`, undefined, s.version);
      uow.ops.push(
        (tx) => tx`
          INSERT INTO sessions (id, merchant_id, access_token_hash, data, version, created_at, updated_at, expires_at)
          VALUES (${s.id}, ${s.merchantId}, ${s.accessTokenHash}, ${JSON.stringify(s.data)}, ${s.version},
                  ${s.createdAt}, ${s.updatedAt}, ${s.expiresAt})`,
      );
    },
    update(s) {
      uow.written.record(`session ${s.id}`, s.version - 1, s.version);
      uow.ops.push(async (tx) => {
        const result = await tx`
          UPDATE sessions SET data = ${JSON.stringify(s.data)}, version = ${s.version}, updated_at = ${s.updatedAt}
          WHERE id = ${s.id} AND version = ${s.version - 1}`;
        if (result.count !== 1) throw new WriteConflict(`session ${s.id} is no longer at version ${s.version - 1}`);
      });
    },
  };
}

export function postgresSessions(pg: PostgresEngine): SessionStore {
  return {
    async findByAccessTokenHash(hash) {
      // The merchant's sandbox clock offset comes with it (session.store.ts, MerchantClockOffset).
      const [row] = await pg.query<(SessionRow & { clock_offset_ms: string | null })[]>`
        SELECT s.*, c.offset_ms AS clock_offset_ms FROM sessions s
        LEFT JOIN sandbox_clocks c ON c.merchant_id = s.merchant_id WHERE s.access_token_hash = ${hash}`;
      if (!row) return undefined;
      const session = toSession(row);
      const offset = Number(row.clock_offset_ms ?? 0);
      return offset ? { ...session, clockOffsetMs: offset } : session;
    },
    async events(merchantId, sessionId) {
      const rows = await pg.query<
        SessionEventRow[]
      >`SELECT * FROM session_events WHERE merchant_id = ${merchantId} AND session_id = ${sessionId} ORDER BY version, ordinal, created_at`;
      return rows.map(toSessionEvent);
    },
    async findById(merchantId, id) {
      const [row] = await pg.query<SessionRow[]>`SELECT * FROM sessions WHERE id = ${id} AND merchant_id = ${merchantId}`;
      return row ? toSession(row) : undefined;
    },
    async versionOf(hash) {
      const [row] = await pg.query<{ merchant_id: string; version: number; expires_at: string; offset_ms: string | null }[]>`
          SELECT s.merchant_id, s.version, s.expires_at, c.offset_ms FROM sessions s
          LEFT JOIN sandbox_clocks c ON c.merchant_id = s.merchant_id WHERE s.access_token_hash = ${hash}`;
      if (!row) return undefined;
      const found: SessionVersion = { merchantId: row.merchant_id, version: row.version, expiresAt: Number(row.expires_at) };
      const offset = Number(row.offset_ms ?? 0);
      if (offset) found.clockOffsetMs = offset;
      return found;
    },
    async listByMerchant(merchantId, { limit, before }) {
      const rows = await pg.query<SessionRow[]>`
        SELECT * FROM sessions WHERE merchant_id = ${merchantId} AND created_at < ${before ?? Number.MAX_SAFE_INTEGER}
        ORDER BY created_at DESC, id DESC LIMIT ${limit}`;
      return rows.map(toSession);
    },
    change(hash, decide) {
      return pg.change<StoredSession, ReturnType<typeof decide>>(
        `session:${hash}`,
        async (tx) => {
          const [row] = await tx<SessionRow[]>`SELECT * FROM sessions WHERE access_token_hash = ${hash} FOR UPDATE`;
          return row ? toSession(row) : undefined;
        },
        decide,
      );
    },
    async purgeExpired(before, limit) {
      // A purged session's history goes with it, in the same statement.
      const result = await pg.query`
        WITH gone AS (
          DELETE FROM sessions WHERE id IN (
            -- Expired on its merchant's time (its sandbox offset); the largest offset bounds the index range.
            -- One ordered range of sessions_expiry per value of expired_event, its first column (migration 20).
            SELECT id FROM (
              (SELECT s.id FROM sessions s LEFT JOIN sandbox_clocks c ON c.merchant_id = s.merchant_id
               WHERE s.expired_event = 1 AND s.expires_at < ${before} + (SELECT COALESCE(MAX(offset_ms), 0) FROM sandbox_clocks)
                 AND s.expires_at < ${before} + COALESCE(c.offset_ms, 0)
               ORDER BY s.expires_at LIMIT ${limit})
              UNION ALL
              (SELECT s.id FROM sessions s LEFT JOIN sandbox_clocks c ON c.merchant_id = s.merchant_id
               WHERE s.expired_event = 0 AND s.expires_at < ${before} + (SELECT COALESCE(MAX(offset_ms), 0) FROM sandbox_clocks)
                 AND s.expires_at < ${before} + COALESCE(c.offset_ms, 0)
               ORDER BY s.expires_at LIMIT ${limit})
            ) expired LIMIT ${limit})
          RETURNING id
        ), events AS (
          DELETE FROM session_events WHERE session_id IN (SELECT id FROM gone)
        )
        SELECT count(*)::int AS count FROM gone`;
      return (result[0] as { count: number } | undefined)?.count ?? 0;
    },
    async purgeExpiredOf(merchantId, before, limit) {
      const result = await pg.query`
        WITH gone AS (
          DELETE FROM sessions WHERE id IN (
            SELECT id FROM (
              (SELECT id FROM sessions WHERE merchant_id = ${merchantId} AND expired_event = 1 AND expires_at < ${before}
               ORDER BY expires_at LIMIT ${limit})
              UNION ALL
              (SELECT id FROM sessions WHERE merchant_id = ${merchantId} AND expired_event = 0 AND expires_at < ${before}
               ORDER BY expires_at LIMIT ${limit})
            ) expired LIMIT ${limit})
          RETURNING id
        ), events AS (
          DELETE FROM session_events WHERE session_id IN (SELECT id FROM gone)
        )
        SELECT count(*)::int AS count FROM gone`;
      return (result[0] as { count: number } | undefined)?.count ?? 0;
    },
    recordExpired(now, limit, eventOf) {
      return pg.transaction(async (tx) => {
        // The conditional UPDATE is the guarantee: a process that finds a session another one marked
        // meanwhile (it waits for that row's lock, then reads it again) updates nothing and records nothing.
        const marked = await tx<SessionRow[]>`
          UPDATE sessions SET expired_event = 1 WHERE id IN (
            -- Expired on its merchant's time; the largest offset bounds the index range.
            SELECT s.id FROM sessions s LEFT JOIN sandbox_clocks c ON c.merchant_id = s.merchant_id
            WHERE s.expired_event = 0 AND s.expires_at <= ${now} + (SELECT COALESCE(MAX(offset_ms), 0) FROM sandbox_clocks)
              AND s.expires_at <= ${now} + COALESCE(c.offset_ms, 0)
            ORDER BY s.expires_at LIMIT ${limit} FOR UPDATE OF s SKIP LOCKED)
          AND expired_event = 0
          RETURNING *`;
        for (const row of marked) {
          const e = eventOf(toSession(row));
          await tx`
            INSERT INTO session_events (id, merchant_id, session_id, type, version, ordinal, created_at, triggered, detail, awaiting_fan_out)
            VALUES (${e.id}, ${e.merchantId}, ${e.sessionId}, ${e.type}, ${e.version}, ${e.ordinal ?? 0}, ${e.createdAt}, 0, ${JSON.stringify(e.detail)},
                    ${subscribed(tx, e.merchantId, e.type)})`;
        }
        return marked.length;
      });
    },
    async resetMerchant(merchantId) {
      // One statement: the sessions and their history go together.
      const [row] = await pg.query<{ sessions: number; events: number }[]>`
        WITH gone AS (DELETE FROM sessions WHERE merchant_id = ${merchantId} RETURNING 1),
          events AS (DELETE FROM session_events WHERE merchant_id = ${merchantId} RETURNING 1)
        SELECT (SELECT count(*) FROM gone)::int AS sessions, (SELECT count(*) FROM events)::int AS events`;
      return { sessions: row?.sessions ?? 0, events: row?.events ?? 0 };
    },
  };
}
