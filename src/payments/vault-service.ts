// The vault's use cases (docs/payments.md, "Vault"): the server vaults a token for a customer, lists,
// deletes and picks the default of its saved cards; the SDK lists and deletes its session customer's,
// by their vpm_ ids only. The rules of saved cards are in vault.ts.
import { KassaError } from '../errors.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import type { StoredToken, VaultCursor } from './payment.store.ts';
import type { PaymentSteps } from './steps.ts';
import { liveToken, vaultPage, vaultToken, type VaultPage } from './vault.ts';

export class VaultService {
  constructor(private readonly steps: PaymentSteps) {}

  /** POST /payment-instruments/{token}/vault: the customer's saved card for this token. */
  async vault(merchantId: string, tokenId: string, customerId: string): Promise<StoredToken> {
    const { clock } = this.steps.deps;
    const saved = await this.steps.store.change({ kind: 'token', token: tokenId, savedCardOf: () => customerId }, (locked, uow) => {
      const token = liveToken(locked, merchantId, clock(merchantId));
      if (!token) throw new KassaError('InvalidPaymentInstrumentToken');
      // A redirect, test or Klarna checkout method pays once: only cards and Klarna customer tokens are saved.
      if (!token.card && !(token.method?.klarna && 'klarnaCustomerToken' in token.method.klarna)) {
        throw new KassaError('InvalidPaymentInstrumentToken', { detail: 'Only a card or a Klarna customer token can be saved.' });
      }
      return vaultToken(uow, token, locked.vaulted, customerId, clock(merchantId), locked.sameCard);
    });
    // Read back: the engine decided whether it is the customer's default.
    return (await this.steps.store.findToken(saved.token)) ?? saved;
  }

  /** A page of the customer's saved cards, newest first: one more is read to tell whether another page follows. */
  async vaulted(merchantId: string, customerId: string, limit: number, after?: VaultCursor): Promise<VaultPage> {
    return vaultPage(await this.steps.store.vaulted(merchantId, customerId, limit + 1, after), limit);
  }

  /** DELETE /payment-instruments/{token}: the saved card, deleted. */
  async deleteVaulted(merchantId: string, tokenId: string): Promise<StoredToken> {
    return this.steps.store.change({ kind: 'token', token: tokenId }, (locked, uow) => {
      const token = locked.token;
      if (!token || token.merchantId !== merchantId || token.tokenType !== 'MULTI_USE' || token.deletedAt !== undefined) {
        throw new KassaError('InvalidPaymentInstrumentToken');
      }
      const change = { deletedAt: this.steps.deps.clock(merchantId), isDefault: false };
      uow.payments.updateToken(token.token, change);
      return { ...token, ...change };
    });
  }

  /** POST /payment-instruments/{token}/default. */
  async makeDefault(merchantId: string, tokenId: string): Promise<StoredToken> {
    return this.steps.store.change({ kind: 'token', token: tokenId }, (locked, uow) => {
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

  /** GET /payment-instruments from the SDK: a page of the session customer's saved cards, by their vpm_ ids. */
  async sdkVaulted(session: StoredSession, limit: number, after?: VaultCursor): Promise<VaultPage> {
    const customerId = session.data.customerId;
    if (!customerId) return { saved: [] };
    return this.vaulted(session.merchantId, customerId, limit, after);
  }

  /** DELETE /payment-instruments/{id}/vault from the SDK. */
  async sdkDeleteVaulted(session: StoredSession, vaultedId: string) {
    const saved = await this.steps.store.findVaultedById(session.merchantId, vaultedId);
    if (!saved || saved.deletedAt !== undefined || !session.data.customerId || saved.customerId !== session.data.customerId) {
      throw new KassaError('InvalidPaymentInstrumentToken');
    }
    await this.deleteVaulted(session.merchantId, saved.token);
    return { id: vaultedId, deleted: true };
  }
}
