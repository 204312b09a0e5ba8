// The tests' webhook receiver: a local node:http server that keeps every request as it came (raw body
// included, to check signatures) and answers as the test says: by path (answerFor), else by its answer
// function (200 unless the test gives another). Signatures are checked with the
// documented recipe, written out here rather than imported, so a change to Kassa's signing shows.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as sent. */
  raw: string;
  body: Record<string, any>;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
}

export interface Receiver {
  /** http://127.0.0.1:<port> (add a path). */
  url: string;
  received: Received[];
  /** How the receiver answers the next requests (200 by default); null: it never answers. */
  answer: (request: Received) => Answer | number | null;
  /** From now on, requests to `path` get `status`, whatever `answer` says. */
  answerFor(path: string, status: number): void;
  /** What each delivery id was received with, in order. */
  byDeliveryId(): Map<string, Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(answer: Receiver['answer'] = () => 200): Promise<Receiver> {
  const byPath = new Map<string, number>();
  const receiver: Receiver = {
    url: '',
    received: [],
    answer,
    answerFor: (path, status) => void byPath.set(path, status),
    byDeliveryId() {
      const map = new Map<string, Received[]>();
      for (const r of receiver.received) {
        const id = String(r.headers['x-kassa-delivery-id']);
        map.set(id, [...(map.get(id) ?? []), r]);
      }
      return map;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, any> = {};
      try {
        body = JSON.parse(raw) as Record<string, any>;
      } catch {
        // Kept raw: a test that cares asserts on it.
      }
      const request: Received = { path: req.url ?? '/', headers: req.headers, raw, body };
      receiver.received.push(request);
      const a = byPath.get(request.path) ?? receiver.answer(request);
      if (a === null) return;
      const { status, headers = {} } = typeof a === 'number' ? { status: a } : a;
      res.writeHead(status, headers);
      res.end(status === 204 || status === 304 ? undefined : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** The documented recipe: base64 of HMAC-SHA256 of the raw body, keyed with the endpoint's secret. */
export const expectedSignature = (raw: string, secret: string): string => createHmac('sha256', secret).update(raw, 'utf8').digest('base64');
