// The payments sandbox: tokenize a test card, create a payment from its session, act on it
// (authorize, capture, cancel, refund, resume, adjust), the vault, the 3DS steps and the sandbox
// helpers (docs/payments.md). Every change runs through PaymentStore.change, serialised per payment
// (or token) in every process, and commits the payment with its events, its jobs and its
// idempotency key in one unit of work. Nothing here knows HTTP: routes.ts reads the request and
// renders the answer.
import type { SandboxSettings } from '../checkout/configuration.ts';
import { KassaError, validationError, type FieldError } from '../errors.ts';
import type { Awaitable } from '../lib/awaitable.ts';
import type { Clock } from '../lib/clock.ts';
import { originOf, timed, type Context } from '../lib/context.ts';
import { newAnalyticsId, newPaymentId, newPaymentToken, newUuid, sha256 } from '../lib/ids.ts';
import { asUuid, type Sealer } from '../lib/seal.ts';
import { amountErrors, sessionAmount } from '../sessions/amount.ts';
import { accessTokenHash, usable } from '../sessions/lookup.ts';
import { applyPatch } from '../sessions/merge.ts';
import type { SessionData } from '../sessions/schemas.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import { fieldsNewerThan } from '../sessions/validate.ts';
import type { Store } from '../storage/store.ts';
import type { UnitOfWork } from '../storage/unit-of-work.ts';
import type { ClientTokens } from '../tokens/client-token.ts';
import {
  ACTION_EXPIRED,
  ACTION_TTL_MS,
  afterThreeDS,
  authorize,
  captureNow,
  finish,
  scenarioOf,
  type AuthorizeHooks,
} from './authorize.ts';
import { readCard } from './card-input.ts';
import { scenarioByKey } from './cards.ts';
import { Draft } from './draft.ts';
import type { CompleteKey, KeyedRequest, PaymentKeys } from './idempotency.ts';
import type { OpenAction, PaymentData, ThreeDSResult } from './payment.ts';
import { renderInstrument } from './payment.ts';
import type { Locked, PaymentJob, SavedCardOf, StoredPayment, StoredToken, VaultCursor } from './payment.store.ts';
import { searchPayments } from './listing.ts';
import { PAYMENT_FIELD_VERSIONS } from './schemas.ts';
import {
  adjust,
  cancel,
  isRefusal,
  refund,
  refusal,
  refusalMessage,
  settle,
  type MachineState,
  type PaymentAction,
  type Refusal,
} from './status-machine.ts';
import { exchangeToken, liveToken, vaultPage, vaultToken, type VaultPage } from './vault.ts';

/** Refused capture, cancel and refund calls a payment takes before every further one is refused. */
export const FAILED_REQUEST_LIMIT = 100;
/** Payment method tokens one client session may make (tokenize and exchange); a checkout makes a handful. */
export const SESSION_TOKEN_LIMIT = 100;
const CARD_FINGERPRINT = 'card-fingerprint';
const ACTION_SEAL = 'payment-action-token';
const RESUME = 'resume-token';

export interface PaymentServiceDeps {
  store: Store;
  clock: Clock;
  tokens: ClientTokens;
  sealer: Sealer;
  keys: PaymentKeys;
  sandbox: SandboxSettings;
  publicUrl: string;
}

/** What a payment-creating call sends, besides the token (fields sent win over the session's). */
export interface CreateInput {
  paymentMethodToken: string;
  orderId?: string;
  currencyCode?: string;
  amount?: number;
  order?: Record<string, unknown>;
  customerId?: string;
  customer?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  paymentMethod?: Record<string, unknown>;
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
const vaultingCustomer: SavedCardOf = ({ payment }) => {
  if (!payment || payment.data.isVaulted || payment.data.tokenType === 'MULTI_USE') return undefined;
  const { vaultOnSuccess, vaultOn3DS } = payment.data.options;
  return vaultOnSuccess || vaultOn3DS ? payment.data.customerId : undefined;
};

/** Refuses a token to a session that has made its limit of them (docs/payments.md, "Bounds"). */
function checkTokenLimit(locked: Locked): void {
  if ((locked.sessionTokens ?? 0) >= SESSION_TOKEN_LIMIT) {
    throw new KassaError('SessionTokenLimitExceeded', {
      detail: `This client session has made ${SESSION_TOKEN_LIMIT} payment method tokens, the most one session may make.`,
    });
  }
}

const invalidToken = () => new KassaError('PaymentError', { detail: 'The payment method token is invalid.' });
const notFound = (action: PaymentAction | 'get') =>
  new KassaError(action === 'authorize' ? 'PaymentNotFoundError' : action === 'adjust' ? 'EntityNotFound' : 'PaymentError');

/** At creation: the customer the payment may vault its card for, from what is sent over the token's session. */
const creationVaultCustomer =
  (input: CreateInput): SavedCardOf =>
  ({ token, session }) => {
    if (token?.tokenType !== 'SINGLE_USE') return undefined;
    const method = { ...session?.data.paymentMethod, ...input.paymentMethod } as Record<string, unknown>;
    const vaults = method.vaultOnSuccess === true || method.vaultOn3DS === true || method.vaultOnAgreement === true;
    return vaults ? (input.customerId ?? session?.data.customerId) : undefined;
  };

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

export class PaymentService {
  constructor(private readonly deps: PaymentServiceDeps) {}

