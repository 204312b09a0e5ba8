// `import { startKassa } from 'kassa/testing'` (docs/testing.md): a Kassa of its own for a test suite,
// on a free port with SQLite in a temporary folder, its API key, a webhook receiver that verifies
// signatures, and the sandbox controls (docs/sandbox.md) as functions. Self-contained: it talks to the
// server over HTTP only, so what a test drives is what a merchant's code meets.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver } from './receiver.ts';
import { startServer, type ServerProcess } from './server.ts';

export interface StartKassaOptions {
  /** More of Kassa's environment variables (docs/operations.md), e.g. `KASSA_CHECKOUT_CONFIG`; they win over startKassa's own. */
  env?: Record<string, string>;
  /** The API key the tests send (at least 20 characters); a random one by default. */
  apiKey?: string;
  /** Longest wait for the server to listen (ms); 30 000 by default. */
  startTimeoutMs?: number;
}

/** A JSON answer or body, which a test reads field by field. */
// biome-ignore lint/suspicious/noExplicitAny: a test reads Kassa's answers as loosely as JSON.parse does
export type Json = Record<string, any>;

/** Primer's client session answer (POST /client-session). */
export interface ClientSession {
  clientToken: string;
  clientTokenExpirationDate: string;
  orderId?: string;
  currencyCode?: string;
  amount?: number;
  [field: string]: unknown;
}

/** The sandbox's clock for the merchant (GET/POST /kassa/sandbox/clock). */
export interface SandboxClock {
  now: string;
  offsetSeconds: number;
}

/** A fault for the merchant's next matching requests (POST /kassa/sandbox/faults). */
export interface FaultSpec {
  /** A method and route template as in the OpenAPI document, e.g. `POST /payments`. */
  operation: string;
  status: 429 | 500 | 502 | 503 | 504 | 'timeout';
  /** How many matching requests get it. */
  times?: number;
  /** `before`: nothing is processed; `after`: the change commits, then the answer is replaced. */
  phase?: 'before' | 'after';
  /** With `timeout`: how long the connection is held before it is closed. */
  delayMs?: number;
}

/** An event to send now for an existing object (POST /kassa/sandbox/events). */
export type TriggerSpec = { type: string; paymentId: string } | { type: string; clientSessionId: string };

/** Primer's error envelope, thrown for any answer that is not 2xx. */
export class KassaApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: { errorId?: string; description?: string } } | undefined,
    what: string,
  ) {
    super(`${what}: ${status} ${body?.error?.errorId ?? ''} ${body?.error?.description ?? ''}`.trim());
    this.name = 'KassaApiError';
  }
  get errorId(): string | undefined {
    return this.body?.error?.errorId;
  }
}

export interface Kassa {
  /** http://127.0.0.1:<port>: the API, the SDK routes, the 3DS and redirect pages, the dashboard. */
  url: string;
  /** An API key of the merchant with every scope, `sandbox:write` included. */
  apiKey: string;
  merchantId: string;
  /** The temporary folder holding the SQLite database; close() removes it. */
  dataDir: string;
  /** One call with the API key (X-Api-Version 2.4); the parsed answer, or a KassaApiError. */
  api<T = Json>(method: string, path: string, body?: unknown): Promise<T>;
  /** POST /client-session: `body` over a default order (a fresh orderId, 10.00 EUR). */
  createSession(body?: Record<string, unknown>): Promise<ClientSession>;
  /** Moves the merchant's clock forward: what the time passing would do happens now. */
  advanceClock(seconds: number): Promise<SandboxClock>;
  /** Adds a fault; answers it with its id. */
  fault(spec: FaultSpec): Promise<{ id: string } & Record<string, unknown>>;
  /** Records and delivers an event for an existing payment or session; answers the event. */
  trigger(spec: TriggerSpec): Promise<Json>;
  /** Empties the merchant's sessions, payments, events, faults and clock (keeps its keys and endpoints); answers the counts removed. */
  reset(): Promise<{ merchantId: string; removed: Record<string, number> }>;
  /** The merchant's webhook endpoint for every payment event, verifying each delivery's signatures. */
  webhooks: WebhookReceiver;
  /** Stops the server and the receiver and removes the folder. */
  close(): Promise<void>;
}

