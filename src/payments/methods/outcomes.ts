// What a method's payment ends as (docs/payments.md, "Payment methods"): a test method by the SDK's
// flowDecision, a redirect method by the shopper's choice on its page. Declines and failures reuse the
// test cards' reasons, so a merchant handles one set of them.
import { scenarioByKey } from '../cards.ts';
import type { AuthorizationOutcome, FlowDecision, RedirectOutcome, StatusReason } from '../model.ts';

/** A method's payment captures and refunds as the plain success card does. */
export const METHOD_SCENARIO = 'success';

const authorizationOf = (key: string): AuthorizationOutcome => {
  const scenario = scenarioByKey(key);
  if (!scenario) throw new Error(`unknown card scenario ${key}`);
  return scenario.authorization;
};
const DECLINE = authorizationOf('generic-decline');
const FAIL = authorizationOf('generic-fail');

/** The shopper cancelled on the redirect page. */
export const REDIRECT_CANCELLED: StatusReason = {
  type: 'APPLICATION_ERROR',
  message: 'The customer cancelled the payment on the redirect page.',
};

export function testMethodOutcome(decision: FlowDecision): AuthorizationOutcome {
  if (decision === 'SUCCESS') return { result: 'AUTHORIZED' };
  return decision === 'DECLINE' ? DECLINE : FAIL;
}

export function redirectOutcome(outcome: RedirectOutcome): AuthorizationOutcome {
  if (outcome === 'COMPLETE') return { result: 'AUTHORIZED' };
  return outcome === 'REJECT' ? DECLINE : { result: 'FAILED', reason: REDIRECT_CANCELLED };
}
