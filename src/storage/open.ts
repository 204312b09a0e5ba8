// DATABASE_URL -> a Store.
import type { DatabaseTarget } from '../config.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

export async function openStore(target: DatabaseTarget): Promise<Store> {
  if (target.engine === 'sqlite') return openSqliteStore({ path: target.path, backgroundCheckpoints: true });
  throw new Error('PostgreSQL storage is not available in this build');
}
