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
//   apply), and answer it;
// - pay: tokenize (find the session by its access token, read the card, keep the token without the
//   number or CVV) and create the payment (look the key up, take the single-use token, write the
//   payment and its one event with the token's use in one transaction, answer Primer's payment).
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
import { isExpired, readCard } from '../src/payments/card-input.ts';
import { PaymentResponse } from '../src/payments/responses.ts';
import { CreatePaymentBody, TokenizeBody } from '../src/payments/schemas.ts';

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
  CREATE INDEX sessions_expires ON sessions(expires_at);
  CREATE TABLE tokens (token TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, session_id TEXT NOT NULL, data TEXT NOT NULL,
    used INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
  CREATE TABLE payments (id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, data TEXT NOT NULL, created_at INTEGER NOT NULL);
  CREATE INDEX payments_merchant_created ON payments(merchant_id, created_at DESC);
  CREATE TABLE payment_events (id TEXT PRIMARY KEY, payment_id TEXT NOT NULL, merchant_id TEXT NOT NULL, type TEXT NOT NULL,
    data TEXT NOT NULL, created_at INTEGER NOT NULL);
  CREATE INDEX payment_events_payment ON payment_events(payment_id);`);
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

// pay: the SDK tokenizes a card with the session's access token, then the merchant's server creates
// the payment with the token. Tokenize: find the session by the access token's hash, read the card
// (Kassa's reader: the checks any implementation must make), keep the token durably without the
// number or CVV. Create: look the key up, take the unused token of the merchant (single use), read the
// session for the amount, and write the payment, the token's use and the payment's one event (the
// history and the webhooks' outbox) in one transaction; answer the payment in Primer's schema.
const sessionByAccess = db.prepare('SELECT id, merchant_id, data, expires_at FROM sessions WHERE access_token_hash = ?');
const insertToken = db.prepare('INSERT INTO tokens VALUES (?, ?, ?, ?, 0, ?, ?)');
const tokenOf = db.prepare('SELECT merchant_id, session_id, data, used, expires_at FROM tokens WHERE token = ?');
const useToken = db.prepare('UPDATE tokens SET used = 1 WHERE token = ? AND used = 0');
const sessionById = db.prepare('SELECT data FROM sessions WHERE id = ?').pluck();
const insertPayment = db.prepare('INSERT INTO payments VALUES (?, ?, ?, ?)');
const insertEvent = db.prepare('INSERT INTO payment_events VALUES (?, ?, ?, ?, ?, ?)');
const primerDate = (ms: number) => new Date(ms).toISOString().slice(0, 23) + '000';
type Card = ReturnType<typeof readCard>['card'];

app.post('/payment-instruments', { schema: { body: TokenizeBody } }, async (request, reply) => {
  const access = request.headers['primer-client-token'];
  if (typeof access !== 'string') return fail(reply, 401);
  reading();
  const session = sessionByAccess.get(sha256(access)) as { id: string; merchant_id: string; data: string; expires_at: number } | undefined;
  if (!session || session.expires_at <= Date.now()) return fail(reply, 401);
  const now = Date.now();
  let card: Card;
  try {
    card = readCard((request.body as { paymentInstrument: unknown }).paymentInstrument, JSON.parse(session.data), now).card;
  } catch {
    return fail(reply, 400);
  }
  if (isExpired(card, now)) return fail(reply, 400);
  const token = `tok_${randomBytes(18).toString('base64url')}`;
  const analyticsId = `an_${randomBytes(18).toString('base64url')}`;
  const data = JSON.stringify({ card, analyticsId });
  await write(() => insertToken.run(token, session.merchant_id, session.id, data, now, now + 900_000));
  reply.header('X-Request-Id', request.id);
  return {
    token,
    tokenType: 'SINGLE_USE',
    analyticsId,
    isVaulted: false,
    paymentInstrumentType: 'PAYMENT_CARD',
    paymentMethodType: 'PAYMENT_CARD',
    paymentInstrumentData: card,
    threeDSecureAuthentication: { responseCode: 'NOT_PERFORMED' },
  };
});

app.post('/payments', { schema: { body: CreatePaymentBody, response: { 200: PaymentResponse } } }, async (request, reply) => {
  const merchant = merchantOf(request.headers);
  if (!merchant) return fail(reply, 401);
  const { paymentMethodToken } = request.body as { paymentMethodToken: string };
  const now = Date.now();
  const payment = await write(() => {
    const row = tokenOf.get(paymentMethodToken) as
      | { merchant_id: string; session_id: string; data: string; used: number; expires_at: number }
      | undefined;
    if (!row || row.merchant_id !== merchant || row.used === 1 || row.expires_at <= now) return undefined;
    const session = JSON.parse(sessionById.get(row.session_id) as string) as Session;
    const { card, analyticsId } = JSON.parse(row.data) as { card: Card; analyticsId: string };
    const id = `pay_${randomBytes(12).toString('base64url')}`;
    const transactionId = crypto.randomUUID();
    const date = primerDate(now);
    const amount = amountOf(session) ?? 0;
    const p = {
      id,
      date,
      dateUpdated: date,
      status: 'AUTHORIZED',
      cardTokenType: 'CARD_PAN',
      orderId: session.orderId,
      currencyCode: session.currencyCode,
      amount,
      paymentMethod: {
        paymentMethodToken,
        isVaulted: false,
        analyticsId,
        paymentMethodType: 'PAYMENT_CARD',
        paymentMethodData: card,
        threeDSecureAuthentication: { responseCode: 'NOT_PERFORMED' },
        authorizationType: 'FINAL',
      },
      processor: { name: 'KASSA_SANDBOX', processorMerchantId: 'kassa-sandbox', amountCaptured: 0, amountRefunded: 0 },
      transactions: [
        {
          id: transactionId,
          date,
          amount,
          currencyCode: session.currencyCode,
          orderId: session.orderId,
          transactionType: 'SALE',
          type: 'SALE',
          processorTransactionId: transactionId,
          processorName: 'KASSA_SANDBOX',
          processor: 'KASSA_SANDBOX',
          processorMerchantId: 'kassa-sandbox',
          processorStatus: 'AUTHORIZED',
          status: 'AUTHORIZED',
          cardTokenType: 'CARD_PAN',
        },
      ],
      riskData: { cvvCheck: { source: 'PROCESSOR', result: 'MATCHED' } },
    };
    useToken.run(paymentMethodToken);
    insertPayment.run(id, merchant, JSON.stringify(p), now);
    insertEvent.run(crypto.randomUUID(), id, merchant, 'PAYMENT.STATUS', JSON.stringify({ status: 'AUTHORIZED' }), now);
    return p;
  });
  if (!payment) return fail(reply, 400);
  reply.header('X-Request-Id', request.id);
  reply.header('X-Api-Version', typeof request.headers['x-api-version'] === 'string' ? request.headers['x-api-version'] : '2.1');
  return payment;
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
