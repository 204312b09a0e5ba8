// Client-token signing keys on PostgreSQL. Two processes starting at once each bring a candidate; the
// advisory lock lets the first store its own and every later one read it back.
import type { SigningKey, SigningKeyStore } from '../../tokens/signing-key.store.ts';
import { SIGNING_KEY_LOCK, type PostgresEngine } from './database.ts';

type Row = { kid: string; secret: string; created_at: string };
const toSigningKey = (row: Row): SigningKey => ({ kid: row.kid, secret: row.secret, createdAt: Number(row.created_at) });

export function postgresSigningKeys(pg: PostgresEngine): SigningKeyStore {
  return {
    async ensure(candidate) {
      return pg.transaction(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${SIGNING_KEY_LOCK})`;
        const [existing] = await tx<Row[]>`SELECT * FROM signing_keys ORDER BY created_at, kid LIMIT 1`;
        if (existing) return toSigningKey(existing);
        await tx`INSERT INTO signing_keys (kid, secret, created_at) VALUES (${candidate.kid}, ${candidate.secret}, ${candidate.createdAt})`;
        return candidate;
      });
    },
    async list() {
      return (await pg.query<Row[]>`SELECT * FROM signing_keys ORDER BY created_at, kid`).map(toSigningKey);
    },
  };
}
