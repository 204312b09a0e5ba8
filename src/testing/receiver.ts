// startKassa's webhook receiver: a local HTTP server, registered as the merchant's webhook endpoint,
// that checks both of Kassa's signatures on the raw body before it keeps an event (docs/webhooks.md,
// "Verifying"). It imports nothing from Kassa, so a change to Kassa's signing shows as a refusal here.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Json, WebhookEvent, WebhookReceiver } from './index.ts';

/** True when one `v1` of Kassa-Signature is HMAC-SHA256("<t>.<delivery id>.<raw body>") with `secret`. */
export function verifyKassaSignature(header: string | undefined, deliveryId: string, raw: Buffer, secret: string): boolean {
  const parts = String(header ?? '')
    .split(',')
    .map((part) => part.split('='));
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  // No 5-minute window here: a test may have advanced the sandbox's clock by days, and replays are no threat to it.
  if (!Number.isInteger(t)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${deliveryId}.`).update(raw).digest();
  return parts.some(
    ([key, value]) => key === 'v1' && /^[0-9a-f]{64}$/.test(value ?? '') && timingSafeEqual(Buffer.from(value!, 'hex'), expected),
  );
}

/** True when X-Signature-Primary (Primer's header) is the base64 HMAC-SHA256 of the raw body with `secret`. */
export function verifyPrimerSignature(header: string | undefined, raw: Buffer, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(raw).digest();
  const given = Buffer.from(String(header ?? ''), 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export async function startReceiver(): Promise<WebhookReceiver> {
  const secret = randomBytes(24).toString('hex');
  const waiters: { predicate: (event: WebhookEvent) => boolean; resolve: (event: WebhookEvent) => void }[] = [];
  let status = 204;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const deliveryId = one(req.headers['x-kassa-delivery-id']) ?? '';
      const verified =
        verifyKassaSignature(one(req.headers['kassa-signature']), deliveryId, raw, secret) &&
        verifyPrimerSignature(one(req.headers['x-signature-primary']), raw, secret);
      let body: Json | undefined;
      try {
        body = JSON.parse(raw.toString('utf8')) as Json;
      } catch {
        body = undefined;
      }
      if (!verified || body === undefined) {
        receiver.rejected++;
        res.writeHead(401).end();
        return;
      }
      const event: WebhookEvent = { deliveryId, eventType: String(body.eventType), body, raw: raw.toString('utf8'), headers: req.headers };
      receiver.events.push(event);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(event)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    secret,
    events: [],
    rejected: 0,
    waitFor(predicate, { timeoutMs = 10_000 } = {}) {
      const seen = receiver.events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (event: WebhookEvent) => {
            clearTimeout(timer);
            resolve(event);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          const got = receiver.events.map((e) => e.eventType).join(', ') || 'none';
          reject(new Error(`no webhook matched within ${timeoutMs} ms (received: ${got}; refused: ${receiver.rejected})`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    respondWith(next) {
      status = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}