  private get store() {
    return this.deps.store.payments;
  }

  // ---- The SDKs' client token ------------------------------------------------------------------

  /**
   * The session an SDK request's access token names: a session's own token, or the token of a
   * payment's required action (the SDKs carry on with that one after a 3DS action).
   */
  sessionFor(ctx: Context, accessToken: string | undefined, sessionByToken: () => Awaitable<StoredSession>): Awaitable<StoredSession> {
    try {
      const found = sessionByToken();
      if (!(found instanceof Promise)) return found;
      return found.catch(() => this.sessionByActionToken(ctx, accessToken));
    } catch {
      return this.sessionByActionToken(ctx, accessToken);
    }
  }

  private async sessionByActionToken(ctx: Context, accessToken: string | undefined): Promise<StoredSession> {
    const payment = await timed(ctx, 'payments.findByActionTokenHash', () =>
      this.store.findByActionTokenHash(accessTokenHash(accessToken)),
    );
    const session = payment?.sessionId ? await this.deps.store.sessions.findById(payment.merchantId, payment.sessionId) : undefined;
    return usable(session, this.deps.clock());
  }

  // ---- Tokenize and the SDK's vault --------------------------------------------------------------

  /** POST /payment-instruments: the card checked, kept as a token without its number or CVV. */
  async tokenize(session: StoredSession, body: { paymentInstrument: unknown; tokenType?: 'SINGLE_USE' | 'MULTI_USE' }) {
    const now = this.deps.clock();
    const multi = body.tokenType === 'MULTI_USE';
    const customerId = session.data.customerId;
    const { card, scenario, cvvGiven, fingerprint } = readCard(body.paymentInstrument, session.data.paymentMethod ?? {}, now, (digits) =>
      this.deps.sealer.derive(digits, CARD_FINGERPRINT),
    );
    if (multi && !customerId) {
      throw validationError('PaymentInstrumentTokenizationRequest', [
        { path: '$.tokenType', description: 'MULTI_USE needs a customerId on the client session.' },
      ]);
    }
    const token: StoredToken = {
      token: newPaymentToken(),
      merchantId: session.merchantId,
      tokenType: 'SINGLE_USE',
      sessionId: session.id,
      analyticsId: newAnalyticsId(),
      card,
      scenario: scenario.key,
      cvvGiven,
      ...(fingerprint !== undefined ? { fingerprint } : {}),
      isDefault: false,
      createdAt: now,
      expiresAt: session.expiresAt,
    };
    // Counted with the session's other tokens; with MULTI_USE, vaulted as the customer's saved card of this number if there is one.
    const sameCard = multi ? { merchantId: session.merchantId, customerId: customerId!, fingerprint: fingerprint! } : undefined;
    const saved = await this.store.change(
      { kind: 'session', sessionId: session.id, ...(sameCard ? { card: sameCard } : {}) },
      (locked, uow) => {
        checkTokenLimit(locked);
        uow.payments.insertToken(token);
        return multi ? vaultToken(uow, token, undefined, customerId!, now, locked.sameCard) : undefined;
      },
    );
    if (!saved) return renderInstrument(token);
    // The browser gets a SINGLE_USE token for its session; the saved card stays on the server.
    return { ...renderInstrument({ ...token, sourceToken: saved.token, customerId: saved.customerId }), tokenType: 'MULTI_USE' };
  }

