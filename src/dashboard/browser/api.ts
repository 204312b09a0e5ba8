// The dashboard's requests: the API key the operator signed in with, kept in sessionStorage (this tab
// only), and Primer's error envelope turned into a message to show.
import type { ApiErrorBody } from './answers.ts';

const KEY = 'kassa.apiKey';
/** Rows a list asks for at a time. */
export const PAGE = 25;

export const apiKey = () => sessionStorage.getItem(KEY);
export const keepApiKey = (key: string) => sessionStorage.setItem(KEY, key);
export const forgetApiKey = () => sessionStorage.removeItem(KEY);

/** A refused request; status is its HTTP status. */
export type ApiError = Error & { status: number };

/** What an error thrown by api() (or anything else) says. */
export const messageOf = (error: unknown) => (error as Error).message;

function describeError(status: number, body: ApiErrorBody | null) {
  const e = body?.error;
  if (!e) return `HTTP ${status}`;
  const lines = [`${e.errorId}: ${e.description}`];
  for (const group of e.validationErrors || []) {
    for (const f of group.errors) lines.push(`${f.path}: ${f.description}`);
  }
  lines.push(`diagnosticsId ${e.diagnosticsId}`);
  return lines.join('\n');
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, {
    ...init,
    headers: { 'X-Api-Key': apiKey() || '', Accept: 'application/json', ...(init.headers || {}) },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(describeError(response.status, body)) as ApiError;
    error.status = response.status;
    throw error;
  }
  return body as T;
}
