// The reliability storage contract (idempotency records, purge) on a real PostgreSQL.
import { openPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { freshDatabase } from '../support/postgres.ts';
import { reliabilityStoreContract } from './reliability-contract.ts';

reliabilityStoreContract('postgres', async () => {
  const db = await freshDatabase();
  const store = await openPostgresStore({ url: db.url, poolSize: 4 });
  await store.migrate();
  return {
    store,
    async close() {
      await store.close();
      await db.drop();
    },
  };
});
