// What the client SDKs do with a token: read the checkout configuration, send actions, validate the
// token. Authenticated by the token's accessToken alone (the Primer-Client-Token header): its hash
// finds the session, whoever the merchant. Changes go through SessionService.mutate, the same
// read-change-validate-write path as PATCH.
import type { Clock } from '../clock.ts';
import { ApiError } from '../http/errors.ts';
import { sha256 } from '../ids.ts';
import { shippingMethods, type CheckoutConfig } from '../merchants/checkout-config.ts';
import type { SessionService } from '../sessions/service.ts';
import type { Store, StoredSession } from '../storage/store.ts';
import type { ClientTokens } from '../tokens/client-token.ts';
import { ACTIONS_MODEL, applyActions, type Action } from './actions.ts';
import type { ConfigurationResponse } from './schemas.ts';
import { buildConfiguration } from './sdk-shape.ts';

export interface CheckoutServiceDeps {
  store: Store;
  clock: Clock;
  tokens: ClientTokens;
  sessions: SessionService;
  checkout: CheckoutConfig;
  publicUrl: string;
}

/** accessTokens are 40 hex characters; anything much longer is not one of ours. */
const MAX_ACCESS_TOKEN = 256;

export class CheckoutService {
  constructor(private readonly deps: CheckoutServiceDeps) {}

  async configuration(accessToken: string | undefined, withDisplayMetadata: boolean): Promise<ConfigurationResponse> {
    const stored = await this.findByAccessToken(accessToken);
    return this.render(stored, withDisplayMetadata);
  }

  async applyActions(accessToken: string | undefined, actions: readonly Action[]): Promise<ConfigurationResponse> {
    const context = { shippingMethods: shippingMethods(this.deps.checkout) };
    const saved = await this.deps.sessions.mutate(
      () => this.findByAccessToken(accessToken),
      (data) => applyActions(data, actions, context),
      ACTIONS_MODEL,
    );
    return this.render(saved, true);
  }

  /** POST /client-token/validate: the whole JWT, checked like every other use, then its session. */
  async validate(clientToken: string): Promise<{ success: true }> {
    const verified = this.deps.tokens.verify(clientToken);
    if (!verified) throw new ApiError('ClientSessionValidationError');
    const stored = await this.deps.store.sessions.findByAccessTokenHash(verified.accessTokenHash);
    if (!stored || stored.expiresAt <= this.deps.clock()) throw new ApiError('ClientSessionValidationError');
    return { success: true };
  }

  private render(stored: StoredSession, withDisplayMetadata: boolean): ConfigurationResponse {
    return buildConfiguration(stored, this.deps.checkout, { publicUrl: this.deps.publicUrl, withDisplayMetadata });
  }

  /** One answer (400 ClientSessionValidationError) for missing, unknown and expired tokens. */
  private async findByAccessToken(accessToken: string | undefined): Promise<StoredSession> {
    if (!accessToken || accessToken.length > MAX_ACCESS_TOKEN) throw new ApiError('ClientSessionValidationError');
    const stored = await this.deps.store.sessions.findByAccessTokenHash(sha256(accessToken));
    if (!stored || stored.expiresAt <= this.deps.clock()) throw new ApiError('ClientSessionValidationError');
    return stored;
  }
}