  /** GET /payment-instruments from the SDK: a page of the session customer's saved cards, by their vpm_ ids. */
  async sdkVaulted(session: StoredSession, limit: number, after?: VaultCursor): Promise<VaultPage> {
    const customerId = session.data.customerId;
    if (!customerId) return { saved: [] };
    return this.vaulted(session.merchantId, customerId, limit, after);
  }

  /** DELETE /payment-instruments/{id}/vault from the SDK. */
  async sdkDeleteVaulted(session: StoredSession, vaultedId: string) {
    const saved = await this.store.findVaultedById(session.merchantId, vaultedId);
    if (!saved || saved.deletedAt !== undefined || !session.data.customerId || saved.customerId !== session.data.customerId) {
      throw new KassaError('InvalidPaymentInstrumentToken');
    }
    await this.deleteVaulted(session.merchantId, saved.token);
    return { id: vaultedId, deleted: true };
  }

  /** POST /payment-instruments/{id}/exchange: a SINGLE_USE token for a saved card, for this session. */
  async exchange(session: StoredSession, vaultedId: string, cvv: unknown) {
    if (cvv !== undefined && (typeof cvv !== 'string' || !/^\d{3,4}$/.test(cvv))) {
      throw validationError('ExchangeRequest', [{ path: '$.cvv', description: 'Must be three or four digits.' }]);
    }
    const saved = await this.store.findVaultedById(session.merchantId, vaultedId);
    if (!saved || saved.deletedAt !== undefined || !session.data.customerId || saved.customerId !== session.data.customerId) {
      throw new KassaError('InvalidPaymentInstrumentToken');
    }
    const token = exchangeToken(saved, session, cvv !== undefined, this.deps.clock());
    await this.store.change({ kind: 'session', sessionId: session.id }, (locked, uow) => {
      checkTokenLimit(locked);
      uow.payments.insertToken(token);
    });
    return renderInstrument(token);
  }

  // ---- Create -------------------------------------------------------------------------------------

  /** POST /payments: the payment, from its token's session and the fields sent (docs/payments.md, "Payments API"). */
  async create(ctx: Context, caller: Caller, input: CreateInput, key: string | undefined): Promise<StoredPayment> {
    this.checkVersion(input, ctx);
    const request: KeyedRequest = { merchantId: caller.merchantId, route: 'create', key, apiVersion: ctx.apiVersion };
    return this.deps.keys.run(request, (complete) =>
      this.store.change({ kind: 'token', token: input.paymentMethodToken, savedCardOf: creationVaultCustomer(input) }, (locked, uow) => {
        const now = this.deps.clock();
        const token = liveToken(locked, caller.merchantId, now);
        if (!token || (token.tokenType === 'SINGLE_USE' && token.usedAt !== undefined)) throw invalidToken();
        if (caller.session && token.sessionId !== caller.session.id) throw invalidToken();
        const session = token.tokenType === 'SINGLE_USE' ? locked.session : undefined;
        const data = this.paymentData(input, token, session);
        const payment: StoredPayment = {
          id: newPaymentId(),
          merchantId: caller.merchantId,
          ...(session ? { sessionId: session.id } : token.sessionId ? { sessionId: token.sessionId } : {}),
          token: token.token,
          status: 'PENDING',
          version: 1,
          createdAt: now,
          updatedAt: now,
          failedRequests: 0,
          data,
        };
        const draft = new Draft(payment, uow, now, originOf(ctx, key), true);
        if (token.tokenType === 'SINGLE_USE') uow.payments.updateToken(token.token, { usedAt: now });
        const hooks = this.hooks(locked, uow, session);
        if (data.options.vaultOnAgreement) hooks.vault(draft);
        if (this.deps.sandbox.authorizeOnCreate) authorize(draft, hooks);
        return this.commit(draft, uow, complete);
      }),
    );
  }

