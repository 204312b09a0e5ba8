import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { reliabilityStoreContract } from './reliability-contract.ts';

reliabilityStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-store-'));
  const store = openSqliteStore({ path: join(dir, 'kassa.db') });
  return {
    store,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
