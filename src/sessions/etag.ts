// Optimistic concurrency: a session's ETag names its id and version. The body is a pure function of
// the stored version, so a strong validator is honest. Pure.
import type { StoredSession } from './session.store.ts';

export const sessionEtag = (session: Pick<StoredSession, 'id' | 'version'>): string => `"${session.id}.${session.version}"`;

/**
 * RFC 9110 §13.1.1: `*` matches any current session; otherwise one of the listed entity tags must
 * match by strong comparison (a weak `W/"..."` tag never matches).
 */
export function ifMatchAllows(header: string, session: Pick<StoredSession, 'id' | 'version'>): boolean {
  if (header.trim() === '*') return true;
  const current = sessionEtag(session);
  return header.split(',').some((tag) => tag.trim() === current);
}
