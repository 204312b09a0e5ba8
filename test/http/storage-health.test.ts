// engines: sqlite, postgres
// Readiness and storage outages through HTTP, in process, on the engine test/support/app.ts is given.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../../src/storage/store.ts';
import { headers, testApp, TEST_ENGINE } from '../support/app.ts';

/** The store, with every session call failing the way a driver does when the server is gone. */
function failingSessions(store: Store, state: { down: boolean }): Store {
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  const sessions = new Proxy(store.sessions, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (state.down ? Promise.reject(refused()) : value.apply(target, args));
    },
  });
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'sessions') return sessions;
      if (prop === 'ping') return async () => !state.down && (await target.ping());
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

test(`GET /health/ready reports reachable storage (${TEST_ENGINE})`, async () => {
  const t = await testApp();
  try {
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ready', storage: 'ok' });
    assert.equal(t.store.engine, TEST_ENGINE);
  } finally {
    await t.close();
  }
});

test(`GET /health/ready is a 503 envelope once the storage does not answer (${TEST_ENGINE})`, async () => {
  const t = await testApp();
  await t.store.close();
  const res = await t.app.inject({ method: 'GET', url: '/health/ready', headers: { 'x-request-id': 'ready-check-1' } });
  assert.equal(res.statusCode, 503);
  assert.deepEqual(res.json(), {
    error: {
      errorId: 'ServiceUnavailable',
      description: 'The storage cannot serve requests right now.',
      diagnosticsId: 'ready-check-1',
      recoverySuggestion: 'Retry later.',
    },
  });
  await t.close();
});

test(`a storage connection failure during a request is a 503 envelope, and requests succeed again once it is back (${TEST_ENGINE})`, async () => {
  const state = { down: false };
  // An app over the configured engine's store, wrapped so the test can take the storage away.
  const inner = await testApp();
  const t = await testApp({ store: failingSessions(inner.store, state) });
  try {
    const created = await t.app.inject({
      method: 'POST',
      url: '/client-session',
      headers: headers(t.apiKey),
      payload: { orderId: 'order-1', currencyCode: 'GBP', amount: 100 },
    });
    assert.equal(created.statusCode, 200);
    const clientToken = created.json().clientToken as string;

    state.down = true;
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/client-session',
      headers: headers(t.apiKey),
      payload: { clientToken, orderId: 'order-2' },
    });
    assert.equal(patch.statusCode, 503);
    assert.equal(patch.json().error.errorId, 'ServiceUnavailable');
    assert.equal((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 503);

    state.down = false;
    const read = await t.app.inject({
      method: 'GET',
      url: `/client-session?clientToken=${encodeURIComponent(clientToken)}`,
      headers: headers(t.apiKey),
    });
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().orderId, 'order-1');
  } finally {
    await t.close(); // closes the shared store too; closing it again below is harmless
    await inner.close();
  }
});