  /** Merges the request over the token's session; checks what a payment needs. */
  private paymentData(input: CreateInput, token: StoredToken, session: StoredSession | undefined): PaymentData {
    const { paymentMethodToken: _token, metadata, ...fields } = input;
    const base: SessionData = session ? structuredClone(session.data) : {};
    if (token.tokenType === 'MULTI_USE' && base.customerId === undefined && token.customerId) base.customerId = token.customerId;
    const merged = applyPatch(base, fields as Parameters<typeof applyPatch>[1]);
    if (metadata || base.metadata) merged.metadata = { ...base.metadata, ...(metadata as SessionData['metadata']) };
    // The session API's money rules on the merged order: a total past 2^53-1 would be stored rounded.
    const money = amountErrors(merged);
    if (money.length > 0) throw validationError('PaymentCreationAPIRequest', money);
    const amount = input.amount ?? sessionAmount(merged);
    const missing: FieldError[] = [];
    if (amount === undefined) missing.push({ path: '$.amount', description: 'Missing fields for payment.' });
    if (merged.currencyCode === undefined) missing.push({ path: '$.currencyCode', description: 'Missing fields for payment.' });
    if (merged.orderId === undefined) missing.push({ path: '$.orderId', description: 'Missing fields for payment.' });
    if (missing.length > 0) throw validationError('PaymentCreationAPIRequest', missing);
    const method = (merged.paymentMethod ?? {}) as Record<string, unknown>;
    const vaults = method.vaultOnSuccess === true || method.vaultOn3DS === true || method.vaultOnAgreement === true;
    if (vaults && merged.customerId === undefined) {
      throw validationError('PaymentCreationAPIRequest', [
        { path: '$.customerId', description: 'A customerId is needed to vault the payment method.' },
      ]);
    }
    if (merged.metadata && Object.hasOwn(merged.metadata, '')) throw new KassaError('MetadataContainsEmptyKey');
    const authorizationType = method.authorizationType === 'ESTIMATED' ? 'ESTIMATED' : 'FINAL';
    const machine: MachineState = {
      status: 'PENDING',
      pending: 'idle',
      capturingOpen: true,
      authorizationType,
      amount: amount!,
      amountCaptured: 0,
      amountRefunded: 0,
      captures: [],
    };
    const now = this.deps.clock();
    return {
      orderId: merged.orderId!,
      currencyCode: merged.currencyCode!,
      ...(merged.order ? { order: merged.order as Record<string, unknown> } : {}),
      ...(merged.customerId !== undefined ? { customerId: merged.customerId } : {}),
      ...(merged.customer ? { customer: merged.customer as Record<string, unknown> } : {}),
      ...(merged.metadata && Object.keys(merged.metadata).length > 0 ? { metadata: merged.metadata as Record<string, unknown> } : {}),
      options: {
        authorizationType,
        ...(typeof method.paymentType === 'string' ? { paymentType: method.paymentType } : {}),
        ...(typeof method.descriptor === 'string' ? { descriptor: method.descriptor } : {}),
        ...(method.vaultOnSuccess === true ? { vaultOnSuccess: true } : {}),
        ...(method.vaultOn3DS === true ? { vaultOn3DS: true } : {}),
        ...(method.vaultOnAgreement === true ? { vaultOnAgreement: true } : {}),
        ...(typeof method.firstPaymentReason === 'string' ? { firstPaymentReason: method.firstPaymentReason } : {}),
      },
      paymentMethodToken: token.token,
      tokenType: token.tokenType,
      isVaulted: token.tokenType === 'MULTI_USE' || token.customerId !== undefined,
      analyticsId: token.analyticsId,
      card: token.card,
      scenario: token.scenario,
      cvvCheck: token.cvvGiven ? (scenarioByKey(token.scenario)?.cvvResult ?? 'MATCHED') : 'NOT_PROVIDED',
      threeDS: { responseCode: 'NOT_PERFORMED' },
      processor: { ...this.deps.sandbox.processor },
      machine,
      transactions: [
        {
          id: newUuid(),
          type: 'SALE',
          date: now,
          amount: amount!,
          currencyCode: merged.currencyCode!,
          orderId: merged.orderId!,
          status: 'PENDING',
          events: [],
        },
      ],
    };
  }

  // ---- Reads --------------------------------------------------------------------------------------

  async get(merchantId: string, id: string): Promise<StoredPayment> {
    const payment = await this.store.findById(merchantId, id);
    if (!payment) throw notFound('get');
    return payment;
  }

  /** GET /payments: the query read, a page of the merchant's payments with its cursors (listing.ts). */
  search(merchantId: string, query: Record<string, string | string[] | undefined>) {
    return searchPayments(query, (filter, limit, cursor) => this.store.list(merchantId, filter, limit, cursor));
  }

  // ---- Actions ------------------------------------------------------------------------------------

