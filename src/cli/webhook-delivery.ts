// `kassa webhooks delivery <id>` as text: the delivery, then each attempt of its log with what was sent
// (headers; the body's size) and what the receiver answered (status, headers, the start of its body).
import type { WebhookService } from '../webhooks/service.ts';
import type { Io } from './output.ts';

type Shown = Awaited<ReturnType<WebhookService['delivery']>>;
/** Of a receiver's answer, the text shows this much; --json shows what the log keeps. */
const BODY_SHOWN = 500;

const headerLines = (headers: Record<string, string>) =>
  Object.entries(headers)
    .map(([name, value]) => `      ${name}: ${value}\n`)
    .join('');

export function printDelivery(io: Io, d: Shown): void {
  const subject = 'paymentId' in d ? d.paymentId : d.clientSessionId;
  let text =
    `Delivery ${d.id}: ${d.eventType} of ${subject} to endpoint ${d.endpointId}\n` +
    `  status    ${d.status}, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}\n` +
    (d.nextAttemptAt !== undefined ? `  next      ${d.nextAttemptAt}\n` : '') +
    (d.deliveredAt !== undefined ? `  delivered ${d.deliveredAt}\n` : '');
  if (d.attemptLog.length === 0) text += '\nNo attempt yet.\n';
  for (const a of d.attemptLog) {
    text += `\nAttempt ${a.attempt} at ${a.date}, ${a.durationMs} ms: ${a.outcome}\n`;
    if (a.request) text += `  Request (${Buffer.byteLength(a.request.body)} bytes of body)\n${headerLines(a.request.headers)}`;
    if (a.response) {
      const body = a.response.body.length > BODY_SHOWN ? `${a.response.body.slice(0, BODY_SHOWN)}…` : a.response.body;
      text += `  Response ${a.response.statusCode}\n${headerLines(a.response.headers)}${body ? `    ${body}\n` : ''}`;
    } else if (a.request) text += '  No HTTP answer.\n';
  }
  io.out(text);
}
