// The ceiling: the least a server can do for Kassa's create, get and patch with Kassa's libraries
// (Fastify, Ajv through Fastify, fast-jwt, better-sqlite3 in WAL mode with group commit): the same
// requests, answered with the same bodies and the same headers Kassa's API promises (X-Request-Id,
// X-Api-Version, ETag), and nothing else: no guards, no warnings, no metrics, no logs, no rate limits,
// no idempotency. Its requests/s,
// measured in the same run as Kassa and the node:http baseline, show how much of the gap between
// Kassa and the baseline the libraries themselves cost; Kassa aims to stay within 15 % of it.
//
// It does, per request, what any correct implementation must:
// - create: parse and validate the body (Kassa's schema), look the API key up by its hash, sign a
//   client token, hash its access token, insert the session durably, serialize the answer;
// - get: look the key up, verify the token, read the session, answer it;
// - patch: look the key up, validate, verify the token, then read, merge, re-validate and write the
//   session as one step of the group-commit transaction (so concurrent PATCHes of one session all
//   apply), and answer it.
// Environment: PORT; CEILING_COMMIT: how writes are committed. `sync`, the default and what Kassa
// does: the event loop's connection writes in group transactions with synchronous=FULL, PATCH reads
// and writes inside the transaction. The alternatives Kassa measured and did not take
// (docs/performance.md, "Writes"): `worker`, a writer thread with its own connection commits while the
// event loop serves, and PATCHes of one session are computed one on the other while they commit;
// `fsync`, like sync, but COMMIT does not wait for the disk and the WAL is fsynced on libuv's thread
// pool before anyone is answered. CEILING_CACHE (`1`, the default: verified
// tokens and serialized sessions are kept in memory until the session changes; `0`: none).
import { createHash, randomBytes } from 'node:crypto';
import { fsync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';
import { createSigner, createVerifier } from 'fast-jwt';
import Fastify from 'fastify';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import {
  CreateSessionBody,
  GetSessionQuery,
  SessionResponse,
  SessionWithTokenResponse,
  UpdateSessionBody,
} from '../src/sessions/schemas.ts';

const API_KEY = process.env.CEILING_API_KEY ?? 'kassa_bench_key_0123456789abcdef';
const COMMIT = (['worker', 'fsync'] as const).find((m) => m === process.env.CEILING_COMMIT) ?? 'sync';
const CACHE = process.env.CEILING_CACHE !== '0';
const SECRET = randomBytes(32);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const EMAIL = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/u;

const dir = mkdtempSync(join(tmpdir(), 'kassa-ceiling-'));
const path = join(dir, 'ceiling.db');
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${COMMIT === 'sync' ? 'FULL' : 'NORMAL'}`);
db.exec(`
  CREATE TABLE api_keys (secret_hash TEXT PRIMARY KEY, merchant_id TEXT NOT NULL);
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, access_token_hash TEXT NOT NULL UNIQUE, data TEXT NOT NULL,
    version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
  CREATE INDEX sessions_merchant_created ON sessions(merchant_id, created_at DESC);
  CREATE INDEX sessions_expires ON sessions(expires_at);`);
db.prepare('INSERT INTO api_keys VALUES (?, ?)').run(sha256(API_KEY), 'mer_default');
const walFd = openSync(`${path}-wal`, 'r+');

const keyByHash = db.prepare('SELECT merchant_id FROM api_keys WHERE secret_hash = ?').pluck();
const insert = db.prepare('INSERT INTO sessions VALUES (?, ?, ?, ?, 1, ?, ?, ?)');
const byHash = db.prepare('SELECT id, merchant_id, data, version, expires_at FROM sessions WHERE access_token_hash = ?');
const update = db.prepare('UPDATE sessions SET data = ?, version = version + 1, updated_at = ? WHERE id = ?');
const versionOf = db.prepare('SELECT version FROM sessions WHERE access_token_hash = ?').pluck();
const [begin, commit, savepoint, release, rollbackTo] = ['BEGIN IMMEDIATE', 'COMMIT', 'SAVEPOINT w', 'RELEASE w', 'ROLLBACK TO w'].map(
  (s) => db.prepare(s),
);

// Group commit: the writes of one event-loop turn share one transaction, each in its own savepoint.
type Job = { write: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void };
let queue: Job[] = [];
// The reads of one event-loop turn share one read transaction, as Kassa's do (storage/sqlite/writer.ts):
// starting a read transaction takes the WAL's locks, system calls that cost more than the read.
const [beginRead, endReadStatement] = [db.prepare('BEGIN DEFERRED'), db.prepare('COMMIT')];
let readOpen = false;
const endRead = () => {
  if (readOpen) {
    readOpen = false;
    endReadStatement.run();
  }
};
const reading = () => {
  if (readOpen || COMMIT === 'worker') return;
  beginRead.run();
  readOpen = true;
  setImmediate(endRead);
};
const flush = () => {
  endRead();
  const batch = queue;
  queue = [];
  const out: Array<{ ok: boolean; v: unknown }> = [];
  begin.run();
  for (const job of batch) {
    savepoint.run();
    try {
      out.push({ ok: true, v: job.write() });
      release.run();
    } catch (error) {
      rollbackTo.run();
      release.run();
      out.push({ ok: false, v: error });
    }
  }
  commit.run();
  const settle = () => {
    for (const [i, job] of batch.entries()) {
      if (out[i]!.ok) job.resolve(out[i]!.v);
      else job.reject(out[i]!.v);
    }
  };
  if (COMMIT === 'sync') settle();
  else
    fsync(walFd, (error) => {
      if (!error) return settle();
      for (const job of batch) job.reject(error);
    });
};
const write = <T>(fn: () => T): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    if (queue.length === 0) setImmediate(flush);
    queue.push({ write: fn, resolve: resolve as (v: unknown) => void, reject });
  });

// The writer thread of CEILING_COMMIT=worker: plain CommonJS, evaluated (tsx does not reach workers).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const db = new (require(workerData.driver))(workerData.path);
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
const insert = db.prepare('INSERT INTO sessions VALUES (?, ?, ?, ?, 1, ?, ?, ?)');
const update = db.prepare('UPDATE sessions SET data = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?');
let pending = [];
parentPort.on('message', (m) => {
  if (pending.length === 0) setImmediate(() => {
    const batch = pending; pending = [];
    db.exec('BEGIN IMMEDIATE');
    const ok = batch.map((m) => { try { return m.row ? insert.run(...m.row).changes === 1 : update.run(...m.update).changes === 1; } catch { return false; } });
    db.exec('COMMIT');
    parentPort.postMessage(batch.map((m, i) => [m.id, ok[i]]));
  });
  pending.push(m);
});`;
const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
let nextId = 0;
const writer =
  COMMIT === 'worker'
    ? new Worker(WORKER, { eval: true, workerData: { path, driver: createRequire(import.meta.url).resolve('better-sqlite3') } })
    : undefined;
writer?.on('message', (results: Array<[number, boolean]>) => {
  for (const [id, ok] of results) {
    const w = waiting.get(id)!;
    waiting.delete(id);
    if (ok) w.resolve();
    else w.reject(new Error('insert failed'));
  }
});
const viaWorker = (message: { row: readonly unknown[] } | { update: readonly unknown[] }) =>
  new Promise<void>((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    writer!.postMessage({ id, ...message });
  });
/** PATCHes of one session still committing: the next one is computed on the last one's result. */
const committing = new Map<string, { id: string; data: Session; version: number }>();

const sign = createSigner({ key: SECRET, algorithm: 'HS256', kid: 'k1', noTimestamp: true });
const verify = createVerifier({ key: SECRET, algorithms: ['HS256'], ignoreExpiration: true, cache: false });
const base = 'http://localhost:8080';
const claims = {
  intent: 'CHECKOUT',
  configurationUrl: `${base}/client-sdk/configuration`,
  coreUrl: base,
  pciUrl: base,
  env: 'SANDBOX',
  paymentFlow: 'DEFAULT',
  analyticsUrlV2: `${base}/sdk-analytics`,
};

const tokens = new Map<string, string>();
const answers = new Map<string, { version: number; json: string }>();
function accessHash(clientToken: string): string | undefined {
  const known = CACHE ? tokens.get(clientToken) : undefined;
  if (known) return known;
  try {
    const payload = verify(clientToken) as { accessToken: string; exp: number };
    if (payload.exp * 1000 <= Date.now()) return undefined;
    const hash = sha256(payload.accessToken);
    if (CACHE) tokens.set(clientToken, hash);
    return hash;
  } catch {
    return undefined;
  }
}

type Session = Record<string, any>;
function amountOf(s: Session): number | undefined {
  if (s.amount !== undefined) return s.amount;
  const o = s.order;
  if (!o) return undefined;
  let total = 0n;
  for (const i of o.lineItems ?? [])
    total += BigInt(i.amount) * BigInt(i.quantity ?? 1) - BigInt(i.discountAmount ?? 0) + BigInt(i.taxAmount ?? 0);
  total += BigInt(o.shipping?.amount ?? 0);
  for (const f of o.fees ?? []) total += BigInt(f.amount);
  return Number(total);
}
const render = (s: Session) => ({ ...s, amount: amountOf(s) });

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const app = Fastify({
  logger: false,
  genReqId: (req) => {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
  },
  ajv: { customOptions: { allErrors: true, strict: false }, plugins: [(a: Ajv) => a.addFormat('idn-email', EMAIL)] },
});
const domainAjv = new Ajv({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv) => void)(domainAjv);
domainAjv.addFormat('idn-email', EMAIL);
const validateSession = domainAjv.compile(CreateSessionBody);
const fail = (reply: { code(n: number): { send(b: unknown): unknown } }, status: number) =>
  reply.code(status).send({ error: { errorId: String(status) } });
/** The headers every answer carries: its request id, the API version, the session's version. */
const contract = (
  request: { id: string; headers: Record<string, unknown> },
  reply: { header(k: string, v: string): unknown },
  etag: string,
) => {
  reply.header('X-Request-Id', request.id);
  reply.header('X-Api-Version', typeof request.headers['x-api-version'] === 'string' ? request.headers['x-api-version'] : '2.1');
  reply.header('ETag', etag);
};
const merchantOf = (headers: Record<string, unknown>) => {
  const key = headers['x-api-key'];
  if (typeof key !== 'string') return undefined;
  reading();
  return keyByHash.get(sha256(key)) as string | undefined;
};

app.post(
  '/client-session',
  { schema: { body: CreateSessionBody, response: { 200: SessionWithTokenResponse } } },
  async (request, reply) => {
    const merchant = merchantOf(request.headers);
    if (!merchant) return fail(reply, 401);
    const data = request.body as Session;
    const accessToken = randomBytes(20).toString('hex');
    const expiresAt = Date.now() + 86_400_000;
    const clientToken = sign({ exp: Math.floor(expiresAt / 1000), accessToken, ...claims });
    const now = Date.now();
    const json = JSON.stringify(data);
    const id = `cs_${randomBytes(15).toString('base64url')}`;
    const row = [id, merchant, sha256(accessToken), json, now, now, expiresAt] as const;
    await (COMMIT === 'worker' ? viaWorker({ row }) : write(() => insert.run(...row)));
    contract(request, reply, `"${id}.1"`);
    return { clientToken, clientTokenExpirationDate: new Date(expiresAt).toISOString().slice(0, 23), ...render(data) };
  },
);

app.get('/client-session', { schema: { querystring: GetSessionQuery } }, async (request, reply) => {
  const merchant = merchantOf(request.headers);
  if (!merchant) return fail(reply, 401);
  const hash = accessHash((request.query as { clientToken: string }).clientToken);
  if (!hash) return fail(reply, 400);
  const cached = CACHE ? answers.get(hash) : undefined;
  // A cached answer is used while the stored version is its version (several processes may write).
  reading();
  if (cached && cached.version === versionOf.get(hash)) {
    contract(request, reply, `"cs.${cached.version}"`);
    return reply.type('application/json; charset=utf-8').send(cached.json);
  }
  const row = byHash.get(hash) as { merchant_id: string; data: string; version: number; expires_at: number } | undefined;
  if (!row || row.merchant_id !== merchant || row.expires_at <= Date.now()) return fail(reply, 400);
  const json = JSON.stringify(render(JSON.parse(row.data)));
  if (CACHE) answers.set(hash, { version: row.version, json });
  contract(request, reply, `"cs.${row.version}"`);
  return reply.type('application/json; charset=utf-8').send(json);
});

app.patch('/client-session', { schema: { body: UpdateSessionBody, response: { 200: SessionResponse } } }, async (request, reply) => {
  const merchant = merchantOf(request.headers);
  if (!merchant) return fail(reply, 401);
  const { clientToken, ...patch } = request.body as Session;
  const hash = accessHash(clientToken);
  if (!hash) return fail(reply, 400);
  const merge = (current: Session) => {
    const next: Session = { ...current };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete next[k];
      else if ((k === 'customer' || k === 'order' || k === 'paymentMethod') && typeof v === 'object') next[k] = { ...current[k], ...v };
      else next[k] = v;
    }
    if (!validateSession(next)) throw new Error('invalid');
    return next;
  };
  type Row = { id: string; merchant_id: string; data: string; version: number; expires_at: number };
  let saved: Session | undefined;
  if (COMMIT === 'worker') {
    const known = committing.get(hash);
    let current = known;
    if (!current) {
      const row = byHash.get(hash) as Row | undefined;
      if (!row || row.merchant_id !== merchant || row.expires_at <= Date.now()) return fail(reply, 400);
      current = { id: row.id, data: JSON.parse(row.data) as Session, version: row.version };
    }
    const entry = { id: current.id, data: merge(current.data), version: current.version + 1 };
    committing.set(hash, entry);
    try {
      await viaWorker({ update: [JSON.stringify(entry.data), entry.version, Date.now(), entry.id, current.version] });
    } finally {
      if (committing.get(hash) === entry) committing.delete(hash);
    }
    saved = entry.data;
  } else {
    saved = await write(() => {
      const row = byHash.get(hash) as Row | undefined;
      if (!row || row.merchant_id !== merchant || row.expires_at <= Date.now()) return undefined;
      const next = merge(JSON.parse(row.data) as Session);
      update.run(JSON.stringify(next), Date.now(), row.id);
      return next;
    });
  }
  if (!saved) return fail(reply, 400);
  answers.delete(hash);
  contract(request, reply, `"cs.${Date.now()}"`);
  return render(saved);
});

app.get('/health', async () => ({ status: 'ok' }));

app
  .listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
  .then((address) => process.stdout.write(`ceiling listening at ${address}\n`));
const stop = () =>
  app.close().then(() => {
    db.close();
    void writer?.terminate();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