  /** Runs one action on a payment: serialised, checked by the status machine, committed with its events. */
  private async act(
    ctx: Context,
    merchantId: string,
    paymentId: string,
    action: PaymentAction,
    key: string | undefined,
    decide: (draft: Draft, locked: Locked, uow: UnitOfWork) => Refusal | undefined,
  ): Promise<StoredPayment> {
    const request: KeyedRequest = { merchantId, route: action, paymentId, key, apiVersion: ctx.apiVersion };
    const counted = action === 'capture' || action === 'cancel' || action === 'refund';
    try {
      return await this.deps.keys.run(request, (complete) =>
        this.store.change({ kind: 'payment', merchantId, paymentId, savedCardOf: vaultingCustomer }, (locked, uow) => {
          const payment = locked.payment;
          if (!payment) throw notFound(action);
          if (counted && payment.failedRequests >= FAILED_REQUEST_LIMIT) {
            throw new KassaError('PaymentRequestLimitExceeded', { extra: { paymentId: payment.id, paymentStatus: payment.status } });
          }
          const draft = new Draft(payment, uow, this.deps.clock(), originOf(ctx, key), false);
          const refusal = decide(draft, locked, uow);
          if (refusal) throw refused(refusal, payment, action);
          return this.commit(draft, uow, complete);
        }),
      );
    } catch (error) {
      // A refused capture, cancel or refund counts towards the payment's limit (a missing payment has
      // nothing to count on; the limit and the idempotency answers are not refusals of the action).
      if (counted && error instanceof KassaError && error.status < 500 && !NOT_COUNTED.has(error.errorId)) {
        await this.store.countRefused(merchantId, paymentId);
      }
      throw error;
    }
  }

  authorize(ctx: Context, merchantId: string, id: string, processor: { processorMerchantId: string; name?: string }, key?: string) {
    return this.act(ctx, merchantId, id, 'authorize', key, (draft, locked, uow) => {
      const r = refusal(draft.data.machine, 'authorize');
      if (r) return r;
      const expected = this.deps.sandbox.processor;
      if (
        processor.processorMerchantId !== expected.processorMerchantId ||
        (processor.name !== undefined && processor.name !== expected.name)
      ) {
        throw new KassaError('MerchantAccountNotFound');
      }
      authorize(draft, this.hooks(locked, uow, undefined));
      return undefined;
    });
  }

  capture(
    ctx: Context,
    merchantId: string,
    id: string,
    body: { amount?: number; final?: boolean; order?: { retailerCountryCode?: string }; metadata?: Record<string, unknown> },
    key?: string,
  ) {
    this.checkVersion(body, ctx);
    return this.act(ctx, merchantId, id, 'capture', key, (draft) => {
      const result = captureNow(draft, body.amount, body.final, this.deps.sandbox.asyncDelayMs);
      if (isRefusal(result)) return result;
      if (body.metadata) draft.data.metadata = { ...draft.data.metadata, ...body.metadata };
      if (body.order?.retailerCountryCode) draft.data.order = { ...draft.data.order, retailerCountryCode: body.order.retailerCountryCode };
      return undefined;
    });
  }

  cancel(ctx: Context, merchantId: string, id: string, reason: string | undefined, key?: string) {
    return this.act(ctx, merchantId, id, 'cancel', key, (draft) => {
      const next = cancel(draft.data.machine);
      if (isRefusal(next)) return next;
      this.closeAction(draft);
      draft.dropJobs();
      if (reason !== undefined) draft.sale.reason = reason;
      draft.saleEvent('CANCELLATION_SUCCEEDED');
      draft.apply(next);
      return undefined;
    });
  }

  refund(
    ctx: Context,
    merchantId: string,
    id: string,
    body: { amount?: number; orderId?: string; reason?: string; transactionEventId?: string },
    key?: string,
  ) {
    this.checkVersion(body, ctx);
    return this.act(ctx, merchantId, id, 'refund', key, (draft) => {
      const scenario = scenarioOf(draft);
      const result = refund(draft.data.machine, {
        ...(body.amount !== undefined ? { amount: body.amount } : {}),
        ...(body.transactionEventId !== undefined ? { captureEventId: body.transactionEventId } : {}),
        fails: scenario.refundFails,
        refundsSoFar: draft.data.transactions.filter((t) => t.type === 'REFUND').length,
      });
      if (isRefusal(result)) return result;
      const transaction = {
        id: newUuid(),
        type: 'REFUND' as const,
        date: draft.now,
        amount: result.amount,
        currencyCode: draft.data.currencyCode,
        orderId: body.orderId ?? draft.data.orderId,
        status: result.settled ? ('SETTLED' as const) : ('FAILED' as const),
        ...(result.settled
          ? {}
          : { statusReason: { type: 'APPLICATION_ERROR' as const, message: 'The sandbox card refuses every refund.' } }),
        ...(body.reason !== undefined ? { reason: body.reason } : {}),
        events: [],
      };
      draft.data.transactions.push(transaction);
      draft.apply(result.state);
      draft.record('PAYMENT.REFUND', { refundId: transaction.id, refundAmount: result.amount, refundStatus: transaction.status });
      return undefined;
    });
  }

