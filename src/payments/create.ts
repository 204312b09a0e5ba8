// A PaymentService as a process builds it: the server (app.ts) and the `kassa payments` commands, so
// both run the sandbox with the same settings, the same token signer and the same sealing secrets
// (a required action's client token, sealed by the server, opens in the CLI).
import type { CheckoutConfig } from '../checkout/configuration.ts';
import type { Config } from '../config.ts';
import type { Clock } from '../lib/clock.ts';
import { Sealer } from '../lib/seal.ts';
import type { Store } from '../storage/store.ts';
import { ClientTokens } from '../tokens/client-token.ts';
import type { SigningKey } from '../tokens/signing-key.store.ts';
import { MethodRegistry } from './methods/registry.ts';
import { PaymentService } from './service.ts';

export interface PaymentServiceSetup {
  store: Store;
  clock: Clock;
  /** The process's signing keys, the one that signs first (server.ts, prepareStorage). */
  signingKeys: readonly SigningKey[];
  /** The checkout configuration: its `env` goes into action tokens, its `sandbox` settings rule the payments. */
  checkout: CheckoutConfig;
  config: Pick<Config, 'publicUrl' | 'tokenTtlSeconds' | 'authorizationValidityMs'>;
  /** The process's client tokens when it has them already (app.ts shares one with the sessions); made from the keys otherwise. */
  tokens?: ClientTokens;
  /** The process's sealer when it has one already (app.ts shares one with the webhooks); made from the keys otherwise. */
  sealer?: Sealer;
}

export function createPaymentService(setup: PaymentServiceSetup): PaymentService {
  const { store, clock, signingKeys, checkout, config } = setup;
  const tokens =
    setup.tokens ??
    new ClientTokens(signingKeys, { publicUrl: config.publicUrl, env: checkout.env, ttlSeconds: config.tokenTtlSeconds }, clock);
  return new PaymentService({
    store,
    clock,
    tokens,
    sealer: setup.sealer ?? new Sealer(signingKeys.map((k) => k.secret)),
    sandbox: checkout.sandbox,
    authorizationValidityMs: config.authorizationValidityMs,
    publicUrl: config.publicUrl,
    methods: new MethodRegistry(checkout.paymentMethods),
  });
}
