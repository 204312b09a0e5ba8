// The webhook-fairness scenario (issue #21's target, docs/webhooks.md "Fairness"): merchant B's 50
// endpoints point at a receiver that never answers, so each of B's sends hangs until Kassa's timeout;
// merchant A's one endpoint answers 204 at once. B's events come first (older), then A makes its events
// spread over a few seconds, and the scenario measures each of A's deliveries from the API's answer that
// made its event to its arrival at A's receiver. Target: p99 within 2 s, every one delivered.
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { apiHeaders } from './scenarios.ts';

export const FAIRNESS = 'webhook-fairness';
/** A's deliveries arrive within this long of their events (p99), with B's endpoints hanging. */
export const FAIRNESS_P99_MS = 2_000;
const B_ENDPOINTS = 50;
/** Events B makes first, each one delivery per endpoint: every endpoint has two sends to hang. */
const B_EVENTS = 2;
/** The delivery timeout Kassa runs with (its default): how long each of B's sends hangs. */
export const FAIRNESS_TIMEOUT_MS = 10_000;

export interface FairnessOptions {
  /** A running Kassa, started with FAIRNESS_ENV. */
  url: string;
  databaseUrl: string;
  /** The `kassa` command of the same build (dist/kassa/cli.js beside dist/kassa/main.js). */
  cli: string;
  /** A's events, evenly spread over `spreadSeconds`. */
  events: number;
  spreadSeconds: number;
  /** How long after A's last event a delivery still counts as arriving (a bound, so a starved run ends). */
  waitSeconds: number;
  log: (line: string) => void;
}

export interface FairnessResult {
  events: number;
  delivered: number;
  /** Undelivered events count as never arriving: a p99 past the wait is reported as null. */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Sends of B's held open by its receiver during the run (each one hung until Kassa's timeout). */
  bSendsHeld: number;
  bEndpoints: number;
  bEvents: number;
  timeoutMs: number;
}

/** Kassa's settings for the run: the default timeout, and room for B's 50 endpoints. */
export const FAIRNESS_ENV = {
  KASSA_WEBHOOK_TIMEOUT_MS: String(FAIRNESS_TIMEOUT_MS),
  KASSA_WEBHOOK_ENDPOINTS_MAX: String(B_ENDPOINTS + 10),
};

interface Receiver {
  url: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

const closing = (server: Server) => () =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** A's receiver: 204 at once, and the first arrival time of each order id it is told of. */
async function fastReceiver(): Promise<Receiver & { arrivals: Map<string, number> }> {
  const arrivals = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const orderId = /"orderId":"(fair-a-\d+)"/.exec(Buffer.concat(chunks).toString('utf8'))?.[1];
      if (orderId && !arrivals.has(orderId)) arrivals.set(orderId, at);
      res.statusCode = 204;
      res.end();
    });
  });
  return { url: await listen(server), arrivals, close: closing(server) };
}

/** B's receiver: reads each request and never answers (Kassa gives up at its timeout). */
async function hangingReceiver(): Promise<Receiver & { held(): number }> {
  let held = 0;
  const server = createServer((req: IncomingMessage) => {
    req.resume();
    req.on('end', () => held++);
  });
  return { url: await listen(server), held: () => held, close: closing(server) };
}

function kassaCommand(cli: string, databaseUrl: string, args: string[]): Record<string, unknown> {
  const run = spawnSync(process.execPath, [cli, ...args, '--json'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`kassa ${args.join(' ')} exited with ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

/** A merchant of its own and an API key for it, made with the `kassa` command as an operator would. */
function merchantWithKey(cli: string, databaseUrl: string, name: string): string {
  const merchant = kassaCommand(cli, databaseUrl, ['merchants', 'create', name]);
  const key = kassaCommand(cli, databaseUrl, ['keys', 'create', '--merchant', String(merchant.id)]);
  return String(key.secret);
}

async function call(url: string, apiKey: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: apiHeaders(apiKey), body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const session = (orderId: string) => ({ orderId, currencyCode: 'EUR', amount: 1000 });
const events = ['CLIENT_SESSION.CREATED'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** The value below which `share` of `sorted` lie (nearest rank). */
const percentile = (sorted: readonly number[], share: number) => sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)];

export async function measureFairness(o: FairnessOptions): Promise<FairnessResult> {
  const [fast, hanging] = await Promise.all([fastReceiver(), hangingReceiver()]);
  try {
    // Names unique per run: against a --database-url the merchants of earlier runs are still there.
    const run = Date.now().toString(36);
    const keyA = merchantWithKey(o.cli, o.databaseUrl, `bench fairness A ${run}`);
    const keyB = merchantWithKey(o.cli, o.databaseUrl, `bench fairness B ${run}`);
    for (let i = 0; i < B_ENDPOINTS; i++) await call(o.url, keyB, '/kassa/webhook-endpoints', { url: `${hanging.url}/b/${i}`, events });
    await call(o.url, keyA, '/kassa/webhook-endpoints', { url: `${fast.url}/a`, events });

    // B's events first: older than all of A's, so "oldest first" alone would send every one of B's first.
    for (let i = 0; i < B_EVENTS; i++) await call(o.url, keyB, '/client-session', session(`fair-b-${i}`));
    o.log(`${FAIRNESS}: B's ${B_EVENTS * B_ENDPOINTS} deliveries made; A makes ${o.events} events over ${o.spreadSeconds} s`);

    // A's events on a fixed schedule, each sent on time whether or not the one before was answered.
    const madeAt = new Map<string, number>();
    const start = performance.now();
    const gap = (o.spreadSeconds * 1000) / o.events;
    await Promise.all(
      Array.from({ length: o.events }, async (_, i) => {
        await sleep(start + i * gap - performance.now());
        const orderId = `fair-a-${i}`;
        await call(o.url, keyA, '/client-session', session(orderId));
        // The event is committed before the answer: latency runs from the answer (never counts less).
        madeAt.set(orderId, performance.now());
      }),
    );
    const until = performance.now() + o.waitSeconds * 1000;
    while (fast.arrivals.size < o.events && performance.now() < until) await sleep(50);

    const latencies = [...madeAt].map(([id, at]) => (fast.arrivals.has(id) ? Math.max(0, fast.arrivals.get(id)! - at) : Infinity));
    latencies.sort((a, b) => a - b);
    const shown = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : Math.round(v));
    return {
      events: o.events,
      delivered: latencies.filter(Number.isFinite).length,
      p50Ms: shown(percentile(latencies, 0.5)),
      p99Ms: shown(percentile(latencies, 0.99)),
      maxMs: shown(latencies.at(-1)),
      bSendsHeld: hanging.held(),
      bEndpoints: B_ENDPOINTS,
      bEvents: B_EVENTS,
      timeoutMs: FAIRNESS_TIMEOUT_MS,
    };
  } finally {
    // B's receiver first: the sends it holds end, so Kassa can stop without waiting out its timeout.
    await hanging.close();
    await fast.close();
  }
}

export function fairnessTargets(r: FairnessResult): Array<{ what: string; met: boolean }> {
  const p99 = r.p99Ms === null ? 'not within the wait' : `${r.p99Ms} ms`;
  return [
    {
      what: `${FAIRNESS}: merchant A's deliveries p99 ${p99} after their events, B's ${r.bEndpoints} endpoints hanging (target <= ${FAIRNESS_P99_MS} ms)`,
      met: r.p99Ms !== null && r.p99Ms <= FAIRNESS_P99_MS,
    },
    { what: `${FAIRNESS}: ${r.delivered} of A's ${r.events} events delivered (target all)`, met: r.delivered === r.events },
  ];
}