  adjust(ctx: Context, merchantId: string, id: string, amount: number, key?: string) {
    // The schema's Money allows 0; an authorization is adjusted to at least 1 (docs/payments.md, "Payments API").
    if (amount < 1) {
      return Promise.reject(
        validationError('PaymentAdjustAuthorizationAPIRequest', [{ path: '$.amount', description: 'The amount must be at least 1.' }]),
      );
    }
    return this.act(ctx, merchantId, id, 'adjust', key, (draft) => {
      const next = adjust(draft.data.machine, amount);
      if (isRefusal(next)) return next;
      draft.sale.amount = amount;
      draft.saleEvent('AUTHORIZATION_ADJUSTMENT_SUCCEEDED', { amount });
      draft.apply(next);
      return undefined;
    });
  }

  /** Resume after 3DS: the token must be the one the challenge gave for this payment's open action. */
  resume(ctx: Context, caller: Caller, id: string, resumeToken: string, key?: string) {
    return this.act(ctx, caller.merchantId, id, 'resume', key, (draft, locked, uow) => {
      if (caller.session && draft.payment.sessionId !== caller.session.id) throw notFound('resume');
      const r = refusal(draft.data.machine, 'resume');
      if (r) return r;
      const action = draft.data.action;
      if (!action?.outcome || !draft.payment.actionId || !this.isResumeToken(resumeToken, draft.payment.actionId)) {
        throw new KassaError('PaymentError', { detail: 'The resume token is not valid for this payment.' });
      }
      afterThreeDS(draft, action.outcome, true, this.hooks(locked, uow, undefined));
      return undefined;
    });
  }

  // ---- 3DS ------------------------------------------------------------------------------------------

  /**
   * The challenge's result for the payment waiting on `token` (the SDK's /3ds/{token}/continue): the
   * outcome set by the sandbox helper, else the card's. Returns what the SDK needs to resume.
   */
  async continueThreeDS(ctx: Context, session: StoredSession, tokenId: string) {
    const { payment, token } = await this.store.change({ kind: 'token', token: tokenId }, (locked, uow) => {
      const waiting = locked.payment;
      if (!locked.token || !waiting?.data.action || waiting.merchantId !== session.merchantId || waiting.sessionId !== session.id) {
        throw new KassaError('PaymentError', { detail: 'No payment is waiting for 3DS with this payment method token.' });
      }
      const draft = new Draft(waiting, uow, this.deps.clock(), originOf(ctx), false);
      const scenario = scenarioOf(draft);
      const outcome: ThreeDSResult =
        draft.data.action!.outcome ?? (scenario.threeDS.kind === 'challenge' ? scenario.threeDS.defaultResult : 'AUTH_SUCCESS');
      draft.data.action = { ...draft.data.action!, outcome };
      return { payment: this.commit(draft, uow, () => {}), token: locked.token };
    });
    const outcome = payment.data.action!.outcome!;
    return {
      token: renderInstrument(token),
      resumeToken: this.resumeToken(payment.actionId!),
      authentication: { responseCode: outcome, protocolVersion: '2.2.0', challengeIssued: true },
    };
  }

  /** The sandbox helper: sets the 3DS outcome of a payment awaiting it and gives its resume token. */
  async sandboxThreeDS(ctx: Context, merchantId: string, id: string, outcome: ThreeDSResult) {
    const payment = await this.store.change({ kind: 'payment', merchantId, paymentId: id }, (locked, uow) => {
      if (!locked.payment) throw notFound('get');
      if (!locked.payment.data.action) {
        throw new KassaError('InvalidPaymentStatus', {
          detail: 'The payment is not waiting for 3DS.',
          extra: { paymentId: locked.payment.id, paymentStatus: locked.payment.status },
        });
      }
      const draft = new Draft(locked.payment, uow, this.deps.clock(), originOf(ctx), false);
      draft.data.action = { ...draft.data.action!, outcome };
      return this.commit(draft, uow, () => {});
    });
    return { resumeToken: this.resumeToken(payment.actionId!) };
  }

