// DATABASE_URL -> a Store.
import type { DatabaseTarget } from '../config.ts';
import { openPostgresStore } from './postgres/database.ts';
import { openSqliteStore } from './sqlite/database.ts';
import type { Store } from './store.ts';

export interface OpenOptions {
  /** PostgreSQL: most connections this process opens (KASSA_DB_POOL_SIZE). */
  poolSize?: number;
  /** PostgreSQL: longest one storage call may take (KASSA_DB_TIMEOUT_MS); SQLite: min(this, 5 s) bounds a write's wait for another process's lock. */
  timeoutMs?: number;
  /**
   * SQLite: checkpoint the WAL from a thread of its own (default), as a server does. A command that
   * lives for a moment leaves it to SQLite's automatic checkpoint: starting the thread would cost it
   * more than the command.
   */
  backgroundCheckpoints?: boolean;
}

export async function openStore(target: DatabaseTarget, options: OpenOptions = {}): Promise<Store> {
  if (target.engine === 'sqlite')
    return openSqliteStore({
      path: target.path,
      backgroundCheckpoints: options.backgroundCheckpoints ?? true,
      // As PostgreSQL's lock_timeout (postgres/database.ts).
      lockWaitMs: Math.min(options.timeoutMs ?? 10_000, 5000),
    });
  return openPostgresStore({ url: target.url, poolSize: options.poolSize ?? 10, timeoutMs: options.timeoutMs });
}
