// Sessions on SQLite. Reads use the one connection directly; a change reads, decides and writes as one
// synchronous unit inside the writer's transaction (writer.ts), so changes to one session apply one
// after the other, each on the one before, and none can lose a race within this process. Across
// processes the write lock (BEGIN IMMEDIATE) serialises them.
import type Database from 'better-sqlite3';
import type { SessionStore, SessionVersion, SessionWrites } from '../../sessions/session.store.ts';
import { toSession, toSessionEvent, type SessionEventRow, type SessionRow } from '../rows.ts';
import { eventTailParams, SQLITE_SUBSCRIBED } from './outbox.ts';
import { WriteConflict } from '../unit-of-work.ts';
import type { SqliteEngine } from './database.ts';

export function sqliteSessionWrites(db: Database.Database): SessionWrites {
  const insert = db.prepare(
    `INSERT INTO sessions (id, merchant_id, access_token_hash, data, version, created_at, updated_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const update = db.prepare('UPDATE sessions SET data = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?');
  // The event is the outbox: flagged when the merchant has a live endpoint for its type (webhooks.ts fans it out).
  const insertEvent = db.prepare(`
    INSERT INTO session_events (id, merchant_id, session_id, type, version, ordinal, created_at, triggered, request_id, idempotency_key, detail,
      awaiting_fan_out)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${SQLITE_SUBSCRIBED})`);
  return {
    recordEvent(e) {
      insertEvent.run(
        e.id,
        e.merchantId,
        e.sessionId,
        e.type,
        e.version,
        e.ordinal ?? 0,
        e.createdAt,
        e.triggered ? 1 : 0,
        ...eventTailParams(e),
      );
    },
    insert(s) {
      insert.run(s.id, s.merchantId, s.accessTokenHash, JSON.stringify(s.data), s.version, s.createdAt, s.updatedAt, s.expiresAt);
    },
    update(s) {
      const { changes } = update.run(JSON.stringify(s.data), s.version, s.updatedAt, s.id, s.version - 1);
      if (changes !== 1) throw new WriteConflict(`session ${s.id} is no longer at version ${s.version - 1}`);
    },
  };
}

export function sqliteSessions(engine: SqliteEngine): SessionStore {
  const { db } = engine;
  const byHash = engine.query('SELECT * FROM sessions WHERE access_token_hash = ?');
  // A token's lookup brings the merchant's sandbox clock offset with it (session.store.ts, MerchantClockOffset).
  const lookup = engine.query(
    'SELECT s.*, c.offset_ms AS clock_offset_ms FROM sessions s LEFT JOIN sandbox_clocks c ON c.merchant_id = s.merchant_id WHERE s.access_token_hash = ?',
  );
  const byId = engine.query('SELECT * FROM sessions WHERE id = ? AND merchant_id = ?');
  // Raw rows: no object with named keys to build on the busiest read.
  const version = engine.query(
    `SELECT s.merchant_id, s.version, s.expires_at, c.offset_ms FROM sessions s
     LEFT JOIN sandbox_clocks c ON c.merchant_id = s.merchant_id WHERE s.access_token_hash = ?`,
    'raw',
  );
  const list = engine.query('SELECT * FROM sessions WHERE merchant_id = ? AND created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?');
  // Expired on its merchant's time (its sandbox offset); the largest offset bounds the index range. One
  // ordered range of sessions_expiry per value of expired_event, the index's first column (migration 20).
  const expiredWith = (recorded: 0 | 1) => `
    SELECT s.id FROM sessions s LEFT JOIN sandbox_clocks c ON c.merchant_id = s.merchant_id
    WHERE s.expired_event = ${recorded} AND s.expires_at < @before + (SELECT COALESCE(MAX(offset_ms), 0) FROM sandbox_clocks)
      AND s.expires_at < @before + COALESCE(c.offset_ms, 0)
    ORDER BY s.expires_at LIMIT @limit`;
  const expired = `SELECT id FROM (${expiredWith(1)}) UNION ALL SELECT id FROM (${expiredWith(0)}) LIMIT @limit`;
  const purge = db.prepare(`DELETE FROM sessions WHERE id IN (${expired})`);
  // A purged session's history goes with it.
  const purgeEvents = db.prepare(`DELETE FROM session_events WHERE session_id IN (${expired})`);
  const merchantExpiredWith = (recorded: 0 | 1) =>
    `SELECT id FROM sessions WHERE merchant_id = @merchantId AND expired_event = ${recorded} AND expires_at < @before ORDER BY expires_at LIMIT @limit`;
  const merchantExpired = `SELECT id FROM (${merchantExpiredWith(1)}) UNION ALL SELECT id FROM (${merchantExpiredWith(0)}) LIMIT @limit`;
  const merchantPurge = db.prepare(`DELETE FROM sessions WHERE id IN (${merchantExpired})`);
  const merchantPurgeEvents = db.prepare(`DELETE FROM session_events WHERE session_id IN (${merchantExpired})`);
  const events = engine.query(
    'SELECT * FROM session_events WHERE merchant_id = ? AND session_id = ? ORDER BY version, ordinal, created_at',
  );
  // Expired on its merchant's time and not yet recorded; the largest offset bounds the index range.
  const unrecorded = db.prepare(`
    SELECT s.* FROM sessions s LEFT JOIN sandbox_clocks c ON c.merchant_id = s.merchant_id
    WHERE s.expired_event = 0 AND s.expires_at <= ? + (SELECT COALESCE(MAX(offset_ms), 0) FROM sandbox_clocks)
      AND s.expires_at <= ? + COALESCE(c.offset_ms, 0)
    ORDER BY s.expires_at LIMIT ?`);
  const markRecorded = db.prepare('UPDATE sessions SET expired_event = 1 WHERE id = ? AND expired_event = 0');
  const writes = sqliteSessionWrites(db);
  const resetEvents = db.prepare('DELETE FROM session_events WHERE merchant_id = ?');
  const resetSessions = db.prepare('DELETE FROM sessions WHERE merchant_id = ?');
  const find = (hash: string) => {
    const row = byHash.get(hash) as SessionRow | undefined;
    return row ? toSession(row) : undefined;
  };
  return {
    findByAccessTokenHash(hash) {
      const row = lookup.get(hash) as (SessionRow & { clock_offset_ms: number | null }) | undefined;
      if (!row) return undefined;
      const session = toSession(row);
      return row.clock_offset_ms ? { ...session, clockOffsetMs: row.clock_offset_ms } : session;
    },
    async events(merchantId, sessionId) {
      return (events.all(merchantId, sessionId) as SessionEventRow[]).map(toSessionEvent);
    },
    findById(merchantId, id) {
      const row = byId.get(id, merchantId) as SessionRow | undefined;
      return row ? toSession(row) : undefined;
    },
    versionOf(hash) {
      const row = version.get(hash) as [string, number, number, number | null] | undefined;
      if (!row) return undefined;
      const found: SessionVersion = { merchantId: row[0], version: row[1], expiresAt: row[2] };
      if (row[3]) found.clockOffsetMs = row[3];
      return found;
    },
    listByMerchant(merchantId, { limit, before }) {
      return (list.all(merchantId, before ?? Number.MAX_SAFE_INTEGER, limit) as SessionRow[]).map(toSession);
    },
    change(hash, decide) {
      return engine.unit((uow) => decide(find(hash), uow));
    },
    async purgeExpired(before, limit) {
      return engine.writer.run(() => {
        purgeEvents.run({ before, limit });
        return purge.run({ before, limit }).changes;
      });
    },
    async purgeExpiredOf(merchantId, before, limit) {
      return engine.writer.run(() => {
        merchantPurgeEvents.run({ merchantId, before, limit });
        return merchantPurge.run({ merchantId, before, limit }).changes;
      });
    },
    recordExpired(now, limit, eventOf) {
      // One write transaction (BEGIN IMMEDIATE across processes): the mark and the event go together.
      return engine.writer.run(() => {
        let recorded = 0;
        for (const row of unrecorded.all(now, now, limit) as SessionRow[]) {
          if (markRecorded.run(row.id).changes !== 1) continue;
          writes.recordEvent(eventOf(toSession(row)));
          recorded++;
        }
        return recorded;
      });
    },
    resetMerchant(merchantId) {
      return engine.writer.run(() => {
        const events = resetEvents.run(merchantId).changes;
        return { sessions: resetSessions.run(merchantId).changes, events };
      });
    },
  };
}
