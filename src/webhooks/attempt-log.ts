// What the delivery log keeps of one attempt (docs/webhooks.md, "The delivery log"), bounded so that a
// receiver cannot fill the database: the request as sent (its headers hold signatures, never the
// secret), and of the answer the status, at most MAX_HEADERS headers and the first RESPONSE_BODY_BYTES.
import type { AttemptLog } from './webhook.store.ts';

export const RESPONSE_BODY_BYTES = 4096;
const MAX_HEADERS = 50;
const HEADER_VALUE_CHARS = 1024;
/** Request headers never kept, should a sender ever add them. */
const NEVER_KEPT = new Set(['authorization', 'cookie', 'proxy-authorization']);

/** At most `bytes` of `text`'s UTF-8, never splitting a character. */
export function utf8Prefix(text: string, bytes: number): string {
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= bytes) return text;
  let end = bytes;
  // Back off continuation bytes (10xxxxxx) so the cut falls on a character's first byte.
  while (end > 0 && (buffer[end]! & 0xc0) === 0x80) end--;
  return buffer.subarray(0, end).toString('utf8');
}

function boundedHeaders(headers: Record<string, string | string[] | undefined>, drop = NEVER_KEPT): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers).slice(0, MAX_HEADERS)) {
    if (value === undefined || drop.has(name.toLowerCase())) continue;
    kept[name.toLowerCase()] = (Array.isArray(value) ? value.join(', ') : value).slice(0, HEADER_VALUE_CHARS);
  }
  return kept;
}

/** The log entry of an attempt, with the receiver's answer cut to what the log keeps. */
export function attemptLog(entry: {
  at: number;
  durationMs: number;
  request?: { headers: Record<string, string>; body: string };
  response?: { statusCode: number; headers?: Record<string, string | string[] | undefined>; body?: string };
  outcome: string;
}): AttemptLog {
  return {
    at: entry.at,
    durationMs: Math.max(0, Math.round(entry.durationMs)),
    ...(entry.request ? { request: { headers: boundedHeaders(entry.request.headers), body: entry.request.body } } : {}),
    ...(entry.response
      ? {
          response: {
            statusCode: entry.response.statusCode,
            headers: boundedHeaders(entry.response.headers ?? {}, new Set()),
            body: utf8Prefix(entry.response.body ?? '', RESPONSE_BODY_BYTES),
          },
        }
      : {}),
    outcome: entry.outcome,
  };
}
