// The Client Session API's use cases: create, retrieve, update, and the change path the SDKs' actions
// share with PATCH. Routes call these; these call the pure domain functions and the store. A rejected
// request stores nothing. Answers are returned serialized, once: the same string is sent, kept with
// an idempotency record, and reused by the answer cache.
import { KassaError, validationError } from '../errors.ts';
import type { Clock } from '../lib/clock.ts';
import { originOf, timed, type Context } from '../lib/context.ts';
import { newSessionId } from '../lib/ids.ts';
import { serializer } from '../lib/serialize.ts';
import type { Store } from '../storage/store.ts';
import type { UnitOfWork } from '../storage/unit-of-work.ts';
import { isWriteConflict } from '../storage/unit-of-work.ts';
import { formatExpirationDate, type ClientTokens } from '../tokens/client-token.ts';
import { fieldsNewerThan } from '../primer/field-versions.ts';
import { amountErrors } from '../primer/money.ts';
import { usable, type SessionAccess } from './access.ts';
import { AnswerCache } from './answers.ts';
import { ifMatchAllows, sessionEtag } from './etag.ts';
import { createdEvent, updatedEvent } from './history.ts';
import { applyPatch, type SessionPatch } from './merge.ts';
import { renderSession } from './render.ts';
import { FIELD_VERSIONS, SessionResponse, SessionWithTokenResponse, type SessionData } from './schemas.ts';
import type { StoredSession } from './session.store.ts';
import { sessionErrors } from './validate.ts';
import { computeWarnings } from './warnings.ts';

export interface SessionServiceDeps {
  /** Only the stores it uses. */
  store: Pick<Store, 'sessions' | 'commit'>;
  tokens: ClientTokens;
  /** Finds the session a client token names. */
  access: SessionAccess;
  clock: Clock;
  /** Payment-method types the merchant's checkout offers, for payment-method warnings. */
  offeredPaymentMethods: (merchantId: string) => readonly string[];
  /** Told of every committed create and update (the metrics counters). */
  events?: { sessionCreated(): void; sessionUpdated(): void };
}

/** A serialized answer and the ETag of the session it shows. */
export interface SessionAnswer {
  body: string;
  etag: string;
}

/** A change that lost a race to another process is tried again this many times, then answered 503. */
const CHANGE_ATTEMPTS = 20;

/**
 * Before trying a lost race again: a random pause whose bound doubles each time (2 ms up to 100 ms),
 * so writers racing on one session from several processes spread out instead of colliding again.
 */
const retryPause = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** (attempt + 1))));

const serializeSession = serializer(SessionResponse);
const serializeCreated = serializer(SessionWithTokenResponse);

export class SessionService {
  private readonly answers = new AnswerCache();

  constructor(private readonly deps: SessionServiceDeps) {}

  /** POST /client-session; `ignored` are the unknown nested fields the body reader removed. */
  async create(ctx: Context & { merchantId: string }, data: SessionData, ignored: readonly string[]): Promise<SessionAnswer> {
    const tooNew = fieldsNewerThan(data, ctx, FIELD_VERSIONS);
    if (tooNew.length > 0) throw validationError('ClientSessionAPIRequest', tooNew);
    // The route validated the body against CreateSessionBody, and removing unknown nested fields
    // cannot make it invalid: only the money rules are left to check.
    const problems = amountErrors(data);
    if (problems.length > 0) throw validationError('ClientSessionAPIRequest', problems);

    const token = this.deps.tokens.issue(ctx.merchantId);
    const now = this.deps.clock(ctx.merchantId);
    const stored: StoredSession = {
      id: newSessionId(now),
      merchantId: ctx.merchantId,
      accessTokenHash: token.accessTokenHash,
      data,
      version: 1,
      createdAt: now,
      updatedAt: now,
      expiresAt: token.expiresAt,
    };
    const warnings = computeWarnings(data, {
      ignoredFields: ignored,
      offeredPaymentMethods: this.deps.offeredPaymentMethods(ctx.merchantId),
    });
    const session = renderSession(data);
    const answer = {
      body: serializeCreated({
        clientToken: token.clientToken,
        clientTokenExpirationDate: formatExpirationDate(token.expiresAt),
        ...session,
        ...(warnings.length > 0 ? { warnings } : {}),
      }),
      etag: sessionEtag(stored),
    };
    await timed(ctx, 'commit', () =>
      this.deps.store.commit((uow) => {
        uow.sessions.insert(stored);
        uow.sessions.recordEvent(createdEvent(stored, originOf(ctx)));
        this.recordAnswer(ctx, uow, answer, stored);
        uow.afterCommit(() => this.deps.events?.sessionCreated());
      }),
    );
    return answer;
  }

