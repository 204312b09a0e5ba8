// Applies a seed file (docs/sandbox.md, "Seed"): merchants, API keys with the secrets given, customers'
// saved cards, webhook endpoints and client sessions, through the services the API uses. The whole
// file is checked first (validate.ts), so a bad file writes nothing. Every item has a natural key
// (merchant id, key secret, customer and card, endpoint URL, session orderId) and one that exists is
// left as it is, so seeding twice changes nothing the second time. The writes are several commits, not
// one: a write that fails part way (the storage went away) leaves the items before it, and seeding
// the same file again finishes the rest, since each item is written only where it is missing.
import { type CheckoutConfig, defaultCheckoutConfig } from '../../checkout/configuration.ts';
import type { Config } from '../../config.ts';
import type { Clock } from '../../lib/clock.ts';
import { newAnalyticsId, newPaymentToken } from '../../lib/ids.ts';
import { Sealer } from '../../lib/seal.ts';
import { Merchants } from '../../merchants/merchants.ts';
import { createPaymentService } from '../../payments/create.ts';
import type { StoredToken } from '../../payments/payment.store.ts';
import type { PaymentService } from '../../payments/service.ts';
import { CARD_FINGERPRINT } from '../../payments/tokenize.ts';
import { SessionAccess } from '../../sessions/access.ts';
import { SessionService } from '../../sessions/service.ts';
import type { StoredSession } from '../../sessions/session.store.ts';
import type { Store } from '../../storage/store.ts';
import { ClientTokens } from '../../tokens/client-token.ts';
import type { SigningKey } from '../../tokens/signing-key.store.ts';
import type { Resolver } from '../../webhooks/destination.ts';
import { createWebhookService } from '../../webhooks/create.ts';
import type { WebhookService } from '../../webhooks/service.ts';
import type { SeedMerchant } from './schema.ts';
import { checkSeed, type PlannedCard, type SeedPlan } from './validate.ts';

export interface SeedDeps {
  store: Store;
  clock: Clock;
  config: Config;
  /** The process's signing keys (server.ts, prepareStorage): they seal endpoint secrets and key card fingerprints. */
  signingKeys: readonly SigningKey[];
  /** The checkout configuration sessions are made under; the built-in one when absent. */
  checkout?: CheckoutConfig;
  resolve?: Resolver;
}

/** What a seed did, per merchant: what it made and what was there already. Secrets only when made here. */
export interface SeededMerchant {
  id: string;
  created: boolean;
  apiKeys: { created: number; existing: number };
  savedCards: { created: number; existing: number };
  webhookEndpoints: { id: string; url: string; created: boolean; secret?: string }[];
  sessions: { orderId: string; created: boolean; clientToken?: string; clientTokenExpirationDate?: string }[];
}

/** A saved card's source token lives this long: long enough to be vaulted at once, then the purger takes it. */
const SOURCE_TOKEN_MS = 60_000;
/** Sessions read per page when looking for an orderId. */
const SESSION_PAGE = 500;

/** Checks the whole file, then writes what is missing; throws SeedError (nothing written) for a bad file. */
export async function applySeed(input: unknown, deps: SeedDeps): Promise<{ merchants: SeededMerchant[] }> {
  const sealer = new Sealer(deps.signingKeys.map((k) => k.secret));
  const plan = await checkSeed(input, {
    store: deps.store,
    config: deps.config,
    fingerprint: (digits) => sealer.derive(digits, CARD_FINGERPRINT),
    now: deps.clock(),
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
  });
  const writer = new SeedWriter(deps, sealer);
  const merchants: SeededMerchant[] = [];
  for (const [i, merchant] of plan.file.merchants.entries()) merchants.push(await writer.merchant(merchant, plan, i));
  return { merchants };
}

class SeedWriter {
  private readonly merchants: Merchants;
  private readonly payments: PaymentService;
  private readonly webhooks: WebhookService;
  private readonly sessions: SessionService;

  constructor(
    private readonly deps: SeedDeps,
    sealer: Sealer,
  ) {
    const { store, clock, config, signingKeys } = deps;
    const checkout = deps.checkout ?? defaultCheckoutConfig(config.sdkEnv);
    const tokens = new ClientTokens(
      signingKeys,
      { publicUrl: config.publicUrl, env: checkout.env, ttlSeconds: config.tokenTtlSeconds },
      clock,
    );
    this.merchants = new Merchants(store, clock);
    this.payments = createPaymentService({ store, clock, signingKeys, checkout, config, tokens, sealer });
    this.webhooks = createWebhookService({ store, clock, signingKeys, config, sealer });
    const offered = checkout.paymentMethods.map((m) => m.type);
    const access = new SessionAccess({ sessions: store.sessions, tokens, clock });
    this.sessions = new SessionService({ store, tokens, access, clock, offeredPaymentMethods: () => offered });
  }

