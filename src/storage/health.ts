// Readiness that tells the truth. A storage that answers `SELECT 1` may still be unable to write (a
// full disk, failing I/O) or to read what it holds (a damaged file). So every request that fails for
// such a reason marks the storage faulted, and while it is, readiness asks for proof: the engine's
// probe (a committed write, and an integrity check on SQLite). Once the probe passes, readiness is
// back without a restart: the cause went away.
import type { Store } from './store.ts';

export class StorageHealth {
  private faulted = false;

  constructor(private readonly store: Store) {}

  /** A request failed because the storage could not do its work. */
  readonly fault = (): void => {
    this.faulted = true;
  };

  async ready(): Promise<boolean> {
    if (!(await this.store.ping())) return false;
    if (!this.faulted) return true;
    try {
      await this.store.probe();
      this.faulted = false;
      return true;
    } catch {
      return false;
    }
  }
}
