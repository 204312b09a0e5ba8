// A webhook receiver for the pay-hooked scenario: answers every POST 204 and counts them, in the
// bench's own process (it costs the server nothing but the delivery).
import { createServer } from 'node:http';

export async function startReceiver(): Promise<{ url: string; received(): number; close(): void }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  // The bench exits when it is done, receiver or not.
  server.unref();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/webhooks`, received: () => received, close: () => server.close() };
}
