// engines: in-file
// PostgreSQL going away under a running Kassa, and not being there at start-up. A throwaway server of
// this test's own, so stopping it disturbs no other test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ThrowawayPostgres } from '../../scripts/throwaway-postgres.mjs';
import { freshDatabase, throwaway } from '../support/postgres.ts';
import { apiHeaders, runKassa, startKassa, type KassaProcess } from '../support/process.ts';

const { restartablePort, startThrowawayPostgres } = throwaway;

describe('a PostgreSQL outage', () => {
  const API_KEY = 'kassa_e2e_key_0123456789abcdef';
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  let pg: ThrowawayPostgres;
  const running: KassaProcess[] = [];
  before(async () => {
    pg = await startThrowawayPostgres();
  });
  after(async () => {
    for (const p of running) await p.stop('SIGKILL');
    await pg.destroy();
  });

  async function request(kassa: KassaProcess, method: string, path: string, body?: unknown) {
    try {
      const res = await fetch(`${kassa.url}${path}`, {
        method,
        headers: apiHeaders(API_KEY),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as any };
    } catch (error) {
      // What Kassa itself said is the clue when it did not answer.
      const exit = kassa.child.exitCode ?? kassa.child.signalCode ?? 'still running';
      throw new Error(
        `${method} ${path}: ${String(error)} (${String((error as Error).cause)}); Kassa: ${exit}\n${kassa.output().slice(-4000)}`,
      );
    }
  }

  test('a database that stops under a running Kassa turns requests into 503 envelopes; Kassa recovers by itself when it returns', async () => {
    const db = await freshDatabase(pg.url);
    const kassa = await startKassa({ DATABASE_URL: db.url, KASSA_API_KEY: API_KEY, KASSA_DB_POOL_SIZE: '3' });
    running.push(kassa);

    const created = await request(kassa, 'POST', '/client-session', { orderId: 'order-1', currencyCode: 'GBP', amount: 650 });
    assert.equal(created.status, 200);
    const token = encodeURIComponent(created.body.clientToken);
    assert.deepEqual((await request(kassa, 'GET', '/health/ready')).body, { status: 'ready', storage: 'ok' });

    await pg.stop();

    for (const [method, path, body] of [
      ['GET', `/client-session?clientToken=${token}`, undefined],
      ['PATCH', '/client-session', { clientToken: created.body.clientToken, orderId: 'order-2' }],
      ['POST', '/client-session', { orderId: 'order-3' }],
      ['GET', '/health/ready', undefined],
    ] as const) {
      const res = await request(kassa, method, path, body);
      assert.equal(res.status, 503, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.errorId, 'ServiceUnavailable');
      assert.equal(typeof res.body.error.diagnosticsId, 'string');
      assert.equal(res.body.error.description, 'The storage cannot serve requests right now.');
    }
    assert.equal(kassa.child.exitCode, null, 'Kassa is still running');
    assert.equal((await fetch(`${kassa.url}/health`)).status, 200, 'liveness does not depend on storage');

    await pg.start();
    // Bounded wait for the pool to reconnect on its own (no restart of Kassa).
    let ready = 0;
    for (let i = 0; i < 300 && ready !== 200; i++) {
      ready = (await request(kassa, 'GET', '/health/ready')).status;
      if (ready !== 200) await sleep(100);
    }
    assert.equal(ready, 200);
    const read = await request(kassa, 'GET', `/client-session?clientToken=${token}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.orderId, 'order-1', 'the PATCH refused during the outage changed nothing');
    const patched = await request(kassa, 'PATCH', '/client-session', { clientToken: created.body.clientToken, orderId: 'order-2' });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.orderId, 'order-2');
    assert.equal((await request(kassa, 'POST', '/client-session', { orderId: 'order-4' })).status, 200);
    await kassa.stop();
    await db.drop();
  });

  test('a database that stops answering without closing connections (frozen host) gives 503s after KASSA_DB_TIMEOUT_MS, not hung requests', async () => {
    const db = await freshDatabase(pg.url);
    const kassa = await startKassa({ DATABASE_URL: db.url, KASSA_API_KEY: API_KEY, KASSA_DB_POOL_SIZE: '2', KASSA_DB_TIMEOUT_MS: '1500' });
    running.push(kassa);
    const created = await request(kassa, 'POST', '/client-session', { orderId: 'order-1', amount: 100, currencyCode: 'GBP' });
    assert.equal(created.status, 200);
    const token = encodeURIComponent(created.body.clientToken);

    pg.freeze();
    try {
      // More requests than pooled connections: the ones queued for a connection are bounded too.
      const answers = await Promise.all([
        request(kassa, 'GET', `/client-session?clientToken=${token}`),
        request(kassa, 'GET', `/client-session?clientToken=${token}`),
        request(kassa, 'PATCH', '/client-session', { clientToken: created.body.clientToken, orderId: 'order-2' }),
        request(kassa, 'GET', '/health/ready'),
      ]);
      for (const answer of answers) {
        assert.equal(answer.status, 503, JSON.stringify(answer.body));
        assert.equal(answer.body.error.errorId, 'ServiceUnavailable');
      }
    } finally {
      pg.thaw();
    }
    let ready = 0;
    for (let i = 0; i < 300 && ready !== 200; i++) {
      ready = (await request(kassa, 'GET', '/health/ready')).status;
      if (ready !== 200) await sleep(100);
    }
    assert.equal(ready, 200);
    const read = await request(kassa, 'GET', `/client-session?clientToken=${token}`);
    assert.equal(read.status, 200);
    await kassa.stop();
    await db.drop();
  });

  test('a database that is down at start-up: one clear line naming the server (never the password) and exit code 1', async () => {
    // Nothing listens there: below the ephemeral range, no other process is handed it meanwhile.
    const port = await restartablePort();
    const exited = await runKassa(
      [],
      {
        DATABASE_URL: `postgres://kassa:hunter2-secret@127.0.0.1:${port}/kassa`,
        KASSA_API_KEY: API_KEY,
      },
      'src/main.ts',
    );
    assert.equal(exited.code, 1);
    const output = exited.stdout + exited.stderr;
    // Besides the warning a Node past its end of life gets at every start (test/e2e/start.e2e.test.ts).
    const lines = output
      .trim()
      .split('\n')
      .filter((line) => !/reached end of life/.test(line));
    assert.equal(lines.length, 1, output);
    assert.match(
      lines[0]!,
      new RegExp(`^kassa: failed to start: cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}/kassa: .*ECONNREFUSED`),
    );
    assert.doesNotMatch(output, /hunter2/);
  });
});
