// What every payments use case shares (tokenize.ts, vault-service.ts, lifecycle.ts, three-ds.ts,
// jobs.ts): the dependencies, one action run through the status machine (`act`), committing a draft
// with its idempotency key, what authorization needs from the service (`hooks`: vaulting, opening a
// 3DS action) and the action's tokens. Every change runs through PaymentStore.change, serialised per
// payment (or token) in every process, and commits the payment with its events, its jobs and its
// idempotency key in one unit of work. Nothing here knows HTTP.
import type { SandboxSettings } from '../checkout/configuration.ts';
import { KassaError, validationError } from '../errors.ts';
import type { Clock } from '../lib/clock.ts';
import { originOf, type Context } from '../lib/context.ts';
import { newPaymentToken, sha256 } from '../lib/ids.ts';
import { asUuid, type Sealer } from '../lib/seal.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import { fieldsNewerThan } from '../primer/field-versions.ts';
import type { Store } from '../storage/store.ts';
import type { UnitOfWork } from '../storage/unit-of-work.ts';
import type { ClientTokens } from '../tokens/client-token.ts';
import { ACTION_TTL_MS, type AuthorizeHooks } from './authorize.ts';
import { Draft } from './draft.ts';
import type { MethodRegistry } from './methods/registry.ts';
import type { OpenAction } from './payment.ts';
import type { Locked, SavedCardOf, StoredPayment } from './payment.store.ts';
import { PAYMENT_FIELD_VERSIONS } from './schemas.ts';
import { refusalMessage, type PaymentAction, type Refusal } from './status-machine.ts';
import { vaultToken } from './vault.ts';

/** Refused capture, cancel and refund calls a payment takes before every further one is refused. */
export const FAILED_REQUEST_LIMIT = 100;
const ACTION_SEAL = 'payment-action-token';
const RESUME = 'resume-token';

export interface PaymentServiceDeps {
  /** Only the stores payments use. */
  store: Pick<Store, 'payments' | 'paypal'>;
  clock: Clock;
  tokens: ClientTokens;
  sealer: Sealer;
  sandbox: SandboxSettings;
  /** How long an authorization can be captured (KASSA_AUTHORIZATION_VALIDITY_SECONDS, ms). */
  authorizationValidityMs: number;
  publicUrl: string;
  /** The methods besides cards that the checkout offers and Kassa pays (methods/registry.ts). */
  methods: MethodRegistry;
}

/** Who calls: a merchant's server, or the SDK with its session's client token. */
export type Caller = { merchantId: string; session?: undefined } | { merchantId: string; session: StoredSession };

/** Answers to a capture, cancel or refund that do not count as its refusal. */
const NOT_COUNTED = new Set<string>([
  'PaymentRequestLimitExceeded',
  'IdempotencyKeyAlreadyExists',
  'IdempotencyKeyInFlight',
  'TransactionRequestIdempotencyKeyAlreadyExists',
]);
const MODELS: Record<PaymentAction, string> = {
  authorize: 'PaymentAuthorizationAPIRequest',
  capture: 'PaymentCaptureAPIRequest',
  cancel: 'PaymentCancelAPIRequest',
  refund: 'PaymentRefundAPIRequest',
  resume: 'PaymentResumeAPIRequest',
  adjust: 'PaymentAdjustAuthorizationAPIRequest',
};

/** The customer a payment's pending step may vault its card for (its saved card of that number is read with it). */
export const vaultingCustomer: SavedCardOf = ({ payment }) => {
  if (!payment || payment.data.isVaulted || payment.data.tokenType === 'MULTI_USE') return undefined;
  const { vaultOnSuccess, vaultOn3DS } = payment.data.options;
  return vaultOnSuccess || vaultOn3DS ? payment.data.customerId : undefined;
};

export const notFound = (action: PaymentAction | 'get') =>
  new KassaError(action === 'authorize' ? 'PaymentNotFoundError' : action === 'adjust' ? 'EntityNotFound' : 'PaymentError');

