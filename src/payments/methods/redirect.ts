// A redirect method's required action (docs/payments.md, "Redirect methods"): Kassa's own page, where
// the shopper completes, rejects or cancels; the status the SDK polls with the action token's
// accessToken; and the sandbox helper a test without a browser chooses with. The choice is recorded on
// the open action; resuming (lifecycle.ts) applies it. Like the 3DS page, the page needs no key: the
// action id in its URL is unguessable and dies with the action.
import { KassaError } from '../../errors.ts';
import { originOf, type Context } from '../../lib/context.ts';
import { sha256 } from '../../lib/ids.ts';
import type { StoredSession } from '../../sessions/session.store.ts';
import { Draft } from '../draft.ts';
import type { RedirectOutcome } from '../model.ts';
import type { StoredPayment } from '../payment.store.ts';
import { commit, notFound, type PaymentSteps } from '../steps.ts';

/** What the page and the poll show of the action. */
export interface RedirectState {
  status: 'PENDING' | 'COMPLETE';
  /** The resume token, once the shopper chose. */
  id?: string;
  outcome?: RedirectOutcome;
  paymentMethodType: string;
  amount: number;
  currencyCode: string;
  /** Where the page sends the shopper after the choice: the SDK's redirectionUrl, if it gave one. */
  returnUrl?: string;
}

const noAction = () => new KassaError('PaymentError', { detail: 'No payment is waiting for this redirect.' });

export class Redirects {
  constructor(private readonly steps: PaymentSteps) {}

  private state(payment: StoredPayment): RedirectState {
    const outcome = payment.data.action?.redirect?.outcome;
    const returnUrl = payment.data.method?.sessionInfo?.redirectionUrl;
    return {
      status: outcome ? 'COMPLETE' : 'PENDING',
      ...(outcome ? { id: this.steps.resumeToken(payment.actionId!), outcome } : {}),
      paymentMethodType: payment.data.method?.paymentMethodType ?? '',
      amount: payment.data.machine.amount,
      currencyCode: payment.data.currencyCode,
      ...(returnUrl !== undefined ? { returnUrl } : {}),
    };
  }

  /**
   * The page (no key) and the SDK's poll (`session`: the action token's, which must be the payment's).
   * With an outcome, records the shopper's first choice; a later one changes nothing.
   */
  async redirect(actionId: string, outcome?: RedirectOutcome, session?: StoredSession): Promise<RedirectState> {
    const { clock } = this.steps.deps;
    const payment = await this.steps.store.change({ kind: 'action', actionId: sha256(actionId) }, (locked, uow) => {
      const waiting = locked.payment;
      if (!waiting?.data.action?.redirect || waiting.data.action.expiresAt <= clock(waiting.merchantId)) throw noAction();
      if (session && (waiting.sessionId !== session.id || waiting.merchantId !== session.merchantId)) throw noAction();
      if (!outcome || waiting.data.action.redirect.outcome) return waiting;
      const draft = new Draft(waiting, uow, clock(waiting.merchantId), {}, false);
      draft.data.action = { ...draft.data.action!, redirect: { outcome } };
      return commit(draft, uow, () => {});
    });
    return this.state(payment);
  }

  /** POST /kassa/sandbox/payments/{id}/redirect: the merchant's test chooses for the shopper; answers the resume token. */
  async sandboxRedirect(ctx: Context, merchantId: string, id: string, outcome: RedirectOutcome) {
    const payment = await this.steps.store.change({ kind: 'payment', merchantId, paymentId: id }, (locked, uow) => {
      if (!locked.payment) throw notFound('get');
      if (!locked.payment.data.action?.redirect) {
        throw new KassaError('InvalidPaymentStatus', {
          detail: 'The payment is not waiting for a redirect.',
          extra: { paymentId: locked.payment.id, paymentStatus: locked.payment.status },
        });
      }
      const draft = new Draft(locked.payment, uow, this.steps.deps.clock(merchantId), originOf(ctx), false);
      draft.data.action = { ...draft.data.action!, redirect: { outcome } };
      return commit(draft, uow, () => {});
    });
    return { resumeToken: this.steps.resumeToken(payment.actionId!) };
  }
}
