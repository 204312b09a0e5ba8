// Sandbox faults (docs/sandbox.md, "Faults"): a merchant's next requests to an operation answered with
// an error status or a closed connection, before the request is served (nothing written) or after it
// committed (the answer replaced). The pipeline asks `forRequest` once the request's merchant is known
// (http/pipeline.ts); `replaceAnswer` is the route's last onSend step.
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Logger } from 'pino';
import { KassaError, type ErrorId } from '../../errors.ts';
import { envelope } from '../../http/envelope.ts';
import { then, type Awaitable } from '../../lib/awaitable.ts';
import type { Clock } from '../../lib/clock.ts';
import { newFaultId } from '../../lib/ids.ts';
import type { FaultPhase, FaultStatus, FaultStore, SandboxFault } from './fault.store.ts';
import { FaultView, STALE_MS } from './view.ts';

/** Faults one merchant may have at once. */
export const MAX_FAULTS = 100;
/** Uses one fault may have. */
export const MAX_TIMES = 1000;
/** Longest a fault's answer waits, or a timeout holds its connection. */
export const MAX_DELAY_MS = 30_000;
/** How long a timeout holds the connection when the fault names no delayMs. */
export const DEFAULT_TIMEOUT_MS = 5_000;
export const FAULT_HEADER = 'Kassa-Fault';

declare module 'fastify' {
  interface FastifyRequest {
    /** The fault this request got (phase after: its answer is replaced in onSend). */
    sandboxFault?: SandboxFault;
  }
}

