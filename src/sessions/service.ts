// The Client Session API's use cases: create, retrieve, update. Routes call these; these call the
// pure domain functions and the store. A rejected request stores nothing.
import type { Clock } from '../clock.ts';
import { ApiError, validationError } from '../http/errors.ts';
import { newSessionId } from '../ids.ts';
import type { Store, StoredSession } from '../storage/store.ts';
import { formatExpirationDate, type ClientTokens } from '../tokens/client-token.ts';
import { amountErrors } from './amount.ts';
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
}

/** A PATCH that lost a version race is retried this many times before giving up. */
const UPDATE_ATTEMPTS = 8;

export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  async create(merchantId: string, body: SessionData, apiVersion: string): Promise<SessionWithTokenResponse> {
    const tooNew = fieldsNewerThan(body, apiVersion);
    if (tooNew.length > 0) throw validationError('ClientSessionAPIRequest', tooNew);
    const { value: data, ignored } = stripUnknownFields(CreateSessionBody, body);
    // The route validated the body against CreateSessionBody with these Ajv settings, and dropping
    // unknown nested fields cannot make it invalid: only the money rules are left to check.
    const problems = amountErrors(data);
    if (problems.length > 0) throw validationError('ClientSessionAPIRequest', problems);

    const token = this.deps.tokens.issue();
    const now = this.deps.clock();
    await this.deps.store.sessions.insert({
      id: newSessionId(),
      merchantId,
      accessTokenHash: token.accessTokenHash,
      data,
      version: 1,
      createdAt: now,
      updatedAt: now,
      expiresAt: token.expiresAt,
    });
    const warnings = computeWarnings(data, {
      ignoredFields: ignored,
      offeredPaymentMethods: this.deps.offeredPaymentMethods(merchantId),
    });
    const session = renderSession(data);
    return {
      clientToken: token.clientToken,
      clientTokenExpirationDate: formatExpirationDate(token.expiresAt),
      ...session,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }

  async get(merchantId: string, clientToken: string): Promise<{ session: SessionResponse; stored: StoredSession }> {
    const stored = await this.find(merchantId, clientToken);
    return { session: renderSession(stored.data), stored };
  }

  async update(
    merchantId: string,
    body: Record<string, unknown> & { clientToken: string },
    apiVersion: string,
  ): Promise<{ session: SessionResponse; stored: StoredSession }> {
    const { clientToken, ...rest } = body;
    const tooNew = fieldsNewerThan(rest, apiVersion);
    const pm = rest.paymentMethod as Record<string, unknown> | null | undefined;
    if (pm && pm.options !== undefined) {
      tooNew.push({ path: '$.paymentMethod.options', description: 'paymentMethod.options cannot be updated after creation' });
    }
    if (tooNew.length > 0) throw validationError('ClientSessionUpdateAPIRequest', tooNew);
    const { value: patch } = stripUnknownFields(UpdateSessionBody, rest);

    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const current = await this.find(merchantId, clientToken);
      const merged = applyPatch(current.data, patch as SessionPatch);
      const problems = sessionErrors(merged);
      if (problems.length > 0) throw validationError('ClientSessionUpdateAPIRequest', problems);
      const saved = await this.deps.store.sessions.update(current.id, merged, current.version, this.deps.clock());
      if (saved) return { session: renderSession(saved.data), stored: saved };
      // Another writer changed the session between our read and write: merge again on its version.
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
