// The ceiling for Node on this machine: a bare node:http server that reads and parses the same JSON
// bodies Kassa gets and answers with a JSON response of about the same size, with no validation, no
// authentication and no storage. The harness runs it as its own process, like Kassa.
import { createServer } from 'node:http';
import { createBody } from './bodies.ts';

/** About the length of a Kassa client token (a signed JWT with URLs in it). */
const FAKE_TOKEN = `eyJ${'x'.repeat(600)}`;
const EXPIRATION = '2026-11-25T09:00:00.000000';
// What GET and PATCH answer in Kassa: the stored session with its computed amount and defaults.
const session = { ...createBody, amount: 16697, paymentMethod: { vaultOn3DS: false, ...createBody.paymentMethod } };

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let response: unknown;
    if (req.method === 'POST') {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      response = { clientToken: FAKE_TOKEN, clientTokenExpirationDate: EXPIRATION, ...body, amount: 16697 };
    } else if (req.method === 'PATCH') {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { customer?: Record<string, unknown> };
      response = { ...session, customer: { ...session.customer, ...body.customer } };
    } else {
      response = session;
    }
    const json = JSON.stringify(response);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : ''}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
