// engines: sqlite
// Which errors mean "storage unreachable right now" (503) rather than a fault (500): by code only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStorageUnavailable } from '../../src/storage/unavailable.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('connection failures of the socket, the postgres driver and the server are unavailability', () => {
  for (const code of [
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'CONNECTION_CLOSED',
    'CONNECTION_ENDED',
    'CONNECT_TIMEOUT',
    '57P01',
    '57P03',
    '08006',
    '53300',
    '57014',
    'SQLITE_BUSY',
  ]) {
    assert.equal(isStorageUnavailable(withCode(code)), true, code);
  }
});

test('a full disk, failing I/O and a damaged file are unavailability too (503, readiness fails), on both engines', () => {
  for (const code of [
    'SQLITE_FULL',
    'SQLITE_IOERR',
    'SQLITE_IOERR_WRITE',
    'SQLITE_IOERR_FSYNC',
    'SQLITE_CORRUPT',
    'SQLITE_CORRUPT_INDEX',
    'SQLITE_NOTADB',
    'SQLITE_READONLY',
    'SQLITE_CANTOPEN',
    '53100',
    '58030',
    'XX001',
    'XX002',
  ]) {
    assert.equal(isStorageUnavailable(withCode(code)), true, code);
  }
  // A prefix is not a code.
  assert.equal(isStorageUnavailable(withCode('SQLITE_FULLY')), false);
});

test('a wrapped cause or one member of an AggregateError is enough', () => {
  assert.equal(isStorageUnavailable(new Error('wrapped', { cause: withCode('ECONNREFUSED') })), true);
  assert.equal(
    isStorageUnavailable(Object.assign(new AggregateError([new Error('a'), withCode('ECONNREFUSED')]), { code: undefined })),
    true,
  );
});

test('other database errors and message text alone are not: they stay 500s', () => {
  for (const code of ['23505', '23503', '42P01', '22P02', 'SQLITE_CONSTRAINT', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_ERROR']) {
    assert.equal(isStorageUnavailable(withCode(code, 'connection refused')), false, code);
  }
  assert.equal(isStorageUnavailable(new Error('ECONNREFUSED: connection refused')), false);
  assert.equal(isStorageUnavailable(undefined), false);
  assert.equal(isStorageUnavailable('ECONNREFUSED'), false);
});
