// What the client SDKs do with a token: read the checkout configuration, send actions, validate the
// token. Authenticated by the token's accessToken alone (the Primer-Client-Token header): its hash
// finds the session, whoever the merchant. Actions go through SessionService.change, the same
// serialised change path as PATCH.
import type { Context } from '../lib/context.ts';
import { serializer } from '../lib/serialize.ts';
import { accessTokenHash, type SessionAccess } from '../sessions/access.ts';
import type { SessionService } from '../sessions/service.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import { ACTIONS_MODEL, applyActions, type Action } from './actions.ts';
import { shippingMethods, type CheckoutConfig } from './configuration.ts';
import { ConfigurationResponse } from './schemas.ts';
import { buildConfiguration } from './sdk-shape.ts';

export interface CheckoutServiceDeps {
  access: SessionAccess;
  sessions: SessionService;
  checkout: CheckoutConfig;
  publicUrl: string;
}

const serializeConfiguration = serializer(ConfigurationResponse);

export class CheckoutService {
  constructor(private readonly deps: CheckoutServiceDeps) {}

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

  /** POST /client-token/validate: the whole JWT, checked like every other use, then its session (or its payment action's). */
  async validate(ctx: Context, clientToken: string): Promise<{ success: true }> {
    await this.deps.access.validate(ctx, clientToken);
    return { success: true };
  }

  private render(stored: StoredSession, withDisplayMetadata: boolean): string {
    return serializeConfiguration(buildConfiguration(stored, this.deps.checkout, { publicUrl: this.deps.publicUrl, withDisplayMetadata }));
  }
}
