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

test('a wrapped cause or one member of an AggregateError is enough', () => {
  assert.equal(isStorageUnavailable(new Error('wrapped', { cause: withCode('ECONNREFUSED') })), true);
  assert.equal(
    isStorageUnavailable(Object.assign(new AggregateError([new Error('a'), withCode('ECONNREFUSED')]), { code: undefined })),
    true,
  );
});

test('other database errors and message text alone are not: they stay 500s', () => {
  for (const code of ['23505', '23503', '42P01', '22P02', 'SQLITE_CONSTRAINT']) {
    assert.equal(isStorageUnavailable(withCode(code, 'connection refused')), false, code);
  }
  assert.equal(isStorageUnavailable(new Error('ECONNREFUSED: connection refused')), false);
  assert.equal(isStorageUnavailable(undefined), false);
  assert.equal(isStorageUnavailable('ECONNREFUSED'), false);
});
