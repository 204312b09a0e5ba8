// engines: sqlite
// End to end: the real server process, real HTTP over loopback, SIGTERM. Requests are held in flight
// with Expect: 100-continue: the server says when it has a request, and the test sends the rest of
// the body when it chooses. Connections are raw sockets, so the test sees exactly which answers
// arrive, with which Connection header, and which side closes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { startKassa as startServer, type KassaProcess } from '../support/process.ts';

const KEY = 'kassa_e2e_key_0123456789abcdef';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Date.now() when the whole answer had arrived. */
  at: number;
}

/** One client connection on a raw socket: what it sent, the answers it got, and when it was closed. */
class Connection {
  readonly answers: Answer[] = [];
  continues = 0;
  /** Date.now() when the socket closed; the test never closes one before it has seen the close. */
  closedAt: number | undefined;
  private buffer = Buffer.alloc(0);

  private constructor(readonly socket: Socket) {
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on('close', () => {
      this.closedAt = Date.now();
    });
  }

  static open(port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => resolve(new Connection(socket)));
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /**
   * Waits until `ready()` holds. The bound only stops a broken server from hanging the test: it is a
   * safety net, not a measurement, so it is generous enough for a machine at load 10.
   */
  async until(ready: () => boolean, what: string, boundMs = 30_000): Promise<void> {
    const end = Date.now() + boundMs;
    while (!ready()) {
      if (Date.now() > end) assert.fail(`${what} within ${boundMs} ms (answers: ${JSON.stringify(this.answers.map((a) => a.status))})`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private parse(): void {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...fields] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(statusLine!.split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const field of fields) {
        const colon = field.indexOf(':');
        headers[field.slice(0, colon).trim().toLowerCase()] = field.slice(colon + 1).trim();
      }
      const length = status === 100 ? 0 : Number(headers['content-length']);
      assert.ok(Number.isInteger(length), `an answer without Content-Length: ${statusLine}`);
      if (this.buffer.length < end + 4 + length) return;
      const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(end + 4 + length);
      if (status === 100) this.continues++;
      else this.answers.push({ status, headers, body, at: Date.now() });
    }
  }
}

const sessionBody = (orderId: string, amount: number) => JSON.stringify({ orderId, currencyCode: 'EUR', amount });

const createRequest = (body: string, expectContinue: boolean) =>
  'POST /client-session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Api-Version: 2.4\r\n' +
  `X-Api-Key: ${KEY}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${expectContinue ? 'Expect: 100-continue\r\n' : ''}\r\n`;

/**
 * A keep-alive connection (it has had one answer already) with a request the server has received
 * and waits to finish: the headers are in, 100 Continue came back, ten bytes of the body were sent.
 */
async function requestInFlight(port: number, body: string): Promise<Connection> {
  const connection = await Connection.open(port);
  connection.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await connection.until(() => connection.answers.length === 1, 'the first answer');
  assert.equal(connection.answers[0]!.headers.connection, 'keep-alive');
  connection.write(createRequest(body, true));
  await connection.until(() => connection.continues === 1, '100 Continue');
  connection.write(body.slice(0, 10));
  return connection;
}

/** Resolves with the exit and the time it happened: call it before the signal is sent. */
const exitTime = (server: KassaProcess) => server.exited.then((exit) => ({ ...exit, at: Date.now() }));

const sessionsStored = (db: string, orderIdPrefix: string): number => {
  const check = new Database(db, { readonly: true });
  const rows = check.prepare('SELECT data FROM sessions WHERE data LIKE ?').all(`%"orderId":"${orderIdPrefix}%`);
  check.close();
  return rows.length;
};

test('SIGTERM: the server stops accepting, finishes the request in flight, closes storage and exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-term-'));
  const db = join(dir, 'kassa.db');
  const server = await startServer({ DATABASE_URL: `sqlite:${db}`, KASSA_API_KEY: KEY, KASSA_RATE_LIMIT: 'off' });
  try {
    const body = JSON.stringify({ orderId: 'in-flight-order', currencyCode: 'EUR', amount: 1234 });
    const socket = connect(server.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const waitReceived = async (pattern: RegExp) => {
      for (let i = 0; i < 2000 && !pattern.test(received); i++) await new Promise((r) => setTimeout(r, 5));
      assert.match(received, pattern);
    };
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    // Expect: 100-continue makes the server say when it has the request: from then on it is in flight.
    socket.write(
      'POST /client-session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Api-Version: 2.4\r\n' +
        `X-Api-Key: ${KEY}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await waitReceived(/HTTP\/1\.1 100 Continue/);
    socket.write(body.slice(0, 10));

    server.child.kill('SIGTERM');
    await server.waitFor(/shutting down/);
    // No new connections are accepted.
    const refused = await fetch(`${server.url}/health`).then(
      () => false,
      () => true,
    );
    assert.ok(refused, 'a new connection was accepted during shutdown');

    socket.write(body.slice(10));
    await waitReceived(/HTTP\/1\.1 200 OK[\s\S]*\r\n\r\n[\s\S]*"clientToken"/);
    assert.match(received, /"amount":1234/);
    // The answer tells the client not to send more on this connection, and the server closes it.
    assert.match(received, /\r\nConnection: close\r\n/i);
    await closed;

    const { code } = await server.exited;
    assert.equal(code, 0);
    assert.ok(server.lines.some((l) => /"msg":"stopped"/.test(l)));
    const check = new Database(db, { readonly: true });
    const rows = check.prepare("SELECT data FROM sessions WHERE data LIKE '%in-flight-order%'").all();
    check.close();
    assert.equal(rows.length, 1);
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM: the wait is bounded: a request that never finishes is cut after KASSA_SHUTDOWN_TIMEOUT_MS', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-term-'));
  const server = await startServer({
    DATABASE_URL: `sqlite:${join(dir, 'kassa.db')}`,
    KASSA_API_KEY: KEY,
    KASSA_SHUTDOWN_TIMEOUT_MS: '300',
  });
  try {
    const socket = connect(server.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    socket.write(
      'POST /client-session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `X-Api-Key: ${KEY}\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n{"orderId":`,
    );
    for (let i = 0; i < 2000 && !/100 Continue/.test(received); i++) await new Promise((r) => setTimeout(r, 5));
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    assert.equal(code, 1, 'a forced shutdown says so in its exit code');
    assert.ok(server.lines.some((l) => /shutdown wait ran out/.test(l)));
    socket.destroy();
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM under load: every request received is answered with Connection: close, idle and half-sent connections close without waiting for the drain, late requests get a 503 envelope, exit 0 right after the last answer', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-term-'));
  const db = join(dir, 'kassa.db');
  // A deadline far beyond any wait here: an exit before it comes from the last answer, on any machine.
  const deadlineMs = 120_000;
  const server = await startServer({
    DATABASE_URL: `sqlite:${db}`,
    KASSA_API_KEY: KEY,
    KASSA_RATE_LIMIT: 'off',
    KASSA_SHUTDOWN_TIMEOUT_MS: String(deadlineMs),
  });
  const all: Connection[] = [];
  try {
    // Connected with no request yet (a browser's preconnect), or part of one (a slow client).
    const silent = await Connection.open(server.port);
    const halfSent = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const connection = await Connection.open(server.port);
        connection.write(`POST /client-session HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Version: 2.4\r\nX-Request-Id: half-${i}\r\n`);
        return connection;
      }),
    );
    // Kept alive after an answer, as a load balancer's pool keeps them.
    const idle = await Promise.all(
      [0, 1, 2].map(async () => {
        const connection = await Connection.open(server.port);
        connection.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        await connection.until(() => connection.answers.length === 1, 'the health answer');
        return connection;
      }),
    );
    const bodies = Array.from({ length: 32 }, (_, i) => sessionBody(`drain-${i}`, 1000 + i));
    const busy = await Promise.all(bodies.map((body) => requestInFlight(server.port, body)));
    // One more in flight, on which the client will send another request after the signal.
    const lateBody = sessionBody('before-late', 999);
    const pipelined = await requestInFlight(server.port, lateBody);
    all.push(silent, ...halfSent, ...idle, ...busy, pipelined);

    const exit = exitTime(server);
    server.child.kill('SIGTERM');
    const shuttingDown = JSON.parse(await server.waitFor(/shutting down/)) as { inFlight: number; closedConnections: number };
    assert.equal(shuttingDown.inFlight, 33);
    assert.equal(shuttingDown.closedConnections, 7);

    // Idle and half-sent connections are closed by the server (after the grace a request on its way
    // gets) while requests are in flight: they do not wait for the drain, let alone for the deadline.
    const quiet = [silent, ...halfSent, ...idle];
    await Promise.all(quiet.map((c) => c.until(() => c.closedAt !== undefined, 'an idle or half-sent connection closed by the server')));
    assert.ok(
      [...busy, pipelined].every((c) => c.closedAt === undefined && c.answers.length === 1),
      'a connection with a request in flight was closed, or answered before its body',
    );
    assert.deepEqual(
      idle.map((c) => c.answers.length),
      [1, 1, 1],
    );
    assert.deepEqual(
      [silent, ...halfSent].map((c) => c.answers.length),
      [0, 0, 0, 0],
    );

    // The rest of each body; on one connection, a second request right behind it (sent before the
    // client could see the answer to the first).
    for (const [i, connection] of busy.entries()) connection.write(bodies[i]!.slice(10));
    pipelined.write(lateBody.slice(10) + createRequest(sessionBody('late', 1), false) + sessionBody('late', 1));

    await Promise.all(busy.map((c) => c.until(() => c.answers.length === 2 && c.closedAt !== undefined, 'the answer, then the close')));
    for (const [i, connection] of busy.entries()) {
      const answer = connection.answers[1]!;
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.headers.connection, 'close');
      assert.equal((JSON.parse(answer.body) as { amount: number }).amount, 1000 + i);
      assert.ok(connection.closedAt! >= answer.at);
    }

    // The late request is refused, not processed: a 503 in the error envelope, the last answer on
    // its connection (so it carries Connection: close, and the one before does not).
    await pipelined.until(() => pipelined.answers.length === 3 && pipelined.closedAt !== undefined, 'both answers, then the close');
    const [, before, late] = pipelined.answers;
    assert.equal(before!.status, 200, before!.body);
    assert.equal(before!.headers.connection, undefined);
    assert.equal(late!.status, 503);
    assert.equal(late!.headers.connection, 'close');
    assert.match(late!.headers['content-type']!, /^application\/json/);
    const envelope = JSON.parse(late!.body) as { error: { errorId: string; description: string; diagnosticsId: string } };
    assert.deepEqual(envelope, {
      error: {
        errorId: 'ServiceUnavailable',
        description: 'The server is shutting down.',
        diagnosticsId: late!.headers['x-request-id'],
        recoverySuggestion: 'Retry later.',
      },
    });

    const lastAnswer = Math.max(...[...busy, pipelined].flatMap((c) => c.answers.map((a) => a.at)));
    const { code, at } = await exit;
    assert.equal(code, 0, server.output());
    assert.ok(at - lastAnswer < deadlineMs / 2, `the process exited ${at - lastAnswer} ms after the last answer: at the deadline`);
    t.diagnostic(`exit ${at - lastAnswer} ms after the last answer`);

    // The 503 has its log line (and so its count: the same hook does both), with its diagnosticsId.
    const logged = server.lines.filter((l) => /"msg":"request"/.test(l)).map((l) => JSON.parse(l) as { status: number; requestId: string });
    assert.ok(logged.some((l) => l.status === 503 && l.requestId === envelope.error.diagnosticsId));
    assert.ok(server.lines.some((l) => /"msg":"stopped"/.test(l) && /"exitCode":0/.test(l)));
    assert.equal(sessionsStored(db, 'drain-'), 32);
    assert.equal(sessionsStored(db, 'before-late'), 1);
    assert.equal(sessionsStored(db, 'late"'), 0);
  } finally {
    for (const c of all) c.socket.destroy();
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

// `npm start` is what the README says to run. npm forwards SIGTERM and SIGINT to its child, waits for
// it, and exits with its code, or kills itself with the signal the child died of. Its child is sh
// running the script: unless the script execs node, a SIGTERM to npm kills sh and leaves node serving,
// and a SIGTERM to the group makes npm die of sh's signal while node is still draining.
for (const target of ['the npm process', 'the process group'] as const) {
  test(`npm start, SIGTERM to ${target}: node drains the request in flight, exits 0, and npm exits 0`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-term-'));
    const db = join(dir, 'kassa.db');
    const server = await startServer(
      { DATABASE_URL: `sqlite:${db}`, KASSA_API_KEY: KEY, KASSA_RATE_LIMIT: 'off' },
      { npmStart: true, detached: true },
    );
    const npmPid = server.child.pid!;
    const nodePid = (JSON.parse(await server.waitFor(/Server listening/)) as { pid: number }).pid;
    let inFlight: Connection | undefined;
    try {
      assert.notEqual(nodePid, npmPid, 'the server runs under npm');
      const body = sessionBody('npm-order', 4321);
      inFlight = await requestInFlight(server.port, body);

      const exit = exitTime(server);
      if (target === 'the npm process') process.kill(npmPid, 'SIGTERM');
      else process.kill(-npmPid, 'SIGTERM');
      await server.waitFor(/shutting down/);
      inFlight.write(body.slice(10));
      await inFlight.until(() => inFlight!.answers.length === 2 && inFlight!.closedAt !== undefined, 'the answer, then the close');
      const answer = inFlight.answers[1]!;
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.headers.connection, 'close');

      const { code, signal, at } = await exit;
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, server.output());
      assert.ok(at >= answer.at, 'npm exited before the request in flight was answered');
      assert.ok(server.lines.some((l) => /"msg":"stopped"/.test(l) && /"exitCode":0/.test(l)));
      // Node is gone too: nothing is left serving behind an exited npm.
      assert.throws(() => process.kill(nodePid, 0), { code: 'ESRCH' });
      assert.equal(sessionsStored(db, 'npm-order'), 1);
    } finally {
      inFlight?.socket.destroy();
      for (const pid of [-npmPid, nodePid]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * One client of the flood: a keep-alive connection sending requests back to back, the next as soon as
 * the answer to the last is in, until an answer says Connection: close or the server closes.
 */
class Flooder {
  sent = 0;
  readonly answers: Answer[] = [];
  /** The socket error it saw (ECONNRESET, EPIPE), with how many answers it had by then. */
  error: { code: string; afterAnswers: number; sent: number } | undefined;
  closed = false;
  private stop = false;

  constructor(
    readonly connection: Connection,
    private readonly request: (n: number) => string,
  ) {
    connection.socket.on('error', (err: NodeJS.ErrnoException) => {
      this.error ??= { code: err.code ?? String(err), afterAnswers: this.answers.length, sent: this.sent };
    });
    connection.socket.on('close', () => {
      this.closed = true;
    });
    connection.socket.on('data', () => {
      // Connection's own listener (added first) has parsed the answers by now.
      while (this.answers.length < connection.answers.length) {
        const answer = connection.answers[this.answers.length]!;
        this.answers.push(answer);
        if (answer.headers.connection === 'close') this.stop = true;
      }
      if (!this.stop && this.answers.length === this.sent && !this.closed) this.send();
    });
  }

  send(): void {
    this.sent++;
    this.connection.write(this.request(this.sent));
  }

  halt(): void {
    this.stop = true;
  }
}

test('SIGTERM under a flood: 32 keep-alive clients sending back to back all get an answer to every request, and no connection is reset', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kassa-term-'));
  const db = join(dir, 'kassa.db');
  const server = await startServer({
    DATABASE_URL: `sqlite:${db}`,
    KASSA_API_KEY: KEY,
    KASSA_RATE_LIMIT: 'off',
    KASSA_SHUTDOWN_TIMEOUT_MS: '120000',
  });
  const flooders: Flooder[] = [];
  try {
    for (let c = 0; c < 32; c++) {
      const connection = await Connection.open(server.port);
      const flooder = new Flooder(connection, (n) => {
        const body = sessionBody(`flood-${c}-${n}`, n);
        return createRequest(body, false) + body;
      });
      flooders.push(flooder);
    }
    for (const f of flooders) f.send();
    // The signal comes once every client has had a few answers: the flood is in full swing.
    const answered = () => flooders.reduce((sum, f) => sum + f.answers.length, 0);
    await flooders[0]!.connection.until(() => flooders.every((f) => f.answers.length >= 3), 'three answers on every connection');
    const before = answered();
    const exit = exitTime(server);
    server.child.kill('SIGTERM');
    const { code } = await exit;
    // Safety net only: every connection is closed once the process has exited.
    await flooders[0]!.connection.until(() => flooders.every((f) => f.closed), 'every connection closed');
    for (const f of flooders) f.halt();
    t.diagnostic(`${before} answers before the signal, ${answered() - before} after`);

    assert.deepEqual(
      flooders.flatMap((f, i) => (f.error ? [{ client: i, ...f.error }] : [])),
      [],
      'connections reset or broken before their answer',
    );
    for (const [i, f] of flooders.entries()) {
      // Every request sent was answered: the client sends the next only after the answer to the last.
      assert.equal(f.answers.length, f.sent, `client ${i}: ${f.sent} requests, ${f.answers.length} answers`);
      const last = f.answers.at(-1)!;
      assert.equal(last.headers.connection, 'close', `client ${i}: the last answer closes the connection`);
      for (const answer of f.answers.slice(0, -1)) assert.notEqual(answer.headers.connection, 'close');
      for (const answer of f.answers) {
        if (answer.status === 200) continue;
        assert.equal(answer.status, 503, answer.body);
        assert.equal(JSON.parse(answer.body).error.description, 'The server is shutting down.');
      }
    }
    assert.equal(code, 0, server.output());
    // Every 200 was a session stored, and nothing refused was.
    const created = flooders.reduce((sum, f) => sum + f.answers.filter((a) => a.status === 200).length, 0);
    assert.equal(sessionsStored(db, 'flood-'), created);
  } finally {
    for (const f of flooders) f.connection.socket.destroy();
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
