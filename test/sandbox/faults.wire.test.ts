// engines: sqlite, postgres
// Sandbox faults on the wire and across processes: a timeout holds the connection and closes it with
// no answer; a fault added through one process is in force on another the moment its 201 arrives, and
// two processes never both take the last use.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { headers, testApp, type TestApp } from '../support/app.ts';
import { api, assertError, ORDER } from '../payments/support.ts';

const sessions = async (t: TestApp) => Number((await t.query('SELECT COUNT(*) AS n FROM sessions'))[0]!.n);

/** POST /client-session over a real connection: its answer, or how the connection ended without one. */
function postSession(port: number, apiKey: string): Promise<{ status?: number; closedWithoutAnswer?: boolean; ms: number }> {
  const began = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/client-session', headers: headers(apiKey) }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, ms: performance.now() - began }));
    });
    req.on('error', () => resolve({ closedWithoutAnswer: true, ms: performance.now() - began }));
    req.end(JSON.stringify(ORDER));
  });
}

describe('sandbox faults on the wire', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await testApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
  });
  after(() => t.close());

  test('a timeout before: the connection is held for delayMs, then closed with no answer, and nothing is written', async () => {
    await api(t, 'POST', '/kassa/sandbox/faults', { operation: 'POST /client-session', status: 'timeout', delayMs: 300 });
    const count = await sessions(t);
    const res = await postSession(port, t.apiKey);
    assert.equal(res.closedWithoutAnswer, true, JSON.stringify(res));
    assert.ok(res.ms >= 290, `held ${res.ms} ms`);
    assert.equal(await sessions(t), count);
    assert.equal((await postSession(port, t.apiKey)).status, 200, 'the next request is served');
  });

  test('a timeout after: the session commits, then the connection is closed with no answer', async () => {
    await api(t, 'POST', '/kassa/sandbox/faults', { operation: 'POST /client-session', status: 'timeout', delayMs: 100, phase: 'after' });
    const count = await sessions(t);
    const res = await postSession(port, t.apiKey);
    assert.equal(res.closedWithoutAnswer, true, JSON.stringify(res));
    assert.equal(await sessions(t), count + 1);
  });

  test('a delayMs on an error status waits, then answers', async () => {
    await api(t, 'POST', '/kassa/sandbox/faults', { operation: 'POST /client-session', status: 504, delayMs: 200 });
    const res = await postSession(port, t.apiKey);
    assert.equal(res.status, 504);
    assert.ok(res.ms >= 190, `answered after ${res.ms} ms`);
  });
});

describe('sandbox faults across processes', () => {
  let a: TestApp;
  let b: TestApp;
  before(async () => {
    a = await testApp();
    b = await testApp({ store: await a.another() });
  });
  after(async () => {
    await b.app.close();
    await a.close();
  });

  test("a fault added through one process answers the merchant's next request on another", async () => {
    // b has served the merchant already: its view of the faults is fresh, and holds none.
    assert.equal((await api(b, 'POST', '/client-session', ORDER)).statusCode, 200);
    const made = (await api(a, 'POST', '/kassa/sandbox/faults', { operation: 'POST /client-session', status: 503 })).json();
    const res = await api(b, 'POST', '/client-session', ORDER);
    assertError(res, 503, 'ServiceUnavailable');
    assert.equal(res.headers['kassa-fault'], made.id);
  });

  test('requests at once on two processes take exactly `times` uses between them', async () => {
    await api(a, 'POST', '/kassa/sandbox/faults', { operation: 'POST /client-session', status: 500, times: 3 });
    const count = await sessions(a);
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => api(i % 2 === 0 ? a : b, 'POST', '/client-session', ORDER)));
    const statuses = answers.map((r) => r.statusCode).sort();
    assert.deepEqual(statuses, [...Array(13).fill(200), 500, 500, 500]);
    assert.equal(await sessions(a), count + 13);
    assert.deepEqual((await api(b, 'GET', '/kassa/sandbox/faults')).json(), { data: [] });
  });
});
