// Graceful shutdown, the HTTP side: what the server does with its connections between SIGTERM and
// exit. Node's server.close() only stops accepting and closes connections that sit between
// requests; a connection that has sent part of a request (a browser's preconnect, a load
// balancer's pool, a slow client) would hold the process until the deadline, and keep-alive answers
// would invite clients to send more on a server that is leaving. So the drain keeps its own account
// of every connection and of the requests on it still waiting for their answer:
//
// - at the signal: take in what clients had already sent (one turn of the event loop reads what
//   waits in the kernel's buffers), then stop accepting; a connection with no complete request
//   waiting (idle, or with part of a request or nothing sent) is closed once it has stayed so for
//   IDLE_GRACE_MS: its last answer said keep-alive, so its client's next request may be on the way,
//   and closing a socket under bytes it has received makes the kernel reset it (ECONNRESET, EPIPE)
//   instead of letting that request be answered;
// - every request already received is answered, and the last answer on a connection carries
//   `Connection: close` (HTTP/1.1: the server closes after it, and the client must not send more);
// - a request that still arrives on an open connection (sent before the client saw that answer) is
//   refused with a 503 envelope, logged and counted like any other answer, and not processed;
// - the drain is over once the last answer is out and every connection has closed.
//
// Fastify's own close() is left for after the drain (server.ts): while it closes, Fastify answers
// late requests itself, with a body that is not Primer's envelope.
import type { IncomingMessage, ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { KassaError } from '../errors.ts';
import { sendError } from './envelope.ts';

export interface DrainStart {
  /** Requests received and not yet answered when the drain began. */
  inFlight: number;
  /** Connections open at the signal with no complete request (idle, or part of one): closed after IDLE_GRACE_MS. */
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
 * How long a connection with nothing to answer stays open once the drain has begun: a client's next
 * request, sent as the last keep-alive answer arrived, reaches the server well within it, even at load.
 */
export const IDLE_GRACE_MS = 2000;

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
  // Connections with nothing to answer during the drain, each closed when its grace runs out.
  const lingering = new Map<Socket, NodeJS.Timeout>();

  const settle = () => {
    if (phase === 'draining' && owed === 0 && connections.size === 0) resolveDrained();
  };

  /** A connection with nothing to answer: closed after the grace, unless a request comes first. */
  const linger = (socket: Socket) => {
    if (lingering.has(socket) || socket.destroyed) return;
    lingering.set(
      socket,
      setTimeout(() => {
        lingering.delete(socket);
        socket.destroy();
      }, IDLE_GRACE_MS),
    );
  };
  const stopLingering = (socket: Socket) => {
    clearTimeout(lingering.get(socket));
    lingering.delete(socket);
  };

  server.on('connection', (socket: Socket) => {
    connections.set(socket, []);
    socket.once('close', () => {
      owed -= connections.get(socket)?.length ?? 0;
      connections.delete(socket);
      stopLingering(socket);
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
      stopLingering(socket);
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
      // An answer that said Connection: close is followed by Node's own close; one whose headers
      // went out before the signal said keep-alive, so its client may already be sending more.
      if (phase === 'draining' && answers.length === 0 && res.getHeader('Connection') !== 'close') linger(socket);
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
      // Stop accepting, without http.Server.close(), which also destroys every idle keep-alive
      // connection at once: the very connections whose next request may be arriving.
      net.Server.prototype.close.call(server);
      for (const [socket, answers] of connections) {
        const last = answers.at(-1);
        if (!last) linger(socket);
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
      for (const socket of lingering.keys()) stopLingering(socket);
      for (const socket of connections.keys()) socket.destroy();
      server.closeAllConnections();
    },
  };
}
