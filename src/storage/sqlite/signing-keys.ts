// Client-token signing keys on SQLite. `ensure` is one unit in the writer's transaction, so two
// processes starting at once agree on one key: the first stores its candidate, every later one reads it.
import type { SigningKey, SigningKeyStore } from '../../tokens/signing-key.store.ts';
import type { SqliteEngine } from './database.ts';

const COLUMNS = 'kid, secret, created_at AS createdAt';

export function sqliteSigningKeys(engine: SqliteEngine): SigningKeyStore {
  const all = engine.query(`SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at, kid`);
  const first = engine.db.prepare(`SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at, kid LIMIT 1`);
  const insert = engine.db.prepare('INSERT INTO signing_keys (kid, secret, created_at) VALUES (?, ?, ?)');
  return {
    ensure(candidate) {
      return engine.writer.run(() => {
        const existing = first.get() as SigningKey | undefined;
        if (existing) return existing;
        insert.run(candidate.kid, candidate.secret, candidate.createdAt);
        return candidate;
      });
    },
    async list() {
      return all.all() as SigningKey[];
    },
  };
}