  /**
   * The PROCESSOR_3DS sandbox page (no API key: the action id in its URL is unguessable, single use and
   * dies with the action). With an outcome, records it once; answers whether the challenge is done and,
   * if so, the resume token the SDK polls for.
   */
  async processorThreeDS(actionId: string, outcome?: ThreeDSResult) {
    const payment = await this.store.change({ kind: 'action', actionId: sha256(actionId) }, (locked, uow) => {
      const waiting = locked.payment;
      if (!waiting?.data.action || waiting.data.action.expiresAt <= this.deps.clock()) {
        throw new KassaError('PaymentError', { detail: 'No payment is waiting for this 3DS challenge.' });
      }
      if (!outcome || waiting.data.action.outcome) return waiting;
      const draft = new Draft(waiting, uow, this.deps.clock(), {}, false);
      draft.data.action = { ...draft.data.action!, outcome };
      return this.commit(draft, uow, () => {});
    });
    const done = payment.data.action!.outcome;
    return {
      status: done ? ('COMPLETE' as const) : ('PENDING' as const),
      ...(done ? { id: this.resumeToken(payment.actionId!) } : {}),
      source: '3DS' as const,
      amount: payment.data.machine.amount,
      currencyCode: payment.data.currencyCode,
    };
  }

  /** A resume token: derived from the open action's (hashed) id, so it is never stored and dies with the action. */
  private resumeToken(actionIdHash: string): string {
    return asUuid(this.deps.sealer.derive(actionIdHash, RESUME));
  }

  /** Whether `token` is the action's resume token under any server secret (one made before a rotation still works). */
  private isResumeToken(token: string, actionIdHash: string): boolean {
    return this.deps.sealer.deriveAll(actionIdHash, RESUME).some((hex) => asUuid(hex) === token);
  }

  /** The open action's client token (sealed at rest). */
  actionToken = (action: OpenAction): string => this.deps.sealer.open(action.sealedClientToken, ACTION_SEAL) ?? '';

  private closeAction(draft: Draft): void {
    if (!draft.data.action) return;
    delete draft.data.action;
    delete draft.payment.actionId;
    delete draft.payment.actionTokenHash;
  }

  // ---- Jobs -------------------------------------------------------------------------------------------

  /** Runs one due job (jobs.ts claimed it): an async authorization, a settlement, an expired action. */
  async runJob(job: PaymentJob): Promise<void> {
    const key = { kind: 'payment', merchantId: job.merchantId, paymentId: job.paymentId, savedCardOf: vaultingCustomer } as const;
    await this.store.change(key, (locked, uow) => {
      const payment = locked.payment;
      uow.payments.dropJobs(job.paymentId, job.kind);
      if (!payment) return;
      const draft = new Draft(payment, uow, this.deps.clock(), {}, false);
      if (!this.step(draft, locked, uow, job.kind)) return;
      this.commit(draft, uow, () => {});
    });
  }

  /** The sandbox helper `advance`: runs the payment's pending async step now. */
  async advance(ctx: Context, merchantId: string, id: string): Promise<StoredPayment> {
    return this.store.change({ kind: 'payment', merchantId, paymentId: id, savedCardOf: vaultingCustomer }, (locked, uow) => {
      const payment = locked.payment;
      if (!payment) throw notFound('get');
      const draft = new Draft(payment, uow, this.deps.clock(), originOf(ctx), false);
      const kind = payment.status === 'SETTLING' ? 'settle' : 'authorize';
      if (!this.step(draft, locked, uow, kind)) {
        throw new KassaError('InvalidPaymentStatus', {
          detail: 'The payment has no asynchronous step to run.',
          extra: { paymentId: payment.id, paymentStatus: payment.status },
        });
      }
      draft.dropJobs(kind);
      return this.commit(draft, uow, () => {});
    });
  }

  /** Applies a due step to the draft; false when the payment no longer waits for it. */
  private step(draft: Draft, locked: Locked, uow: UnitOfWork, kind: PaymentJob['kind']): boolean {
    const machine = draft.data.machine;
    switch (kind) {
      case 'authorize':
        if (machine.status !== 'PENDING' || machine.pending !== 'async') return false;
        finish(draft, scenarioOf(draft).authorization, this.hooks(locked, uow, undefined));
        return true;
      case 'settle':
        if (machine.status !== 'SETTLING') return false;
        draft.apply(settle(machine));
        return true;
      case 'expire-action':
        if (machine.status !== 'PENDING' || machine.pending !== 'action' || (draft.data.action?.expiresAt ?? 0) > draft.now) return false;
        this.closeAction(draft);
        draft.apply({ ...machine, status: 'FAILED', pending: undefined, capturingOpen: false }, ACTION_EXPIRED);
        return true;
    }
  }

