// engines: sqlite, postgres
// The server's Payments API (docs/payments.md): what each test card does. Calls carry X-Api-Key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TEST_CARDS } from '../../src/payments/cards.ts';
import { testApp, type TestApp } from '../support/app.ts';
import { api, CARDS, pay, post, sdk, tokenFor } from './support.ts';

describe('Payments API', () => {
  // One app for the whole file (each test makes its own payments).
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(async () => {
    await t.close();
  });

  describe('test cards', () => {
    const issuer = (declineType: string, code: string, paymentMethodResultCode: string, advisedAction: string) => ({
      status: 'DECLINED',
      reason: { type: 'ISSUER_DECLINED', declineType, code, paymentMethodResultCode, advisedAction },
    });
    const failed = (type: string) => ({ status: 'FAILED', reason: { type } });
    const authorized = { status: 'AUTHORIZED' };
    type Expect = {
      status: string;
      reason?: Record<string, string>;
      threeDS?: string;
      challenge?: boolean;
      async?: boolean;
      cvv?: string;
      captureSettling?: boolean;
      refundFails?: boolean;
      captureFails?: boolean;
    };
    // The test-card table of docs/payments.md, written out by hand: the test fails if cards.ts disagrees.
    const EXPECTED: Record<string, Expect> = {
      '4111111111111111': authorized,
      '4242424242424242': authorized,
      '5252525252525258': authorized,
      '5555555555554444': authorized,
      '4035500000000000': authorized,
      '5132000000000000': authorized,
      '4970000000000008': authorized,
      '378282246310005': authorized,
      '6011111111111117': authorized,
      '4000000000000002': issuer('SOFT_DECLINE', 'DO_NOT_HONOR', '05', 'RETRY_LATER'),
      '5100000000000008': issuer('SOFT_DECLINE', 'DO_NOT_HONOR', '05', 'RETRY_LATER'),
      '4000000000000010': { ...failed('GATEWAY_REJECTED'), threeDS: 'AUTH_SUCCESS' },
      '5100000000000016': failed('GATEWAY_REJECTED'),
      '4000000000009995': issuer('SOFT_DECLINE', 'INSUFFICIENT_FUNDS', '51', 'RETRY_LATER'),
      '4000000000009987': issuer('HARD_DECLINE', 'LOST_OR_STOLEN_CARD', '41', 'DO_NOT_RETRY'),
      '4000000000009979': issuer('HARD_DECLINE', 'LOST_OR_STOLEN_CARD', '43', 'DO_NOT_RETRY'),
      '4000000000000069': issuer('HARD_DECLINE', 'EXPIRED_CARD', '54', 'UPDATE_DATA'),
      '4000000000000127': { ...issuer('SOFT_DECLINE', 'DECLINED', 'N7', 'UPDATE_DATA'), cvv: 'NOT_MATCHED' },
      '4100000000000019': issuer('HARD_DECLINE', 'SUSPECTED_FRAUD', '59', 'DO_NOT_RETRY'),
      '4000000000000119': failed('APPLICATION_ERROR'),
      '4000000000007031': failed('GATEWAY_TIMEOUT'),
      '4000000000007049': issuer('SOFT_DECLINE', 'ISSUER_TEMPORARILY_UNAVAILABLE', '91', 'RETRY_LATER'),
      '4929251897047956': { ...authorized, threeDS: 'AUTH_SUCCESS' },
      '5512459816707531': { ...authorized, threeDS: 'AUTH_SUCCESS' },
      '4716429323842524': { ...issuer('SOFT_DECLINE', 'AUTHENTICATION_REQUIRED', '1A', 'UPDATE_DATA'), threeDS: 'AUTH_FAILED' },
      '4000000000000044': { ...issuer('SOFT_DECLINE', 'AUTHENTICATION_REQUIRED', '1A', 'UPDATE_DATA'), threeDS: 'AUTH_FAILED' },
      '5487971631330522': { ...issuer('SOFT_DECLINE', 'AUTHENTICATION_REQUIRED', '1A', 'UPDATE_DATA'), threeDS: 'AUTH_FAILED' },
      '4916994064252017': { ...authorized, threeDS: 'AUTH_SUCCESS', challenge: true },
      '4000000000000051': { ...authorized, threeDS: 'AUTH_SUCCESS', challenge: true },
      '5306889942833340': { ...authorized, threeDS: 'AUTH_SUCCESS', challenge: true },
      '5267648608924299': { ...authorized, threeDS: 'AUTH_SUCCESS', challenge: true },
      '4000000000007015': {
        ...issuer('SOFT_DECLINE', 'AUTHENTICATION_REQUIRED', '1A', 'UPDATE_DATA'),
        threeDS: 'AUTH_FAILED',
        challenge: true,
      },
      '4000000000007023': {
        ...issuer('SOFT_DECLINE', 'INSUFFICIENT_FUNDS', '51', 'RETRY_LATER'),
        threeDS: 'AUTH_SUCCESS',
        challenge: true,
      },
      '4000000000007007': { ...authorized, async: true },
      '4000000000007056': { ...issuer('SOFT_DECLINE', 'DO_NOT_HONOR', '05', 'RETRY_LATER'), async: true },
      '4000000000007064': { ...authorized, captureSettling: true },
      '4000000000007072': { ...authorized, refundFails: true },
      '4000000000007080': { ...authorized, captureFails: true },
      // Their cancel and adjustment fail (test/webhooks/failure-events.http.test.ts); capture and refund work.
      '4000000000007098': authorized,
      '4000000000007106': authorized,
    };

    test('every number of TEST_CARDS is in the docs table, and every one of the table is a test card', () => {
      const numbers = TEST_CARDS.flatMap((row) => row.numbers);
      assert.deepEqual([...numbers].sort(), Object.keys(EXPECTED).sort());
    });

    for (const row of TEST_CARDS) {
      test(`${row.numbers.join(', ')} (${row.source})`, async () => {
        for (const number of row.numbers) {
          const expected = EXPECTED[number]!;
          const s = await tokenFor(t, number);
          let payment = (await api(t, 'POST', '/payments', { paymentMethodToken: s.token })).json();
          if (expected.challenge) {
            assert.equal(payment.status, 'PENDING', number);
            assert.equal(payment.requiredAction.name, '3DS_AUTHENTICATION', number);
            // The SDK's continue applies the card's own challenge result.
            const continued = await sdk(t, s.accessToken, 'POST', `/3ds/${s.token}/continue`, { platform: 'WEB', status: 'FAILURE' });
            payment = (await post(t, payment.id, 'resume', { resumeToken: continued.json().resumeToken })).json();
          }
          if (expected.async) {
            assert.equal(payment.status, 'PENDING', number);
            assert.equal(payment.requiredAction, undefined, number);
            payment = (await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/advance`)).json();
          }
          assert.equal(payment.status, expected.status, `${number}: ${JSON.stringify(payment.statusReason)}`);
          if (expected.reason) {
            for (const [field, value] of Object.entries(expected.reason))
              assert.equal(payment.statusReason[field], value, `${number} ${field}`);
            assert.deepEqual(payment.transactions[0].processorStatusReason, payment.statusReason, number);
            assert.equal(typeof (payment.statusReason.message ?? payment.statusReason.paymentMethodResultMessage), 'string', number);
          } else {
            assert.equal(payment.statusReason, undefined, number);
          }
          const threeDS = payment.paymentMethod.threeDSecureAuthentication;
          assert.equal(threeDS.responseCode, expected.threeDS ?? 'NOT_PERFORMED', number);
          if (expected.threeDS) assert.equal(threeDS.challengeIssued, expected.challenge === true, number);
          assert.equal(payment.riskData.cvvCheck.result, expected.cvv ?? 'MATCHED', number);
          if (expected.status !== 'AUTHORIZED') continue;
          const captured = (await post(t, payment.id, 'capture')).json();
          if (expected.captureFails) {
            assert.equal(captured.status, 'AUTHORIZED', number);
            continue;
          }
          assert.equal(captured.status, expected.captureSettling ? 'SETTLING' : 'SETTLED', number);
          if (expected.captureSettling) {
            assert.equal((await api(t, 'POST', `/kassa/sandbox/payments/${payment.id}/advance`)).json().status, 'SETTLED', number);
          }
          const refunded = (await post(t, payment.id, 'refund', { amount: 100 })).json();
          assert.equal(refunded.transactions.at(-1).status, expected.refundFails ? 'FAILED' : 'SETTLED', number);
          assert.equal(refunded.processor.amountRefunded, expected.refundFails ? 0 : 100, number);
        }
      });
    }

    test('any other Luhn-valid number tokenizes and fails: APPLICATION_ERROR "Not a sandbox test card"', async () => {
      const { payment } = await pay(t, CARDS.other);
      assert.equal(payment.status, 'FAILED');
      assert.deepEqual(payment.statusReason, { type: 'APPLICATION_ERROR', message: 'Not a sandbox test card' });
    });

    test('a vaulted decline card keeps its outcome (merchant-initiated declines)', async () => {
      const s = await tokenFor(t, CARDS.decline);
      const vaulted = (await api(t, 'POST', `/payment-instruments/${s.token}/vault`, { customerId: 'cust-mit-decline' })).json();
      const res = (
        await api(t, 'POST', '/payments', { paymentMethodToken: vaulted.token, orderId: 'mit', currencyCode: 'EUR', amount: 5 })
      ).json();
      assert.equal(res.status, 'DECLINED');
      assert.equal(res.statusReason.code, 'DO_NOT_HONOR');
    });
  });
});
