// Sessions on SQLite: reads on the event loop's connection, writes as units of work for the writer
// thread, changes serialised per session (serial.ts).
import type { SessionStore, SessionVersion, SessionWrites, StoredSession } from '../../sessions/session.store.ts';
import { toSession, type SessionRow } from '../rows.ts';
import type { SqliteEngine } from './database.ts';
import type { SqliteUnitOfWork } from './unit-of-work.ts';

const key = (accessTokenHash: string) => `session:${accessTokenHash}`;

export function sessionWrites(uow: SqliteUnitOfWork): SessionWrites {
  return {
    insert(s) {
      uow.ops.push({
        sql: `INSERT INTO sessions (id, merchant_id, access_token_hash, data, version, created_at, updated_at, expires_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [s.id, s.merchantId, s.accessTokenHash, JSON.stringify(s.data), s.version, s.createdAt, s.updatedAt, s.expiresAt],
      });
      uow.written.set(key(s.accessTokenHash), s);
    },
    update(s) {
      uow.ops.push({
        sql: 'UPDATE sessions SET data = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?',
        params: [JSON.stringify(s.data), s.version, s.updatedAt, s.id, s.version - 1],
        expect: 'one',
      });
      uow.written.set(key(s.accessTokenHash), s);
    },
  };
}

export function sqliteSessions(engine: SqliteEngine): SessionStore {
  const { db } = engine;
  const byHash = db.prepare('SELECT * FROM sessions WHERE access_token_hash = ?');
  const byId = db.prepare('SELECT * FROM sessions WHERE id = ? AND merchant_id = ?');
  const version = db.prepare(
    'SELECT id, merchant_id AS merchantId, version, expires_at AS expiresAt FROM sessions WHERE access_token_hash = ?',
  );
  const list = db.prepare(
    'SELECT * FROM sessions WHERE merchant_id = ? AND created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?',
  );
  const find = (hash: string) => {
    const row = byHash.get(hash) as SessionRow | undefined;
    return row ? toSession(row) : undefined;
  };
  return {
    async findByAccessTokenHash(hash) {
      return find(hash);
    },
    async findById(merchantId, id) {
      const row = byId.get(id, merchantId) as SessionRow | undefined;
      return row ? toSession(row) : undefined;
    },
    async versionOf(hash) {
      return version.get(hash) as SessionVersion | undefined;
    },
    async listByMerchant(merchantId, { limit, before }) {
      return (list.all(merchantId, before ?? Number.MAX_SAFE_INTEGER, limit) as SessionRow[]).map(toSession);
    },
    change(hash, decide, options) {
      return engine.serial.change<StoredSession, ReturnType<typeof decide>>(key(hash), () => find(hash), decide, options);
    },
    async purgeExpired(before, limit) {
      const [changes] = await engine.writer.run([
        {
          sql: 'DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < ? ORDER BY expires_at LIMIT ?)',
          params: [before, limit],
        },
      ]);
      return changes as number;
    },
  };
}