  // ---- The server's vault --------------------------------------------------------------------------------

  /** POST /payment-instruments/{token}/vault: the customer's saved card for this token. */
  async vault(merchantId: string, tokenId: string, customerId: string): Promise<StoredToken> {
    const saved = await this.store.change({ kind: 'token', token: tokenId, savedCardOf: () => customerId }, (locked, uow) => {
      const token = liveToken(locked, merchantId, this.deps.clock());
      if (!token) throw new KassaError('InvalidPaymentInstrumentToken');
      return vaultToken(uow, token, locked.vaulted, customerId, this.deps.clock(), locked.sameCard);
    });
    // Read back: the engine decided whether it is the customer's default.
    return (await this.store.findToken(saved.token)) ?? saved;
  }

  /** A page of the customer's saved cards, newest first: one more is read to tell whether another page follows. */
  async vaulted(merchantId: string, customerId: string, limit: number, after?: VaultCursor): Promise<VaultPage> {
    return vaultPage(await this.store.vaulted(merchantId, customerId, limit + 1, after), limit);
  }

  /** DELETE /payment-instruments/{token}: the saved card, deleted. */
  async deleteVaulted(merchantId: string, tokenId: string): Promise<StoredToken> {
    return this.store.change({ kind: 'token', token: tokenId }, (locked, uow) => {
      const token = locked.token;
      if (!token || token.merchantId !== merchantId || token.tokenType !== 'MULTI_USE' || token.deletedAt !== undefined) {
        throw new KassaError('InvalidPaymentInstrumentToken');
      }
      const change = { deletedAt: this.deps.clock(), isDefault: false };
      uow.payments.updateToken(token.token, change);
      return { ...token, ...change };
    });
  }

  /** POST /payment-instruments/{token}/default. */
  async makeDefault(merchantId: string, tokenId: string): Promise<StoredToken> {
    return this.store.change({ kind: 'token', token: tokenId }, (locked, uow) => {
      const token = locked.token;
      if (
        !token ||
        token.merchantId !== merchantId ||
        token.tokenType !== 'MULTI_USE' ||
        token.deletedAt !== undefined ||
        !token.customerId
      ) {
        throw new KassaError('InvalidPaymentInstrumentToken');
      }
      uow.payments.setDefault(merchantId, token.customerId, token.token);
      return { ...token, isDefault: true };
    });
  }

  // ---- Shared steps ------------------------------------------------------------------------------------

  private checkVersion(body: unknown, ctx: Context): void {
    const errors = fieldsNewerThan(body, ctx, PAYMENT_FIELD_VERSIONS as never);
    if (errors.length > 0) throw validationError('PaymentRequest', errors);
  }

  private commit(draft: Draft, uow: UnitOfWork, complete: CompleteKey): StoredPayment {
    const stored = draft.commit();
    complete(uow, stored);
    return stored;
  }

  /** What authorization needs from the service: the sandbox settings, vaulting and opening a 3DS action. */
  private hooks(locked: Locked, uow: UnitOfWork, session: StoredSession | undefined): AuthorizeHooks {
    return {
      sandbox: this.deps.sandbox,
      vault: (d) => {
        const token = locked.token;
        const customerId = d.data.customerId;
        if (!token || !customerId || d.data.tokenType === 'MULTI_USE' || d.data.isVaulted) return;
        const saved = vaultToken(uow, token, locked.vaulted, customerId, d.now, locked.sameCard);
        d.data.paymentMethodToken = saved.token;
        d.data.isVaulted = true;
      },
      openAction: (d) => this.openAction(d, session),
    };
  }

  private openAction(draft: Draft, session: StoredSession | undefined): OpenAction {
    const actionId = newPaymentToken().slice(4) + newPaymentToken().slice(4);
    const processor3ds = this.deps.sandbox.threeDSecureMode === 'PROCESSOR_3DS';
    const name = processor3ds ? 'PROCESSOR_3DS' : '3DS_AUTHENTICATION';
    const expiresAt = draft.now + ACTION_TTL_MS;
    const base = this.deps.publicUrl.replace(/\/$/, '');
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
}