/** A refusal of the status machine, as the error the client sees. */
function refused(r: Refusal, payment: StoredPayment, action: PaymentAction): KassaError {
  const extra = { paymentId: payment.id, paymentStatus: payment.status };
  switch (r.errorId) {
    case 'RequestValidationError':
      return validationError(MODELS[action], [{ path: r.path, description: r.description }]);
    case 'UnprocessableRefundAmount':
      return new KassaError('UnprocessableRefundAmount', {
        detail: `Cannot refund this payment with the amount ${r.amount}. The refund amount must be less than or equal to the amount left to refund (${r.limit}).`,
        extra,
      });
    case 'NoActionsToHandle':
      return new KassaError('NoActionsToHandle', { extra });
    case 'RefundLimitExceeded':
      return new KassaError('RefundLimitExceeded', {
        detail: `A payment may have at most ${r.limit} refunds, and this one has them all.`,
        extra,
      });
    // Its status allows refunds; what it lacks is an amount left, which the catalogue's wording says.
    case 'PaymentAlreadyRefunded':
      return new KassaError(r.errorId, { extra });
    default:
      return new KassaError(r.errorId, { detail: refusalMessage(payment.status, action), extra });
  }
}

/** Refuses fields newer than the request's API version. */
export function checkVersion(body: unknown, ctx: Context): void {
  const errors = fieldsNewerThan(body, ctx, PAYMENT_FIELD_VERSIONS);
  if (errors.length > 0) throw validationError('PaymentRequest', errors);
}

/** Completes the request's idempotency key (the pipeline's step) in the unit of work that commits `payment`. */
export type CompleteKey = (uow: UnitOfWork, payment: StoredPayment) => void;
export const completeKey =
  (ctx: Context): CompleteKey =>
  (uow, payment) =>
    ctx.idempotency?.record(uow, { paymentId: payment.id, paymentStatus: payment.status });

/** Writes the draft into its unit of work, with the idempotency key it answers. */
export function commit(draft: Draft, uow: UnitOfWork, complete: CompleteKey): StoredPayment {
  const stored = draft.commit();
  complete(uow, stored);
  return stored;
}

export function closeAction(draft: Draft): void {
  if (!draft.data.action) return;
  delete draft.data.action;
  delete draft.payment.actionId;
  delete draft.payment.actionTokenHash;
}

/** The steps that need the service's dependencies, one instance per service. */
export class PaymentSteps {
  constructor(readonly deps: PaymentServiceDeps) {}

  get store() {
    return this.deps.store.payments;
  }

  /** Runs one action on a payment: serialised, checked by the status machine, committed with its events. */
  async act(
    ctx: Context,
    merchantId: string,
    paymentId: string,
    action: PaymentAction,
    key: string | undefined,
    decide: (draft: Draft, locked: Locked, uow: UnitOfWork) => Refusal | undefined,
  ): Promise<StoredPayment> {
    const counted = action === 'capture' || action === 'cancel' || action === 'refund';
    try {
      return await this.store.change({ kind: 'payment', merchantId, paymentId, savedCardOf: vaultingCustomer }, (locked, uow) => {
        const payment = locked.payment;
        if (!payment) throw notFound(action);
        if (counted && payment.failedRequests >= FAILED_REQUEST_LIMIT) {
          throw new KassaError('PaymentRequestLimitExceeded', { extra: { paymentId: payment.id, paymentStatus: payment.status } });
        }
        const draft = new Draft(payment, uow, this.deps.clock(merchantId), originOf(ctx, key), false);
        const refusal = decide(draft, locked, uow);
        if (refusal) throw refused(refusal, payment, action);
        return commit(draft, uow, completeKey(ctx));
      });
    } catch (error) {
      // A refused capture, cancel or refund counts towards the payment's limit (a missing payment has
      // nothing to count on; the limit and the idempotency answers are not refusals of the action).
      if (counted && error instanceof KassaError && error.status < 500 && !NOT_COUNTED.has(error.errorId)) {
        await this.store.countRefused(merchantId, paymentId);
      }
      throw error;
    }
  }

