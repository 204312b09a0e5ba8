// A merchant's sessions as an operator sees them (dashboard and `kassa sessions`): a summary line
// per session, and one session in full with its warnings and expiry. Pure.
import { Type, type Static } from 'typebox';
import type { Clock } from '../lib/clock.ts';
import type { Store } from '../storage/store.ts';
import { formatExpirationDate } from '../tokens/client-token.ts';
import { sessionAmount } from '../primer/money.ts';
import { sessionHistory } from './history.ts';
import { renderSession } from './render.ts';
import { SessionResponse, Warning } from './schemas.ts';
import type { SessionEvent, StoredSession } from './session.store.ts';
import { computeWarnings } from './warnings.ts';

const Instant = (description: string) => Type.String({ format: 'date-time', description });
const State = Type.Union([Type.Literal('active'), Type.Literal('expired')], {
  description: "active until the client token's expiry, expired after",
});

export const SessionSummary = Type.Object(
  {
    id: Type.String(),
    orderId: Type.Optional(Type.String()),
    amount: Type.Optional(Type.Integer({ description: 'Computed amount, minor units' })),
    currencyCode: Type.Optional(Type.String()),
    customerEmail: Type.Optional(Type.String()),
    createdAt: Instant('When the session was created'),
    expiresAt: Instant("When the session's client token expires"),
    state: State,
  },
  { title: 'SessionSummary' },
);
export type SessionSummary = Static<typeof SessionSummary>;

export const SessionDetail = Type.Object(
  {
    id: Type.String(),
    state: State,
    createdAt: Instant('When the session was created'),
    updatedAt: Instant('When the session last changed'),
    expiresAt: Instant("When the session's client token expires"),
    clientTokenExpirationDate: Type.String({ description: 'The same instant, as the Client Session API writes it' }),
    version: Type.Integer({ description: 'Bumped by every update' }),
    session: SessionResponse,
    warnings: Type.Array(Warning, { description: 'The warnings the session has now' }),
  },
  { title: 'SessionDetail' },
);
export type SessionDetail = Static<typeof SessionDetail>;

const iso = (ms: number) => new Date(ms).toISOString();
const stateAt = (session: StoredSession, now: number) => (session.expiresAt <= now ? 'expired' : 'active');

export function summarizeSession(stored: StoredSession, now: number): SessionSummary {
  const amount = sessionAmount(stored.data);
  const email = stored.data.customer?.emailAddress;
  return {
    id: stored.id,
    ...(stored.data.orderId !== undefined ? { orderId: stored.data.orderId } : {}),
    ...(amount !== undefined ? { amount } : {}),
    ...(stored.data.currencyCode !== undefined ? { currencyCode: stored.data.currencyCode } : {}),
    ...(email !== undefined && email !== null ? { customerEmail: email } : {}),
    createdAt: iso(stored.createdAt),
    expiresAt: iso(stored.expiresAt),
    state: stateAt(stored, now),
  };
}

export function describeSession(stored: StoredSession, now: number, offeredPaymentMethods: readonly string[]): SessionDetail {
  return {
    id: stored.id,
    state: stateAt(stored, now),
    createdAt: iso(stored.createdAt),
    updatedAt: iso(stored.updatedAt),
    expiresAt: iso(stored.expiresAt),
    clientTokenExpirationDate: formatExpirationDate(stored.expiresAt),
    version: stored.version,
    session: renderSession(stored.data),
    // Unknown fields were dropped before storing, so only the data rules can be recomputed.
    warnings: computeWarnings(stored.data, { ignoredFields: [], offeredPaymentMethods }),
  };
}

export interface SessionPage {
  sessions: SessionSummary[];
  /** The createdAt cursor of the next page, absent on the last page. */
  nextBefore?: string;
}

/** The reads behind the dashboard and `kassa sessions`. */
export class SessionOverview {
  constructor(
    private readonly store: Pick<Store, 'sessions'>,
    private readonly clock: Clock,
    private readonly offeredPaymentMethods: (merchantId: string) => readonly string[],
  ) {}

  async list(merchantId: string, options: { limit: number; before?: number }): Promise<SessionPage> {
    // One more than asked tells whether another page exists.
    const rows = await this.store.sessions.listByMerchant(merchantId, { ...options, limit: options.limit + 1 });
    const page = rows.slice(0, options.limit);
    const now = this.clock(merchantId);
    return {
      sessions: page.map((s) => summarizeSession(s, now)),
      ...(rows.length > options.limit ? { nextBefore: String(page[page.length - 1].createdAt) } : {}),
    };
  }

  async show(merchantId: string, id: string): Promise<SessionDetail | undefined> {
    const stored = await this.store.sessions.findById(merchantId, id);
    return stored ? describeSession(stored, this.clock(merchantId), this.offeredPaymentMethods(merchantId)) : undefined;
  }

  /** The session's history (its creation and every change), oldest first; undefined when there is no such session. */
  async events(merchantId: string, id: string): Promise<SessionEvent[] | undefined> {
    const session = await this.store.sessions.findById(merchantId, id);
    if (!session) return undefined;
    return sessionHistory(session, await this.store.sessions.events(merchantId, id));
  }
}
