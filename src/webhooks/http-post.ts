// One POST to a webhook receiver with node:http(s) and keep-alive agents: a delivery costs a fraction
// of what fetch costs per request (measured with the pay-hooked bench scenario), and connections to a
// receiver are reused. Redirects are answers like any other (never followed). The receiver is not
// trusted: the connection goes only where `destinations` allows (its lookup is the socket's), one
// timer bounds the whole exchange from connect to the last byte, and only the first KEPT_BODY bytes
// of the answer are read: then the connection is dropped (an endless body costs Kassa 4 KiB, not 10 s
// of CPU). Never rejects: a failure comes back as a reason in Kassa's words (`describeFailure`).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { DestinationRefused, type Destinations } from './destination.ts';

const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 32 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 32 }) };

/** Bytes of a receiver's answer body kept (for the delivery log); the rest is never read. */
export const KEPT_BODY = 4096;

/** The receiver answered: its status, headers and the first KEPT_BODY bytes of its body. */
export interface Answer {
  kind: 'answer';
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: string;
  /** The body was longer than what was kept, or the timeout cut it. */
  truncated: boolean;
  durationMs: number;
}

export type FailureReason = 'timeout' | 'refused' | 'closed' | 'not-http' | 'tls' | 'destination' | 'dns' | 'unreachable';

export interface Failure {
  kind: 'failure';
  reason: FailureReason;
  durationMs: number;
}

/** What an attempt's log says for a failure: Kassa's words, never a library's message (which would make /test a port scanner's probe). */
export function describeFailure(reason: FailureReason, timeoutMs: number): string {
  switch (reason) {
    case 'timeout':
      return `No answer within ${timeoutMs / 1000} s.`;
    case 'refused':
      return 'The connection was refused.';
    case 'closed':
      return 'The connection closed before an answer.';
    case 'not-http':
      return 'The receiver did not answer with HTTP.';
    case 'tls':
      return 'TLS failed.';
    case 'destination':
      return 'The destination is not allowed.';
    case 'dns':
      return "The receiver's name did not resolve.";
    case 'unreachable':
      return 'The receiver could not be reached.';
  }
}

class DeliveryTimeout extends Error {}

const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|EPROTO$)/;

/** A network error's reason, by its code (never by its message). */
function reasonOf(error: unknown): FailureReason {
  if (error instanceof DeliveryTimeout) return 'timeout';
  if (error instanceof DestinationRefused) return 'destination';
  const code = String((error as { code?: unknown }).code ?? '');
  if (code === 'ECONNREFUSED') return 'refused';
  if (code.startsWith('HPE_')) return 'not-http';
  if (TLS_CODE.test(code) || (error as { library?: unknown }).library === 'SSL routines') return 'tls';
  if (code === 'ENOTFOUND' || code.startsWith('EAI_')) return 'dns';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'closed';
  return 'unreachable';
}

export interface PostOptions {
  timeoutMs: number;
  destinations: Pick<Destinations, 'lookup' | 'refusedHost'>;
}

/** POSTs `body` and resolves with the receiver's answer, or why there was none. */
export function postJson(url: string, headers: Record<string, string>, body: string, options: PostOptions): Promise<Answer | Failure> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  // A literal address is never looked up, so it is checked here; a name, by the lookup the socket calls.
  if (options.destinations.refusedHost(target.hostname)) return Promise.resolve({ kind: 'failure', reason: 'destination', durationMs: 0 });
  return new Promise((resolve) => {
    let settled = false;
    let answer: Answer | undefined;
    const kept: Buffer[] = [];
    let size = 0;
    /** The answer with the body kept so far. */
    const answered = (truncated: boolean): Answer => ({
      ...answer!,
      body: Buffer.concat(kept).subarray(0, KEPT_BODY).toString('utf8'),
      truncated,
      durationMs: elapsed(),
    });
    const finish = (outcome: Answer | Failure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = (secure ? httpsRequest : httpRequest)(
      target,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        lookup: options.destinations.lookup,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res: IncomingMessage) => {
        answer = { kind: 'answer', statusCode: res.statusCode ?? 0, headers: flatHeaders(res), body: '', truncated: false, durationMs: 0 };
        const done = (truncated: boolean) => finish(answered(truncated));
        res.on('data', (chunk: Buffer) => {
          kept.push(chunk);
          size += chunk.length;
          if (size > KEPT_BODY) {
            // Enough for the log: drop the connection rather than read a body of any length.
            done(true);
            req.destroy();
          }
        });
        res.on('end', () => done(false));
        res.on('error', () => done(true));
      },
    );
    // From the first byte to the last: a receiver that trickles its headers or its body is cut here,
    // keeping the status it sent, if any.
    const timer = setTimeout(() => {
      if (answer) finish(answered(true));
      req.destroy(new DeliveryTimeout());
    }, options.timeoutMs);
    req.on('error', (error) => {
      if (answer) return finish(answered(true));
      finish({ kind: 'failure', reason: reasonOf(error), durationMs: elapsed() });
    });
    req.end(body);
  });
}

function flatHeaders(res: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out[name] = value;
  return out;
}
