// Graceful shutdown, the HTTP side: what the server does with its connections between SIGTERM and
// exit. Node's server.close() only stops accepting and closes connections that sit between
// requests; a connection that has sent part of a request (a browser's preconnect, a load
// balancer's pool, a slow client) would hold the process until the deadline, and keep-alive answers
// would invite clients to send more on a server that is leaving. So the drain keeps its own account
// of every connection and of the requests on it still waiting for their answer:
//
// - at the signal: take in what clients had already sent (one turn of the event loop reads what
//   waits in the kernel's buffers), then stop accepting and close every connection with no complete
//   request waiting: idle ones, and those that have sent part of a request or nothing at all;
// - every request already received is answered, and the last answer on a connection carries
//   `Connection: close` (HTTP/1.1: the server closes after it, and the client must not send more);
// - a request that still arrives on an open connection (sent before the client saw that answer) is
//   refused with a 503 envelope, logged and counted like any other answer, and not processed;
// - once the last answer is out, every connection still open is closed: the drain is over.
//
// Fastify's own close() is left for after the drain (server.ts): while it closes, Fastify answers
// late requests itself, with a body that is not Primer's envelope.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { KassaError } from '../errors.ts';
import { sendError } from './envelope.ts';

export interface DrainStart {
  /** Requests received and not yet answered when the drain began. */
  inFlight: number;
  /** Connections open at the signal and closed at once: idle, or with no complete request. */
  closed: number;
  /** Resolves when the last answer is out and every connection is closed. */
  drained: Promise<void>;
}

export interface Drain {
  /** Stops accepting connections and starts the drain; once only. */
  begin(): Promise<DrainStart>;
  /** The deadline: closes every connection still open, answered or not. */
  cut(): void;
}

const SHUTTING_DOWN = 'The server is shutting down.';

/**
 * Keeps account of the connections of `app`'s server for the drain, and refuses requests that
 * arrive during it. Call before the app listens (its first connection must be seen) and before it
 * is ready (it adds a hook).
 */
export function prepareDrain(app: FastifyInstance): Drain {
  const server = app.server;
  // Each open connection, with the answers it still owes, oldest first (pipelined requests are
  // answered in order, so only the newest may carry Connection: close).
  const connections = new Map<Socket, ServerResponse[]>();
  // Requests that arrived after the drain began: refused, not processed.
  const late = new WeakSet<IncomingMessage>();
  // serving → closing (the signal came; taking in what had arrived) → draining.
  let phase: 'serving' | 'closing' | 'draining' = 'serving';
  let owed = 0;
  let resolveDrained = () => {};

  const settle = () => {
    if (phase !== 'draining' || owed > 0) return;
    // Every answer has been handed to the operating system ('close' follows 'finish'), so closing
    // what is left (connections already on their way out) loses nothing.
    for (const socket of connections.keys()) socket.destroy();
    resolveDrained();
  };

  server.on('connection', (socket: Socket) => {
    connections.set(socket, []);
    socket.once('close', () => {
      owed -= connections.get(socket)?.length ?? 0;
      connections.delete(socket);
      settle();
    });
  });

  // Before Fastify's own listener, so a late request is marked before its hooks run.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const answers = connections.get(socket);
    if (!answers) return;
    if (phase !== 'serving') {
      if (phase === 'draining') late.add(req);
      // This answer is now the connection's last: Connection: close moves to it, if the one before
      // has not gone out yet (if it has, the client was told and this request goes unanswered).
      const previous = answers.at(-1);
      if (previous && !previous.headersSent) previous.removeHeader('Connection');
      res.setHeader('Connection', 'close');
    }
    answers.push(res);
    owed++;
    res.once('close', () => {
      const i = answers.indexOf(res);
      // Already settled when its connection closed first.
      if (i < 0 || connections.get(socket) !== answers) return;
      answers.splice(i, 1);
      owed--;
      // An answer whose headers went out before the signal said keep-alive: close after it anyway.
      if (phase === 'draining' && answers.length === 0) socket.destroy();
      settle();
    });
  });

  app.addHook('onRequest', (request, reply, done) => {
    if (!late.has(request.raw)) return done();
    // Through sendError and the reply, so the answer gets its X-Request-Id, its log line and its count.
    sendError(reply, new KassaError('ServiceUnavailable', { detail: SHUTTING_DOWN }), request.id);
  });

  return {
    async begin() {
      if (phase !== 'serving') throw new Error('the drain has already begun');
      phase = 'closing';
      const atSignal = [...connections.keys()];
      // A request whose bytes reached this host before the signal counts as received: one whole turn
      // of the event loop (a poll phase between two check phases) reads what the kernel holds. Node's
      // server.close() would close idle keep-alive connections at once, unread bytes and all, so it
      // comes after.
      await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
      phase = 'draining';
      server.close();
      for (const [socket, answers] of connections) {
        const last = answers.at(-1);
        if (!last) socket.destroy();
        else if (!last.headersSent) last.setHeader('Connection', 'close');
      }
      const closed = atSignal.filter((socket) => !connections.get(socket)?.length).length;
      const inFlight = owed;
      const drained = new Promise<void>((resolve) => {
        resolveDrained = resolve;
      });
      settle();
      return { inFlight, closed, drained };
    },
    cut() {
      for (const socket of connections.keys()) socket.destroy();
      server.closeAllConnections();
    },
  };
}
