// A payment's life through the Payments API (docs/payments.md, "Payments API"): created from its
// token's session, then acted on (authorize, capture, cancel, refund, adjust, resume after 3DS), each
// action checked by the status machine and run by `act` (steps.ts); and the reads.
import { KassaError, validationError } from '../errors.ts';
import { originOf, type Context } from '../lib/context.ts';
import { newPaymentId, newUuid } from '../lib/ids.ts';
import { refuseIfExpired } from './authorization-validity.ts';
import { afterRedirect, afterThreeDS, authorize, captureNow, scenarioOf } from './authorize.ts';
import { Draft } from './draft.ts';
import { recordFailedOperation } from './failure-events.ts';
import { searchPayments } from './listing.ts';
import { creationVaultCustomer, paymentData, type CreateInput } from './payment-data.ts';
import type { StoredPayment } from './payment.store.ts';
import { adjust, cancel, capture, isRefusal, refund, refusal } from './status-machine.ts';
import { checkVersion, closeAction, commit, completeKey, notFound, type Caller, type PaymentSteps } from './steps.ts';
import { liveToken } from './vault.ts';

const invalidToken = () => new KassaError('PaymentError', { detail: 'The payment method token is invalid.' });

export class Lifecycle {
  constructor(private readonly steps: PaymentSteps) {}

  /** POST /payments: the payment, from its token's session and the fields sent (docs/payments.md, "Payments API"). */
  async create(ctx: Context, caller: Caller, input: CreateInput, key: string | undefined): Promise<StoredPayment> {
    checkVersion(input, ctx);
    const { clock, sandbox } = this.steps.deps;
    return this.steps.store.change(
      { kind: 'token', token: input.paymentMethodToken, savedCardOf: creationVaultCustomer(input) },
      (locked, uow) => {
        const now = clock(caller.merchantId);
        const token = liveToken(locked, caller.merchantId, now);
        if (!token || (token.tokenType === 'SINGLE_USE' && token.usedAt !== undefined)) throw invalidToken();
        if (caller.session && token.sessionId !== caller.session.id) throw invalidToken();
        const session = token.tokenType === 'SINGLE_USE' ? locked.session : undefined;
        const data = paymentData(input, token, session, sandbox.processor, now);
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
        const hooks = this.steps.hooks(locked, uow, session);
        if (data.options.vaultOnAgreement) hooks.vault(draft);
        if (sandbox.authorizeOnCreate) authorize(draft, hooks);
        return commit(draft, uow, completeKey(ctx));
      },
    );
  }

  async get(merchantId: string, id: string): Promise<StoredPayment> {
    const payment = await this.steps.store.findById(merchantId, id);
    if (!payment) throw notFound('get');
    return payment;
  }

  /** GET /payments: the query read, a page of the merchant's payments with its cursors (listing.ts). */
  search(merchantId: string, query: Record<string, string | string[] | undefined>) {
    return searchPayments(query, (filter, limit, cursor) => this.steps.store.list(merchantId, filter, limit, cursor));
  }

