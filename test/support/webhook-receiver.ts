// A real webhook receiver for the tests: a node:http server on a free loopback port that records every
// request (path, headers, raw body) and answers with the status the test sets for its path (204 when
// none is set). Tests check signatures against the raw body, as a merchant's receiver would.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as signed. */
  body: string;
  json: Record<string, any>;
}

export interface Receiver {
  /** http://127.0.0.1:<port>; endpoints add a path, e.g. `${url}/ok`. */
  url: string;
  received: Received[];
  /** From now on, POSTs to `path` are answered with `status`. */
  answer(path: string, status: number): void;
  /** Resolves once `count` requests (in all) have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** X-Signature-Primary (or -Secondary) as Kassa computes it: base64 HMAC-SHA256 of the raw body. */
export const signatureOf = (body: string, secret: string) => createHmac('sha256', secret).update(body).digest('base64');

export async function startReceiver(): Promise<Receiver> {
  const statuses = new Map<string, number>();
  const received: Received[] = [];
  let notify = () => {};
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, any> = {};
      try {
        json = JSON.parse(body);
      } catch {
        // Kept as text; the test will say what it expected.
      }
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body, json });
      res.statusCode = statuses.get(path) ?? 204;
      res.end();
      notify();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (path, status) => void statuses.set(path, status),
    waitFor(count, timeoutMs = 30_000) {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the receiver got ${received.length} of ${count} requests`)), timeoutMs);
        notify = () => {
          if (received.length < count) return;
          clearTimeout(timer);
          resolve(received);
        };
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
