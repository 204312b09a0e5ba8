// Client-token signing keys on SQLite. `ensure` is one unit in the writer thread, so two processes
// starting at once agree on one key: the first stores its candidate, every later one reads it back.
import type { SigningKey, SigningKeyStore } from '../../tokens/signing-key.store.ts';
import type { SqliteEngine } from './database.ts';

const COLUMNS = 'kid, secret, created_at AS createdAt';

export function sqliteSigningKeys(engine: SqliteEngine): SigningKeyStore {
  const all = engine.db.prepare(`SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at, kid`);
  return {
    async ensure(candidate) {
      const [, first] = await engine.writer.run([
        {
          sql: 'INSERT INTO signing_keys (kid, secret, created_at) SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM signing_keys)',
          params: [candidate.kid, candidate.secret, candidate.createdAt],
        },
        { sql: `SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at, kid LIMIT 1`, params: [], returns: 'row' },
      ]);
      return first as SigningKey;
    },
    async list() {
      return all.all() as SigningKey[];
    },
  };
}