const ERROR_OF: Record<Exclude<FaultStatus, 'timeout'>, ErrorId> = {
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** The error a fault answers with, in Primer's envelope (a 429 and a 503 say when to retry). */
function faultError(status: Exclude<FaultStatus, 'timeout'>): KassaError {
  return new KassaError(ERROR_OF[status], status === 429 || status === 503 ? { retryAfterSeconds: 1 } : {});
}

/** `POST /payments/{id}/capture` for Fastify's `/payments/:id/capture`: the OpenAPI document's spelling. */
export const operationName = (method: string, url: string) => `${method} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;

export interface NewFault {
  operation: string;
  status: FaultStatus;
  times?: number;
  phase?: FaultPhase;
  delayMs?: number;
}

export interface FaultMetrics {
  faultInjected(labels: { operation: string; status: string; phase: FaultPhase }): void;
}

export interface FaultDeps {
  store: { faults: FaultStore };
  clock: Clock;
  logger: Logger;
  metrics: FaultMetrics;
  /** Monotonic ms, for the view's age and the wait after an add (tests replace it). */
  monotonic?: () => number;
  /** Waits `ms` of real time (tests replace it). */
  sleep?: (ms: number) => Promise<void>;
}

export class FaultService {
  /** The operations a fault may name: every route with a merchant's key or a client token, but the sandbox's own. */
  private readonly operations = new Set<string>();
  private readonly view: FaultView;
  /** Connections a timeout holds, closed when the app closes. */
  private readonly held = new Set<{ timer: NodeJS.Timeout; close(): void }>();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: FaultDeps) {
    this.view = new FaultView(deps.store.faults, deps.monotonic, (err) => deps.logger.warn({ err }, 'could not read the sandbox faults'));
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** An onRoute hook: learns the operations faults may name. */
  readonly learnRoute = (route: RouteOptions): void => {
    const config = route.config as { scope?: string; sdk?: boolean } | undefined;
    // The sandbox's controls cannot be faulted: a test could lock itself out of removing its faults.
    if ((config?.scope === undefined && !config?.sdk) || route.url.startsWith('/kassa/sandbox/')) return;
    for (const method of [route.method].flat())
      if (method !== 'HEAD' && method !== 'OPTIONS') this.operations.add(operationName(method, route.url));
  };

  async add(merchantId: string, input: NewFault): Promise<SandboxFault> {
    const operation = input.operation.trim().replace(/\s+/, ' ');
    const [method = '', path = ''] = operation.split(' ');
    const named = operationName(method.toUpperCase(), path);
    if (!this.operations.has(named)) {
      throw new KassaError('UnknownOperation', {
        detail: `"${input.operation.slice(0, 200)}" is not an operation of this server. Name a method and a route template as the OpenAPI document does, e.g. "POST /payments", "GET /client-session" or "POST /payments/{id}/capture".`,
      });
    }
    const fault: SandboxFault = {
      id: newFaultId(),
      merchantId,
      operation: named,
      status: input.status,
      phase: input.phase ?? 'before',
      times: input.times ?? 1,
      timesLeft: input.times ?? 1,
      delayMs: input.delayMs ?? (input.status === 'timeout' ? DEFAULT_TIMEOUT_MS : 0),
      createdAt: this.deps.clock(),
    };
    if (!(await this.deps.store.faults.insert(fault, MAX_FAULTS))) {
      throw new KassaError('FaultLimitExceeded', {
        detail: `The merchant already has ${MAX_FAULTS} sandbox faults, the most Kassa allows.`,
      });
    }
    this.view.add(merchantId, named);
    // Every other process's view is at most STALE_MS old when it serves a request (view.ts): once this
    // has passed, the merchant's next request, wherever it lands, finds the fault.
    await this.sleep(STALE_MS + 5);
    return fault;
  }

  list(merchantId: string): Promise<SandboxFault[]> {
    return this.deps.store.faults.list(merchantId);
  }

  async delete(merchantId: string, id: string): Promise<void> {
    if (!(await this.deps.store.faults.delete(merchantId, id))) {
      throw new KassaError('NotFound', { detail: 'The merchant has no sandbox fault with this id.' });
    }
  }

  clear(merchantId: string): Promise<number> {
    return this.deps.store.faults.deleteAll(merchantId);
  }

  /**
   * The pipeline's step, once the request's merchant is known, before its body is read. Nothing, at
   * once, for a merchant without a fault on the operation (the common case: no storage read). A fault
   * of phase before answers here (so nothing is written); one of phase after is kept for onSend.
   */
  forRequest(request: FastifyRequest, reply: FastifyReply, merchantId: string): Awaitable<void> {
    const url = request.routeOptions.url;
    if (url === undefined) return;
    const operation = operationName(request.method, url);
    return then(this.view.mayHave(merchantId, operation), (may) => {
      if (!may) return;
      const began = (this.deps.monotonic ?? performance.now.bind(performance))();
      return this.deps.store.faults.take(merchantId, operation).then((fault) => {
        if (fault === undefined) {
          this.view.none(merchantId, operation, began);
          return;
        }
        this.injected(request, fault);
        reply.header(FAULT_HEADER, fault.id);
        if (fault.phase === 'after') {
          request.sandboxFault = fault;
          return;
        }
        if (fault.status === 'timeout') return this.hold(request, reply, fault.delayMs);
        const error = faultError(fault.status);
        return fault.delayMs > 0 ? this.sleep(fault.delayMs).then(() => Promise.reject(error)) : Promise.reject(error);
      });
    });
  }

  /** The route's last onSend step: a fault of phase after replaces the answer the handler committed. */
  readonly replaceAnswer = (
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: (err: null, payload: unknown) => void,
  ): void => {
    const fault = request.sandboxFault;
    if (fault === undefined) {
      done(null, payload);
      return;
    }
    request.sandboxFault = undefined;
    if (fault.status === 'timeout') {
      void this.hold(request, reply, fault.delayMs);
      return;
    }
    const error = faultError(fault.status);
    const answer = () => {
      for (const name of ['etag', 'location', 'idempotent-replayed', 'content-length']) reply.removeHeader(name);
      if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
      reply.code(error.status).type('application/json; charset=utf-8');
      done(null, JSON.stringify(envelope(error, request.id)));
    };
    if (fault.delayMs > 0) void this.sleep(fault.delayMs).then(answer);
    else answer();
  };

  /** A timeout: no answer; the connection is closed after `ms`. The promise never settles (the request goes no further). */
  private hold(request: FastifyRequest, reply: FastifyReply, ms: number): Promise<void> {
    const close = () => {
      const socket = request.raw.socket as { destroy?: () => void } | undefined;
      if (typeof socket?.destroy === 'function') socket.destroy();
      else reply.raw.destroy();
    };
    const entry = {
      timer: setTimeout(() => {
        this.held.delete(entry);
        close();
      }, ms),
      close,
    };
    this.held.add(entry);
    return new Promise<void>(() => {});
  }

  private injected(request: FastifyRequest, fault: SandboxFault): void {
    const status = String(fault.status);
    this.deps.metrics.faultInjected({ operation: fault.operation, status, phase: fault.phase });
    request.log.warn(
      { requestId: request.id, merchantId: fault.merchantId, faultId: fault.id, operation: fault.operation, status, phase: fault.phase },
      'sandbox fault injected',
    );
  }

  /** Closes the connections timeouts still hold (the app is closing). */
  close(): void {
    for (const entry of this.held) {
      clearTimeout(entry.timer);
      entry.close();
    }
    this.held.clear();
  }
}
