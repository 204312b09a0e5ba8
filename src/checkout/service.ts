// What the client SDKs do with a token: read the checkout configuration, send actions, validate the
// token. Authenticated by the token's accessToken alone (the Primer-Client-Token header): its hash
// finds the session, whoever the merchant. Actions go through SessionService.change, the same
// serialised change path as PATCH.
import { then, type Awaitable } from '../lib/awaitable.ts';
import type { Clock } from '../lib/clock.ts';
import { timed, type Context } from '../lib/context.ts';
import { serializer } from '../lib/serialize.ts';
import { accessTokenHash, clientTokenHash, usable } from '../sessions/lookup.ts';
import type { SessionService } from '../sessions/service.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import type { Store } from '../storage/store.ts';
import type { ClientTokens } from '../tokens/client-token.ts';
import { ACTIONS_MODEL, applyActions, type Action } from './actions.ts';
import { shippingMethods, type CheckoutConfig } from './configuration.ts';
import { ConfigurationResponse } from './schemas.ts';
import { buildConfiguration } from './sdk-shape.ts';

export interface CheckoutServiceDeps {
  store: Store;
  clock: Clock;
  tokens: ClientTokens;
  sessions: SessionService;
  checkout: CheckoutConfig;
  publicUrl: string;
}

const serializeConfiguration = serializer(ConfigurationResponse);

export class CheckoutService {
  constructor(private readonly deps: CheckoutServiceDeps) {}

  /** The session an SDK request's access token names, if it may be used now (the pipeline's SDK step). */
  session(ctx: Context, accessToken: string | undefined): Awaitable<StoredSession> {
    const hash = accessTokenHash(accessToken);
    return then(
      timed(ctx, 'sessions.findByAccessTokenHash', () => this.deps.store.sessions.findByAccessTokenHash(hash)),
      (found) => usable(found, this.deps.clock()),
    );
  }

  /** GET /client-sdk/configuration for the request's session, serialized. */
  configuration(stored: StoredSession, withDisplayMetadata: boolean): string {
    return this.render(stored, withDisplayMetadata);
  }

  /** POST /client-session/actions: the session changed by the actions, answered as the configuration. */
  async applyActions(ctx: Context, accessToken: string | undefined, actions: readonly Action[]): Promise<string> {
    const hash = accessTokenHash(accessToken);
    const context = { shippingMethods: shippingMethods(this.deps.checkout) };
    const { body } = await this.deps.sessions.change(ctx, hash, (data) => applyActions(data, actions, context), ACTIONS_MODEL, {
      render: (stored) => this.render(stored, true),
    });
    return body;
  }

  /** POST /client-token/validate: the whole JWT, checked like every other use, then its session. */
  async validate(ctx: Context, clientToken: string): Promise<{ success: true }> {
    const hash = clientTokenHash(this.deps.tokens, clientToken);
    usable(await timed(ctx, 'sessions.versionOf', () => this.deps.store.sessions.versionOf(hash)), this.deps.clock());
    return { success: true };
  }

  private render(stored: StoredSession, withDisplayMetadata: boolean): string {
    return serializeConfiguration(buildConfiguration(stored, this.deps.checkout, { publicUrl: this.deps.publicUrl, withDisplayMetadata }));
  }
}
