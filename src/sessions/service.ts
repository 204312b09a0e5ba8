// The Client Session API's use cases: create, retrieve, update. Routes call these; these call the
// pure domain functions and the store. A rejected request stores nothing.
import type { Clock } from '../clock.ts';
import { ApiError, validationError } from '../http/errors.ts';
import { newSessionId } from '../ids.ts';
import type { Store, StoredSession } from '../storage/store.ts';
import { formatExpirationDate, type ClientTokens } from '../tokens/client-token.ts';
import { amountErrors } from './amount.ts';
import { ifMatchAllows } from './etag.ts';
import { applyPatch, type SessionPatch } from './merge.ts';
import { renderSession } from './render.ts';
import {
  CreateSessionBody,
  UpdateSessionBody,
  type SessionData,
  type SessionResponse,
  type SessionWithTokenResponse,
} from './schemas.ts';
import { stripUnknownFields } from './unknown-fields.ts';
import { fieldsNewerThan, sessionErrors } from './validate.ts';
import { computeWarnings } from './warnings.ts';

export interface SessionServiceDeps {
  store: Store;
  tokens: ClientTokens;
  clock: Clock;
  /** Payment-method types the merchant's checkout offers, for payment-method warnings. */
  offeredPaymentMethods: (merchantId: string) => readonly string[];
  /** Told of every committed create and update (the metrics counters). */
  events?: { sessionCreated(): void; sessionUpdated(): void };
}

/** A PATCH that lost a version race is retried this many times before giving up. */
const UPDATE_ATTEMPTS = 20;

/**
 * Before retrying a lost version race: a random pause whose bound doubles each time (2 ms up to
 * 100 ms), so many writers racing on one session (several processes on one database) spread out
 * instead of colliding again in lockstep.
 */
const retryPause = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** (attempt + 1))));

export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  /** Creates a session; returns the response and the stored row (for the ETag). */
  async createSession(
    merchantId: string,
    body: SessionData,
    apiVersion: string,
  ): Promise<{ response: SessionWithTokenResponse; stored: StoredSession }> {
    const tooNew = fieldsNewerThan(body, apiVersion);
    if (tooNew.length > 0) throw validationError('ClientSessionAPIRequest', tooNew);
    const { value: data, ignored } = stripUnknownFields(CreateSessionBody, body);
    // The route validated the body against CreateSessionBody with these Ajv settings, and dropping
    // unknown nested fields cannot make it invalid: only the money rules are left to check.
    const problems = amountErrors(data);
    if (problems.length > 0) throw validationError('ClientSessionAPIRequest', problems);

    const token = this.deps.tokens.issue();
    const now = this.deps.clock();
    const stored: StoredSession = {
      id: newSessionId(),
      merchantId,
      accessTokenHash: token.accessTokenHash,
      data,
      version: 1,
      createdAt: now,
      updatedAt: now,
      expiresAt: token.expiresAt,
    };
    await this.deps.store.sessions.insert(stored);
    this.deps.events?.sessionCreated();
    const warnings = computeWarnings(data, {
      ignoredFields: ignored,
      offeredPaymentMethods: this.deps.offeredPaymentMethods(merchantId),
    });
    const session = renderSession(data);
    const response = {
      clientToken: token.clientToken,
      clientTokenExpirationDate: formatExpirationDate(token.expiresAt),
      ...session,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
    return { response, stored };
  }

  async get(merchantId: string, clientToken: string): Promise<{ session: SessionResponse; stored: StoredSession }> {
    const stored = await this.find(merchantId, clientToken);
    return { session: renderSession(stored.data), stored };
  }

  async update(
    merchantId: string,
    body: Record<string, unknown> & { clientToken: string },
    apiVersion: string,
    options: { ifMatch?: string } = {},
  ): Promise<{ session: SessionResponse; stored: StoredSession }> {
    const { clientToken, ...rest } = body;
    const tooNew = fieldsNewerThan(rest, apiVersion);
    const pm = rest.paymentMethod as Record<string, unknown> | null | undefined;
    if (pm && pm.options !== undefined) {
      tooNew.push({ path: '$.paymentMethod.options', description: 'paymentMethod.options cannot be updated after creation' });
    }
    if (tooNew.length > 0) throw validationError('ClientSessionUpdateAPIRequest', tooNew);
    const { value: patch } = stripUnknownFields(UpdateSessionBody, rest);
    const { ifMatch } = options;
    const saved = await this.mutate(
      () => this.find(merchantId, clientToken),
      (data) => applyPatch(data, patch as SessionPatch),
      'ClientSessionUpdateAPIRequest',
      ifMatch === undefined
        ? {}
        : {
            // If-Match (issue 5): a session changed since the client read it is a 412 and nothing changes.
            guard: (current) => {
              if (!ifMatchAllows(ifMatch, current)) throw new ApiError('SessionVersionMismatch');
            },
            retryOnConflict: ifMatch.trim() === '*',
          },
    );
    return { session: renderSession(saved.data), stored: saved };
  }

  /**
   * Every change to a stored session (PATCH, the SDKs' actions): read, change, validate the whole
   * result, write on the version read; retried on the new version when another writer got there
   * first (unless `retryOnConflict` is false: then a lost race is a 412). `guard` and `change` may
   * throw an ApiError; nothing is stored then.
   */
  async mutate(
    lookup: () => Promise<StoredSession>,
    change: (data: SessionData) => SessionData,
    model: string,
    { guard, retryOnConflict = true }: { guard?: (current: StoredSession) => void; retryOnConflict?: boolean } = {},
  ): Promise<StoredSession> {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const current = await lookup();
      if (guard) guard(current);
      const merged = change(current.data);
      const problems = sessionErrors(merged);
      if (problems.length > 0) throw validationError(model, problems);
      const saved = await this.deps.store.sessions.update(current.id, merged, current.version, this.deps.clock());
      if (saved) {
        this.deps.events?.sessionUpdated();
        return saved;
      }
      // With If-Match the version the client named is gone: no merge onto a newer one.
      if (!retryOnConflict) throw new ApiError('SessionVersionMismatch');
      // Another writer changed the session between our read and write: change again on its version.
      await retryPause(attempt);
    }
    throw new ApiError('ServiceUnavailable', { detail: 'The session is being changed by many requests at once; retry.' });
  }

  /** Signature and expiry first, then storage (decisions.md, tokens). One answer for every failure. */
  private async find(merchantId: string, clientToken: string): Promise<StoredSession> {
    const verified = this.deps.tokens.verify(clientToken);
    if (!verified) throw new ApiError('ClientSessionValidationError');
    const stored = await this.deps.store.sessions.findByAccessTokenHash(verified.accessTokenHash);
    // Another merchant's session gets the same answer as an unknown one: it tells an attacker nothing.
    if (!stored || stored.merchantId !== merchantId || stored.expiresAt <= this.deps.clock()) {
      throw new ApiError('ClientSessionValidationError');
    }
    return stored;
  }
}
