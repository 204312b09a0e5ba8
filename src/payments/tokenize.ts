// Cards becoming payment method tokens (docs/payments.md, "Tokenize"): the SDK's card, checked and
// kept without its number or CVV, and a saved card exchanged for a SINGLE_USE token of the session.
// Both count against the session's token limit, checked under the session's lock.
import { KassaError, validationError } from '../errors.ts';
import { newAnalyticsId, newPaymentToken } from '../lib/ids.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import { readCard } from './card-input.ts';
import { METHOD_SCENARIO } from './methods/outcomes.ts';
import { isKlarna, readKlarna } from './methods/klarna.ts';
import { isOffSession, readOffSession } from './methods/off-session.ts';
import type { MethodData } from './model.ts';
import { readWallet, walletOf } from './methods/wallets.ts';
import { isPayPalInstrument, readPayPalInstrument } from './methods/paypal.ts';
import { renderInstrument } from './payment.ts';
import type { Locked, StoredToken } from './payment.store.ts';
import type { PaymentSteps } from './steps.ts';
import { exchangeToken, vaultToken } from './vault.ts';

/** Payment method tokens one client session may make (tokenize and exchange); a checkout makes a handful. */
export const SESSION_TOKEN_LIMIT = 100;
/** What a card number's fingerprint is derived for (the seed's saved cards use it too). */
export const CARD_FINGERPRINT = 'card-fingerprint';

/** Refuses a token to a session that has made its limit of them (docs/payments.md, "Bounds"). */
function checkTokenLimit(locked: Locked): void {
  if ((locked.sessionTokens ?? 0) >= SESSION_TOKEN_LIMIT) {
    throw new KassaError('SessionTokenLimitExceeded', {
      detail: `This client session has made ${SESSION_TOKEN_LIMIT} payment method tokens, the most one session may make.`,
    });
  }
}

export class Tokenize {
  constructor(private readonly steps: PaymentSteps) {}

  /** POST /payment-instruments: one tokenize step per instrument shape, a method (OFF_SESSION_PAYMENT) or a card. */
  async tokenize(session: StoredSession, body: { paymentInstrument: unknown; tokenType?: 'SINGLE_USE' | 'MULTI_USE' }) {
    if (isOffSession(body.paymentInstrument)) {
      const { data } = readOffSession(body.paymentInstrument as Record<string, unknown>, this.steps.deps.methods);
      return this.tokenizeMethod(session, body, data, false);
    }
    const wallet = walletOf(body.paymentInstrument);
    if (wallet)
      return this.tokenizeMethod(
        session,
        body,
        readWallet(body.paymentInstrument as Record<string, unknown>, wallet, this.steps.deps.methods).data,
        false,
      );
    if (isKlarna(body.paymentInstrument)) {
      const { data, vault } = readKlarna(body.paymentInstrument as Record<string, unknown>, this.steps.deps.methods, session);
      return this.tokenizeMethod(session, body, data, vault);
    }
    if (isPayPalInstrument(body.paymentInstrument)) return this.tokenizePayPal(session, body);
    return this.tokenizeCard(session, body);
  }

  /** A PayPal order (SINGLE_USE) or billing agreement (MULTI_USE: vaulted for the session's customer), once its payer approved it. */
  private async tokenizePayPal(session: StoredSession, body: { paymentInstrument: unknown; tokenType?: 'SINGLE_USE' | 'MULTI_USE' }) {
    const { kind, data } = await readPayPalInstrument(this.steps.deps, session, body.paymentInstrument as Record<string, unknown>);
    if (body.tokenType === 'MULTI_USE' && kind === 'ORDER') {
      throw validationError('PaymentInstrumentTokenizationRequest', [
        { path: '$.tokenType', description: 'A PayPal order pays once: vault a billing agreement instead.' },
      ]);
    }
    return this.tokenizeMethod(session, body, data, kind !== 'ORDER');
  }

  /**
   * A method's token: SINGLE_USE for a redirect, test, wallet, Klarna checkout method or PayPal order (it pays
   * once); a Klarna customer token or PayPal billing agreement (`vaults`) sent MULTI_USE is vaulted for the
   * session's customer, as a card is.
   */
  private async tokenizeMethod(
    session: StoredSession,
    body: { paymentInstrument: unknown; tokenType?: 'SINGLE_USE' | 'MULTI_USE' },
    data: MethodData,
    vaults: boolean,
  ) {
    const multi = body.tokenType === 'MULTI_USE';
    const customerId = session.data.customerId;
    if (multi && vaults && !customerId) {
      throw validationError('PaymentInstrumentTokenizationRequest', [
        { path: '$.tokenType', description: 'MULTI_USE needs a customerId on the client session.' },
      ]);
    }
    if (multi && !vaults) {
      throw validationError('PaymentInstrumentTokenizationRequest', [
        {
          path: '$.tokenType',
          description: 'Only a card, a Klarna customer token or a PayPal billing agreement can be saved: send SINGLE_USE or nothing.',
        },
      ]);
    }
    const now = this.steps.deps.clock(session.merchantId);
    const token: StoredToken = {
      token: newPaymentToken(),
      merchantId: session.merchantId,
      tokenType: 'SINGLE_USE',
      sessionId: session.id,
      analyticsId: newAnalyticsId(),
      method: data,
      scenario: METHOD_SCENARIO,
      cvvGiven: false,
      isDefault: false,
      createdAt: now,
      expiresAt: session.expiresAt,
    };
    const saved = await this.steps.store.change({ kind: 'session', sessionId: session.id }, (locked, uow) => {
      checkTokenLimit(locked);
      uow.payments.insertToken(token);
      return multi ? vaultToken(uow, token, undefined, customerId!, now) : undefined;
    });
    if (!saved) return renderInstrument(token);
    return { ...renderInstrument({ ...token, sourceToken: saved.token, customerId: saved.customerId }), tokenType: 'MULTI_USE' };
  }

  /** The card checked, kept as a token without its number or CVV. */
  private async tokenizeCard(session: StoredSession, body: { paymentInstrument: unknown; tokenType?: 'SINGLE_USE' | 'MULTI_USE' }) {
    const { clock, sealer } = this.steps.deps;
    const now = clock(session.merchantId);
    const multi = body.tokenType === 'MULTI_USE';
    const customerId = session.data.customerId;
    const { card, scenario, cvvGiven, fingerprint } = readCard(body.paymentInstrument, session.data.paymentMethod ?? {}, now, (digits) =>
      sealer.derive(digits, CARD_FINGERPRINT),
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
    const saved = await this.steps.store.change(
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

  /** POST /payment-instruments/{id}/exchange: a SINGLE_USE token for a saved card, for this session. */
  async exchange(session: StoredSession, vaultedId: string, cvv: unknown) {
    if (cvv !== undefined && (typeof cvv !== 'string' || !/^\d{3,4}$/.test(cvv))) {
      throw validationError('ExchangeRequest', [{ path: '$.cvv', description: 'Must be three or four digits.' }]);
    }
    const saved = await this.steps.store.findVaultedById(session.merchantId, vaultedId);
    if (!saved || saved.deletedAt !== undefined || !session.data.customerId || saved.customerId !== session.data.customerId) {
      throw new KassaError('InvalidPaymentInstrumentToken');
    }
    const token = exchangeToken(saved, session, cvv !== undefined, this.steps.deps.clock(session.merchantId));
    await this.steps.store.change({ kind: 'session', sessionId: session.id }, (locked, uow) => {
      checkTokenLimit(locked);
      uow.payments.insertToken(token);
    });
    return renderInstrument(token);
  }
}