  authorize(ctx: Context, merchantId: string, id: string, processor: { processorMerchantId: string; name?: string }, key?: string) {
    return this.steps.act(ctx, merchantId, id, 'authorize', key, (draft, locked, uow) => {
      const r = refusal(draft.data.machine, 'authorize');
      if (r) return r;
      const expected = this.steps.deps.sandbox.processor;
      if (
        processor.processorMerchantId !== expected.processorMerchantId ||
        (processor.name !== undefined && processor.name !== expected.name)
      ) {
        throw new KassaError('MerchantAccountNotFound');
      }
      authorize(draft, this.steps.hooks(locked, uow, undefined));
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
    checkVersion(body, ctx);
    let failed = false;
    const captured = this.steps.act(ctx, merchantId, id, 'capture', key, (draft) => {
      if (!refusal(draft.data.machine, 'capture')) refuseIfExpired(draft, this.steps.deps.authorizationValidityMs, 'captured');
      if (scenarioOf(draft).captureFails) {
        // Checked as any capture is (a refusal stays a refusal); the processor then refuses it.
        const checked = capture(draft.data.machine, {
          ...(body.amount !== undefined ? { amount: body.amount } : {}),
          settling: false,
          eventId: '',
        });
        if (isRefusal(checked)) return checked;
        recordFailedOperation(draft, 'PAYMENT.CAPTURE.FAILED', checked.amount);
        failed = true;
        return undefined;
      }
      const result = captureNow(draft, body.amount, body.final, this.steps.deps.sandbox.asyncDelayMs);
      if (isRefusal(result)) return result;
      if (body.metadata) draft.data.metadata = { ...draft.data.metadata, ...body.metadata };
      if (body.order?.retailerCountryCode) draft.data.order = { ...draft.data.order, retailerCountryCode: body.order.retailerCountryCode };
      return undefined;
    });
    return this.countFailure(captured, merchantId, id, () => failed);
  }

  /**
   * A failed capture, cancel or adjustment counts towards the payment's failed requests (steps.ts,
   * FAILED_REQUEST_LIMIT), as Primer's do: it is what bounds the failure events one payment records.
   */
  private async countFailure(change: Promise<StoredPayment>, merchantId: string, id: string, failed: () => boolean) {
    const payment = await change;
    if (failed()) await this.steps.store.countRefused(merchantId, id);
    return payment;
  }

  cancel(ctx: Context, merchantId: string, id: string, reason: string | undefined, key?: string) {
    let failed = false;
    const cancelled = this.steps.act(ctx, merchantId, id, 'cancel', key, (draft) => {
      const next = cancel(draft.data.machine);
      if (isRefusal(next)) return next;
      if (scenarioOf(draft).cancelFails) {
        recordFailedOperation(draft, 'PAYMENT.CANCELLATION.FAILED', draft.data.machine.amount);
        failed = true;
        return undefined;
      }
      closeAction(draft);
      draft.dropJobs();
      if (reason !== undefined) draft.sale.reason = reason;
      draft.saleEvent('CANCELLATION_SUCCEEDED');
      draft.apply(next);
      return undefined;
    });
    return this.countFailure(cancelled, merchantId, id, () => failed);
  }

  refund(
    ctx: Context,
    merchantId: string,
    id: string,
    body: { amount?: number; orderId?: string; reason?: string; transactionEventId?: string },
    key?: string,
  ) {
    checkVersion(body, ctx);
    return this.steps.act(ctx, merchantId, id, 'refund', key, (draft) => {
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
      // Primer sends both: the refund reached its final state (FAILED), and the operation failed. Failed
      // refunds are bounded by the refund limit (MAX_REFUNDS), not counted as failed requests.
      if (!result.settled) recordFailedOperation(draft, 'PAYMENT.REFUND.FAILED', result.amount, transaction.id);
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
    let failed = false;
    const adjusted = this.steps.act(ctx, merchantId, id, 'adjust', key, (draft) => {
      const next = adjust(draft.data.machine, amount);
      if (isRefusal(next)) return next;
      refuseIfExpired(draft, this.steps.deps.authorizationValidityMs, 'adjusted');
      if (scenarioOf(draft).adjustFails) {
        recordFailedOperation(draft, 'PAYMENT.AUTHORIZATION_ADJUSTMENT.FAILED', amount);
        failed = true;
        return undefined;
      }
      draft.sale.amount = amount;
      draft.saleEvent('AUTHORIZATION_ADJUSTMENT_SUCCEEDED', { amount });
      draft.apply(next);
      return undefined;
    });
    return this.countFailure(adjusted, merchantId, id, () => failed);
  }

  /** Resume after 3DS or a redirect: the token must be the one the challenge or the page gave for this payment's open action. */
  resume(ctx: Context, caller: Caller, id: string, resumeToken: string, key?: string) {
    return this.steps.act(ctx, caller.merchantId, id, 'resume', key, (draft, locked, uow) => {
      if (caller.session && draft.payment.sessionId !== caller.session.id) throw notFound('resume');
      const r = refusal(draft.data.machine, 'resume');
      if (r) return r;
      const action = draft.data.action;
      const chosen = action?.redirect ? action.redirect.outcome : action?.outcome;
      if (!chosen || !draft.payment.actionId || !this.steps.isResumeToken(resumeToken, draft.payment.actionId)) {
        throw new KassaError('PaymentError', { detail: 'The resume token is not valid for this payment.' });
      }
      const hooks = this.steps.hooks(locked, uow, undefined);
      if (action?.redirect?.outcome) afterRedirect(draft, action.redirect.outcome, hooks);
      else if (action?.outcome) afterThreeDS(draft, action.outcome, true, hooks);
      return undefined;
    });
  }
}
