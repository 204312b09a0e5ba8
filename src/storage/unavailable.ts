// Recognises "the storage cannot do its work right now" in an error — not reachable, overloaded, out
// of disk, failing I/O, damaged — so the request becomes a 503 ServiceUnavailable (retry later, or
// elsewhere) instead of a 500, and readiness fails until the storage works again (storage/health.ts).
// By error code only: message text changes between driver and server versions and locales.

/** Socket-level failures reaching a database server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * The `postgres` driver's own codes for a connection that failed, closed or timed out, and Kassa's
 * own: STORAGE_TIMEOUT (a call the server did not answer in time) and the SQLite writer's.
 */
const DRIVER_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'STORAGE_TIMEOUT',
  // The SQLite writer thread stopped with units in flight (storage/sqlite/writer.ts).
  'KASSA_WRITER_STOPPED',
]);

/** PostgreSQL SQLSTATEs that mean "not now" rather than "never". */
const SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server is stopping
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or in recovery
  '57014', // query_canceled: statement_timeout hit, the server is stuck or overloaded
  '53300', // too_many_connections
  '53000', // insufficient_resources
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available: another process held the row past lock_timeout
  '53100', // disk_full
  '53200', // out_of_memory
  '58030', // io_error
  'XX001', // data_corrupted
  'XX002', // index_corrupted
]);

/**
 * SQLite, by primary code (extended codes add a suffix, e.g. SQLITE_IOERR_FSYNC): another process held
 * the write lock past the writer's bound (sqlite/writer.ts); the disk is full; I/O failed; the file is
 * damaged, not a database, read-only or gone.
 */
const SQLITE_CODES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
];
const sqliteUnavailable = (code: string) => code.startsWith('SQLITE_') && SQLITE_CODES.some((c) => code === c || code.startsWith(`${c}_`));

function codeIsUnavailable(code: unknown): boolean {
  if (typeof code !== 'string') return false;
  return (
    NETWORK_CODES.has(code) ||
    DRIVER_CODES.has(code) ||
    SQLSTATES.has(code) ||
    code.startsWith('08') || // connection_exception class
    sqliteUnavailable(code)
  );
}

export function isStorageUnavailable(error: unknown): boolean {
  // Bounded walk through `cause` and AggregateError members (a host with several addresses).
  const pending: unknown[] = [error];
  for (let seen = 0; pending.length > 0 && seen < 16; seen++) {
    const current = pending.shift();
    if (typeof current !== 'object' || current === null) continue;
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (codeIsUnavailable(code)) return true;
    if (cause !== undefined) pending.push(cause);
    if (Array.isArray(errors)) pending.push(...errors);
  }
  return false;
}
