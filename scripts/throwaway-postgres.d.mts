// Types for throwaway-postgres.mjs (plain JS so that scripts/run-tests.mjs can use it).
export interface ThrowawayPostgres {
  /** Superuser URL to the `postgres` database, trust authentication, loopback only. */
  url: string;
  port: number;
  /** Where the binaries came from. */
  binaries: string;
  /** Starts the stopped cluster again, on the same port. */
  start(): Promise<void>;
  /** Fast shutdown, as `pg_ctl stop -m fast`. */
  stop(): Promise<void>;
  /** SIGSTOP to the server and its backends: connections stay open, nothing answers. */
  freeze(): void;
  /** SIGCONT: answers again. */
  thaw(): void;
  /** Stops the cluster and removes its files. */
  destroy(): Promise<void>;
}
export function startThrowawayPostgres(options?: { port?: number }): Promise<ThrowawayPostgres>;
export function findPostgresBinaries(): Promise<{ initdb: string; postgres: string; source: string }>;
export function freePort(): Promise<number>;
/** A free port below the ephemeral range: no other process is handed it while a server is down. */
export function restartablePort(): Promise<number>;
