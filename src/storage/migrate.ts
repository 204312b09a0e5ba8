// `kassa migrate` / `npm run migrate`: apply pending migrations and stop. Kassa also migrates at
// every start; this is for deployments that migrate as a separate step before rolling processes.
import type { Config } from '../config.ts';
import { openStore } from './open.ts';

export interface MigrationResult {
  engine: 'sqlite' | 'postgres';
}

/** Opens the configured storage, applies pending migrations (under the engine's lock), closes it. */
export async function runMigrations(config: Config): Promise<MigrationResult> {
  const store = await openStore(config.database, { poolSize: Math.min(config.dbPoolSize, 2), timeoutMs: config.dbTimeoutMs });
  try {
    await store.migrate();
    return { engine: store.engine };
  } finally {
    await store.close();
  }
}