  /** GET /client-session: from the answer cache while the stored version is the cached one. */
  async get(ctx: Context & { merchantId: string }, clientToken: string): Promise<SessionAnswer> {
    const hash = this.deps.access.clientTokenHash(clientToken, ctx.merchantId);
    const cached = this.answers.get(hash);
    if (cached) {
      const current = await this.deps.access.versionOf(ctx, hash, ctx.merchantId);
      if (current.version === cached.version) return cached;
    }
    const stored = await this.deps.access.byHash(ctx, hash, ctx.merchantId);
    const answer = { version: stored.version, body: serializeSession(renderSession(stored.data)), etag: sessionEtag(stored) };
    this.answers.set(hash, answer);
    return answer;
  }

  /** PATCH /client-session (docs/api.md, "PATCH"). */
  async update(
    ctx: Context & { merchantId: string },
    body: Record<string, unknown> & { clientToken: string },
    ifMatch?: string,
  ): Promise<SessionAnswer> {
    const { clientToken, ...patch } = body;
    const tooNew = fieldsNewerThan(patch, ctx, FIELD_VERSIONS);
    const pm = patch.paymentMethod as Record<string, unknown> | null | undefined;
    if (pm && pm.options !== undefined) {
      tooNew.push({ path: '$.paymentMethod.options', description: 'paymentMethod.options cannot be updated after creation' });
    }
    if (tooNew.length > 0) throw validationError('ClientSessionUpdateAPIRequest', tooNew);
    const hash = this.deps.access.clientTokenHash(clientToken, ctx.merchantId);
    return this.change(ctx, hash, (data) => applyPatch(data, patch as SessionPatch), 'ClientSessionUpdateAPIRequest', {
      ...(ctx.merchantId !== undefined ? { merchantId: ctx.merchantId } : {}),
      ...(ifMatch !== undefined ? { ifMatch } : {}),
    });
  }

  /**
   * Every change to a stored session (PATCH, the SDKs' actions): the current session, changed by
   * `mutate`, validated whole, written as the next version, answered as GET would answer it. Changes
   * to one session are serialised (storage: SessionStore.change). With If-Match, the named version must
   * be the current one (else 412, and also when another process wins the race); without, a lost race
   * is tried again on the winner's version. `mutate` may throw a KassaError: nothing is stored then.
   */
  async change(
    ctx: Context,
    accessTokenHash: string,
    mutate: (data: SessionData) => SessionData,
    model: string,
    options: { merchantId?: string; ifMatch?: string; render?: (stored: StoredSession) => string } = {},
  ): Promise<SessionAnswer & { stored: StoredSession }> {
    const { ifMatch } = options;
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      try {
        return await timed(ctx, 'sessions.change', () =>
          this.deps.store.sessions.change(accessTokenHash, (found, uow) => {
            const now = this.deps.clock(found?.merchantId);
            const current = usable(found, now, options.merchantId);
            if (ifMatch !== undefined && !ifMatchAllows(ifMatch, current)) throw new KassaError('SessionVersionMismatch');
            const data = mutate(current.data);
            const problems = sessionErrors(data);
            if (problems.length > 0) throw validationError(model, problems);
            const next: StoredSession = { ...current, data, version: current.version + 1, updatedAt: now };
            uow.sessions.update(next);
            uow.sessions.recordEvent(updatedEvent(current, next, originOf(ctx)));
            // The answer a GET would give is made now anyway (PATCH answers it): the cache gets it too.
            const cacheable = { version: next.version, body: serializeSession(renderSession(data)), etag: sessionEtag(next) };
            const answer = { body: options.render ? options.render(next) : cacheable.body, etag: cacheable.etag, stored: next };
            this.recordAnswer(ctx, uow, answer, next);
            uow.afterCommit(() => {
              this.answers.set(accessTokenHash, cacheable);
              this.deps.events?.sessionUpdated();
            });
            return answer;
          }),
        );
      } catch (error) {
        if (!isWriteConflict(error)) throw error;
        // With If-Match the version the client named is gone: no merge onto a newer one.
        if (ifMatch !== undefined && ifMatch.trim() !== '*') throw new KassaError('SessionVersionMismatch');
        await retryPause(attempt);
      }
    }
    throw new KassaError('ServiceUnavailable', {
      detail: 'The session is being changed by many requests at once; retry.',
      retryAfterSeconds: 1,
    });
  }

  private recordAnswer(ctx: Context, uow: UnitOfWork, answer: SessionAnswer, session: StoredSession): void {
    ctx.idempotency?.record(uow, { body: answer.body, headers: { etag: answer.etag }, validUntil: session.expiresAt });
  }
}
