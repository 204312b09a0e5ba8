// The payments sandbox as the routes, the job runner and the CLI see it (docs/payments.md): one
// object composed of the use cases, each in a module of its own on the shared steps (steps.ts), so a
// caller needs one dependency while a reader finds each behaviour by its use case's name.
import { PaymentJobs } from './jobs.ts';
import { Lifecycle } from './lifecycle.ts';
import { Klarna } from './methods/klarna.ts';
import { PayPalFlows } from './methods/paypal.ts';
import { Redirects } from './methods/redirect.ts';
import { PaymentSteps, type PaymentServiceDeps } from './steps.ts';
import { ThreeDS } from './three-ds.ts';
import { Tokenize } from './tokenize.ts';
import { VaultService } from './vault-service.ts';

export type { CreateInput } from './payment-data.ts';
export type { Caller, PaymentServiceDeps } from './steps.ts';

export class PaymentService {
  // tokenize.ts
  readonly tokenize: Tokenize['tokenize'];
  readonly exchange: Tokenize['exchange'];
  // vault-service.ts
  readonly vault: VaultService['vault'];
  readonly vaulted: VaultService['vaulted'];
  readonly deleteVaulted: VaultService['deleteVaulted'];
  readonly makeDefault: VaultService['makeDefault'];
  readonly sdkVaulted: VaultService['sdkVaulted'];
  readonly sdkDeleteVaulted: VaultService['sdkDeleteVaulted'];
  // lifecycle.ts
  readonly create: Lifecycle['create'];
  readonly get: Lifecycle['get'];
  readonly search: Lifecycle['search'];
  readonly authorize: Lifecycle['authorize'];
  readonly capture: Lifecycle['capture'];
  readonly cancel: Lifecycle['cancel'];
  readonly refund: Lifecycle['refund'];
  readonly adjust: Lifecycle['adjust'];
  readonly resume: Lifecycle['resume'];
  // three-ds.ts
  readonly continueThreeDS: ThreeDS['continueThreeDS'];
  readonly sandboxThreeDS: ThreeDS['sandboxThreeDS'];
  readonly processorThreeDS: ThreeDS['processorThreeDS'];
  // methods/redirect.ts
  readonly redirect: Redirects['redirect'];
  readonly sandboxRedirect: Redirects['sandboxRedirect'];
  // methods/klarna.ts: Klarna's helper calls
  readonly klarna: Klarna;
  // methods/paypal.ts: the SDKs' PayPal helper calls and the approval page
  readonly paypal: PayPalFlows;
  // jobs.ts
  readonly runJob: PaymentJobs['runJob'];
  readonly advance: PaymentJobs['advance'];
  /** The open action's client token (sealed at rest), for rendering a payment. */
  readonly actionToken: PaymentSteps['actionToken'];

  constructor(deps: PaymentServiceDeps) {
    const steps = new PaymentSteps(deps);
    const tokenize = new Tokenize(steps);
    this.tokenize = tokenize.tokenize.bind(tokenize);
    this.exchange = tokenize.exchange.bind(tokenize);
    const vault = new VaultService(steps);
    this.vault = vault.vault.bind(vault);
    this.vaulted = vault.vaulted.bind(vault);
    this.deleteVaulted = vault.deleteVaulted.bind(vault);
    this.makeDefault = vault.makeDefault.bind(vault);
    this.sdkVaulted = vault.sdkVaulted.bind(vault);
    this.sdkDeleteVaulted = vault.sdkDeleteVaulted.bind(vault);
    const lifecycle = new Lifecycle(steps);
    this.create = lifecycle.create.bind(lifecycle);
    this.get = lifecycle.get.bind(lifecycle);
    this.search = lifecycle.search.bind(lifecycle);
    this.authorize = lifecycle.authorize.bind(lifecycle);
    this.capture = lifecycle.capture.bind(lifecycle);
    this.cancel = lifecycle.cancel.bind(lifecycle);
    this.refund = lifecycle.refund.bind(lifecycle);
    this.adjust = lifecycle.adjust.bind(lifecycle);
    this.resume = lifecycle.resume.bind(lifecycle);
    const threeDS = new ThreeDS(steps);
    this.continueThreeDS = threeDS.continueThreeDS.bind(threeDS);
    this.sandboxThreeDS = threeDS.sandboxThreeDS.bind(threeDS);
    this.processorThreeDS = threeDS.processorThreeDS.bind(threeDS);
    const redirects = new Redirects(steps);
    this.redirect = redirects.redirect.bind(redirects);
    this.sandboxRedirect = redirects.sandboxRedirect.bind(redirects);
    this.klarna = new Klarna(steps.deps);
    this.paypal = new PayPalFlows(deps);
    const jobs = new PaymentJobs(steps);
    this.runJob = jobs.runJob.bind(jobs);
    this.advance = jobs.advance.bind(jobs);
    this.actionToken = steps.actionToken;
  }
}