  async merchant(merchant: SeedMerchant, plan: SeedPlan, i: number): Promise<SeededMerchant> {
    const created = await this.ensureMerchant(merchant);
    const apiKeys = { created: 0, existing: 0 };
    for (const [j, key] of (merchant.apiKeys ?? []).entries()) {
      const made = await this.ensureKey(merchant.id, key.secret, key.scopes, plan.keyHashes[i]![j]!);
      apiKeys[made ? 'created' : 'existing']++;
    }
    const webhookEndpoints: SeededMerchant['webhookEndpoints'] = [];
    for (const endpoint of merchant.webhookEndpoints ?? []) webhookEndpoints.push(await this.ensureEndpoint(merchant.id, endpoint));
    const savedCards = { created: 0, existing: 0 };
    for (const [j, customer] of (merchant.customers ?? []).entries()) {
      for (const card of plan.cards[i]![j]!)
        savedCards[(await this.ensureCard(merchant.id, customer.customerId, card)) ? 'created' : 'existing']++;
    }
    const sessions: SeededMerchant['sessions'] = [];
    for (const body of merchant.sessions ?? []) sessions.push(await this.ensureSession(merchant.id, body));
    return { id: merchant.id, created, apiKeys, savedCards, webhookEndpoints, sessions };
  }

  private async ensureMerchant(merchant: SeedMerchant): Promise<boolean> {
    if (await this.merchants.findMerchant(merchant.id)) return false;
    try {
      await this.merchants.createMerchant(merchant.name, merchant.id);
      return true;
    } catch (error) {
      // Another process seeding the same file made it first.
      if (await this.merchants.findMerchant(merchant.id)) return false;
      throw error;
    }
  }

  private async ensureKey(merchantId: string, secret: string, scopes: readonly string[] | undefined, hash: string): Promise<boolean> {
    const { store } = this.deps;
    if (await store.apiKeys.findBySecretHash(hash)) return false;
    try {
      await this.merchants.createKey(merchantId, scopes, secret);
      return true;
    } catch (error) {
      if (await store.apiKeys.findBySecretHash(hash)) return false;
      throw error;
    }
  }

  private async ensureEndpoint(merchantId: string, endpoint: NonNullable<SeedMerchant['webhookEndpoints']>[number]) {
    const { store, clock } = this.deps;
    const url = new URL(endpoint.url).toString();
    const existing = (await store.webhooks.endpoints(merchantId)).find((e) => e.url === url);
    if (existing) return { id: existing.id, url, created: false };
    const { secret: _given, ...input } = endpoint;
    // The cap was checked with the whole file; the endpoint a file names is made whatever came in since.
    const made = await this.webhooks.createEndpoint(merchantId, input, endpoint.secret, undefined);
    // Processes seeding at once may each have made one: the oldest stays, as every process decides.
    const same = (await store.webhooks.endpoints(merchantId)).filter((e) => e.url === url);
    for (const extra of same.slice(1)) await store.webhooks.updateEndpoint({ ...extra, deletedAt: clock() });
    const kept = same[0]?.id === made.id;
    return { id: same[0]?.id ?? made.id, url, created: kept, ...(kept && endpoint.secret === undefined ? { secret: made.secret } : {}) };
  }

  /** The customer's saved card of this number: tokenized (without the number) and vaulted through the vault service, unless it is saved already. */
  private async ensureCard(merchantId: string, customerId: string, planned: PlannedCard): Promise<boolean> {
    const { store, clock } = this.deps;
    if (await this.hasSavedCard(merchantId, customerId, planned.fingerprint)) return false;
    const now = clock();
    const source: StoredToken = {
      token: newPaymentToken(),
      merchantId,
      tokenType: 'SINGLE_USE',
      analyticsId: newAnalyticsId(),
      card: planned.card,
      scenario: planned.scenario.key,
      cvvGiven: false,
      fingerprint: planned.fingerprint,
      isDefault: false,
      createdAt: now,
      expiresAt: now + SOURCE_TOKEN_MS,
    };
    await store.commit((uow) => uow.payments.insertToken(source));
    await this.payments.vault(merchantId, source.token, customerId);
    return true;
  }

  private async hasSavedCard(merchantId: string, customerId: string, fingerprint: string): Promise<boolean> {
    let after: { createdAt: number; vaultedId: string } | undefined;
    for (;;) {
      const page = await this.deps.store.payments.vaulted(merchantId, customerId, 100, after);
      if (page.some((t) => t.fingerprint === fingerprint)) return true;
      const last = page.at(-1);
      if (page.length < 100 || !last?.vaultedId) return false;
      after = { createdAt: last.createdAt, vaultedId: last.vaultedId };
    }
  }

  /** A session with this orderId whose client token has not expired is the one; otherwise one is made, as POST /client-session makes it. */
  private async ensureSession(merchantId: string, body: NonNullable<SeedMerchant['sessions']>[number]) {
    const orderId = body.orderId!;
    if (await this.liveSession(merchantId, orderId)) return { orderId, created: false };
    const answer = await this.sessions.create({ merchantId, apiVersion: '2.4', requestId: 'kassa-seed' }, body, []);
    const { clientToken, clientTokenExpirationDate } = JSON.parse(answer.body) as {
      clientToken: string;
      clientTokenExpirationDate: string;
    };
    return { orderId, created: true, clientToken, clientTokenExpirationDate };
  }

  private async liveSession(merchantId: string, orderId: string): Promise<StoredSession | undefined> {
    const now = this.deps.clock();
    let before: number | undefined;
    for (;;) {
      const page = await this.deps.store.sessions.listByMerchant(merchantId, {
        limit: SESSION_PAGE,
        ...(before !== undefined ? { before } : {}),
      });
      const found = page.find((s) => s.data.orderId === orderId && s.expiresAt > now);
      if (found || page.length < SESSION_PAGE) return found;
      before = page.at(-1)!.createdAt;
    }
  }
}