  /** What authorization needs from the service: the sandbox settings, vaulting and opening a 3DS action. */
  hooks(locked: Locked, uow: UnitOfWork, session: StoredSession | undefined): AuthorizeHooks {
    return {
      sandbox: this.deps.sandbox,
      vault: (d) => {
        const token = locked.token;
        const customerId = d.data.customerId;
        // Only cards are saved: a redirect or test method has nothing to pay with again.
        if (!token?.card || !customerId || d.data.tokenType === 'MULTI_USE' || d.data.isVaulted) return;
        const saved = vaultToken(uow, token, locked.vaulted, customerId, d.now, locked.sameCard);
        d.data.paymentMethodToken = saved.token;
        d.data.isVaulted = true;
      },
      openAction: (d) => this.openAction(d, session),
    };
  }

  private openAction(draft: Draft, session: StoredSession | undefined): OpenAction {
    const actionId = newPaymentToken().slice(4) + newPaymentToken().slice(4);
    const base = this.deps.publicUrl.replace(/\/$/, '');
    const expiresAt = draft.now + ACTION_TTL_MS;
    const method = draft.data.method;
    if (method) {
      // A redirect method (spec §5.5): the SDK opens redirectUrl, polls statusUrl with this token's
      // accessToken, and checks the intent; the token dies with the action at the latest.
      const { clientToken, accessTokenHash } = this.deps.tokens.issueAction({
        intent: `${method.paymentMethodType}_REDIRECTION`,
        expiresAt: Math.min(session?.expiresAt ?? expiresAt, expiresAt),
        claims: {
          redirectUrl: `${base}/kassa/sandbox/redirect/${actionId}`,
          statusUrl: `${base}/kassa/sandbox/redirect/${actionId}/status`,
        },
      });
      draft.payment.actionId = sha256(actionId);
      draft.payment.actionTokenHash = accessTokenHash;
      return {
        name: 'USE_PRIMER_SDK',
        description: `Redirect the customer to ${method.paymentMethodType} to complete the payment`,
        redirect: {},
        sealedClientToken: this.deps.sealer.seal(clientToken, ACTION_SEAL),
        expiresAt,
      };
    }
    const processor3ds = this.deps.sandbox.threeDSecureMode === 'PROCESSOR_3DS';
    const name = processor3ds ? 'PROCESSOR_3DS' : '3DS_AUTHENTICATION';
    const { clientToken, accessTokenHash: hash } = this.deps.tokens.issueAction({
      intent: name === 'PROCESSOR_3DS' ? 'PROCESSOR_3DS' : '3DS_AUTHENTICATION',
      expiresAt: session?.expiresAt ?? expiresAt,
      ...(processor3ds
        ? { claims: { redirectUrl: `${base}/kassa/sandbox/3ds/${actionId}`, statusUrl: `${base}/kassa/sandbox/3ds/${actionId}/status` } }
        : {}),
    });
    draft.payment.actionId = sha256(actionId);
    draft.payment.actionTokenHash = hash;
    return {
      name,
      description:
        name === 'PROCESSOR_3DS' ? 'Redirect the customer to complete 3DS with the processor' : 'Authenticate the customer with 3DS',
      sealedClientToken: this.deps.sealer.seal(clientToken, ACTION_SEAL),
      expiresAt,
    };
  }

  /** A resume token: derived from the open action's (hashed) id, so it is never stored and dies with the action. */
  resumeToken(actionIdHash: string): string {
    return asUuid(this.deps.sealer.derive(actionIdHash, RESUME));
  }

  /** Whether `token` is the action's resume token under any server secret (one made before a rotation still works). */
  isResumeToken(token: string, actionIdHash: string): boolean {
    return this.deps.sealer.deriveAll(actionIdHash, RESUME).some((hex) => asUuid(hex) === token);
  }

  /** The open action's client token (sealed at rest). */
  actionToken = (action: OpenAction): string => this.deps.sealer.open(action.sealedClientToken, ACTION_SEAL) ?? '';
}