/** One delivery the receiver took: both signatures held. */
export interface WebhookEvent {
  /** X-Kassa-Delivery-Id: the same on every attempt of a delivery (a repeat is kept again). */
  deliveryId: string;
  /** The body's eventType: PAYMENT.STATUS, PAYMENT.REFUND, … */
  eventType: string;
  /** The parsed body. */
  body: Json;
  /** The body exactly as sent. */
  raw: string;
  headers: IncomingHttpHeaders;
}

export interface WaitOptions {
  /** How long to wait before rejecting (ms); 10 000 by default. */
  timeoutMs?: number;
}

export interface WebhookReceiver {
  /** Where Kassa sends: http://127.0.0.1:<port>/webhooks. */
  url: string;
  /** The endpoint's signing secret. */
  secret: string;
  /** Every verified delivery, in the order received. */
  events: WebhookEvent[];
  /** Deliveries refused (answered 401) because a signature did not verify. */
  rejected: number;
  /** The first event, received or to come, that `predicate` accepts; rejects after `timeoutMs`. */
  waitFor(predicate: (event: WebhookEvent) => boolean, options?: WaitOptions): Promise<WebhookEvent>;
  /** The status the receiver answers verified deliveries with from now on (204 by default): a 5xx makes Kassa retry. */
  respondWith(status: number): void;
  close(): Promise<void>;
}

/** The merchant Kassa makes at start-up, whose key KASSA_API_KEY is (src/merchants/merchants.ts). */
const DEFAULT_MERCHANT = 'mer_default';

/** What is still running, stopped when the test process exits without close(). */
const open = new Set<{ server: ServerProcess; dataDir: string }>();
process.once('exit', () => {
  for (const { server, dataDir } of open) {
    server.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

export async function startKassa(options: StartKassaOptions = {}): Promise<Kassa> {
  const apiKey = options.apiKey ?? `kassa_test_${randomBytes(16).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'kassa-testing-'));
  let webhooks: WebhookReceiver;
  let server: ServerProcess;
  try {
    webhooks = await startReceiver();
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  try {
    server = await startServer(
      {
        // Only these, never the test's own environment: a DATABASE_URL or KASSA_MODE set for the app under test must not leak in.
        PATH: process.env.PATH ?? '',
        DATABASE_URL: `sqlite:${join(dataDir, 'kassa.db')}`,
        KASSA_API_KEY: apiKey,
        KASSA_WEBHOOK_URL: webhooks.url,
        KASSA_WEBHOOK_SECRET: webhooks.secret,
        // A suite sends requests as fast as it can; a limit would make them fail by the machine's speed.
        KASSA_RATE_LIMIT: 'off',
        LOG_LEVEL: 'info',
        ...options.env,
      },
      options.startTimeoutMs ?? 30_000,
    );
  } catch (error) {
    await webhooks.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const running = { server, dataDir };
  open.add(running);

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        'x-api-key': apiKey,
        'x-api-version': '2.4',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) throw new KassaApiError(response.status, parsed as KassaApiError['body'], `${method} ${path}`);
    return parsed as T;
  };

  let closed: Promise<void> | undefined;
  return {
    url: server.url,
    apiKey,
    merchantId: DEFAULT_MERCHANT,
    dataDir,
    api,
    createSession: (body = {}) =>
      api<ClientSession>('POST', '/client-session', { orderId: `order-${randomUUID()}`, currencyCode: 'EUR', amount: 1000, ...body }),
    advanceClock: (seconds) => api<SandboxClock>('POST', '/kassa/sandbox/clock', { advanceSeconds: seconds }),
    fault: (spec) => api('POST', '/kassa/sandbox/faults', spec),
    trigger: (spec) => api('POST', '/kassa/sandbox/events', spec),
    reset: () => api('POST', '/kassa/sandbox/reset', {}),
    webhooks,
    close() {
      closed ??= (async () => {
        await server.stop();
        open.delete(running);
        await webhooks.close();
        rmSync(dataDir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
