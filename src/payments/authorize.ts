// What happens when a payment is authorized, by its test card: 3DS (none, frictionless, or a
// challenge that leaves the payment PENDING with a required action), an async step, then the card's
// outcome; on AUTHORIZED the vault and capture options of the payment and the sandbox. Runs inside a
// change's unit of work, on a Draft (docs/payments.md, "Payments API").
import type { SandboxSettings } from '../checkout/configuration.ts';
import { isExpired } from './card-input.ts';
import { AUTHENTICATION_FAILED_DECLINE, EXPIRED_CARD_DECLINE, scenarioByKey } from './cards.ts';
import type { Draft } from './draft.ts';
import { redirectOutcome, testMethodOutcome } from './methods/outcomes.ts';
import { walletOutcome } from './methods/wallets.ts';
import type { AuthorizationOutcome, CardScenario, RedirectOutcome, StatusReason } from './model.ts';
import type { OpenAction, ThreeDSResult } from './payment.ts';
import { afterAuthorization, capture, isRefusal, pendingOn } from './status-machine.ts';

/** How long a required action stays open before the payment fails. */
export const ACTION_TTL_MS = 60 * 60 * 1000;

/** A failed 3DS authentication declines the payment (the card table's reason). */
export const THREE_DS_DECLINE: StatusReason = AUTHENTICATION_FAILED_DECLINE;

/** An action left open past its hour. */
export const ACTION_EXPIRED: StatusReason = { type: 'APPLICATION_ERROR', message: 'The required action was not completed in time.' };

export interface AuthorizeHooks {
  sandbox: SandboxSettings;
  /** Vaults the payment's card for its customer (vault.ts); returns the MULTI_USE token. */
  vault(draft: Draft): void;
  /** Opens a required action (3DS, or a redirect method's page): its client token, ids and hashes (steps.ts). */
  openAction(draft: Draft): OpenAction;
}

export const scenarioOf = (draft: Draft): CardScenario => {
  const scenario = scenarioByKey(draft.data.scenario);
  if (!scenario) throw new Error(`unknown card scenario ${draft.data.scenario}`);
  return scenario;
};

const threeDSRecord = (result: ThreeDSResult, challengeIssued: boolean) =>
  result === 'AUTH_SUCCESS'
    ? ({ responseCode: 'AUTH_SUCCESS', protocolVersion: '2.2.0', challengeIssued } as const)
    : ({ responseCode: 'AUTH_FAILED', protocolVersion: '2.2.0', challengeIssued, reasonCode: 'CARD_AUTHENTICATION_FAILED' } as const);

/** Opens the draft's required action: PENDING on it until resumed, or failed when it expires (jobs.ts). */
function waitForAction(draft: Draft, hooks: AuthorizeHooks): void {
  const action = hooks.openAction(draft);
  draft.data.action = action;
  draft.apply(pendingOn(draft.data.machine, 'action'));
  draft.schedule('expire-action', action.expiresAt);
}

/** From PENDING (idle): a method's flow decides (methods/), else the card, starting with its 3DS. */
export function authorize(draft: Draft, hooks: AuthorizeHooks): void {
  const method = draft.data.method;
  if (method) {
    // A test method's decision screen has chosen already, a wallet's amount chooses (never an action the
    // SDKs cannot handle, spec §0.5); a redirect method waits for its page.
    if (method.wallet) finish(draft, walletOutcome(draft.data.machine.amount), hooks);
    else if (method.flowDecision) finish(draft, testMethodOutcome(method.flowDecision), hooks);
    else waitForAction(draft, hooks);
    return;
  }
  const scenario = scenarioOf(draft);
  if (draft.data.card && isExpired(draft.data.card, draft.now)) {
    finish(draft, { result: 'DECLINED', reason: EXPIRED_CARD_DECLINE }, hooks);
    return;
  }
  switch (scenario.threeDS.kind) {
    case 'frictionless':
      afterThreeDS(draft, scenario.threeDS.result, false, hooks);
      return;
    case 'challenge':
      waitForAction(draft, hooks);
      return;
    case 'none':
      continueAfterThreeDS(draft, scenario, hooks);
  }
}

/** The redirect page's choice is in: the action closes and the choice decides (methods/outcomes.ts). */
export function afterRedirect(draft: Draft, outcome: RedirectOutcome, hooks: AuthorizeHooks): void {
  closeOpenAction(draft);
  finish(draft, redirectOutcome(outcome), hooks);
}

function closeOpenAction(draft: Draft): void {
  if (!draft.data.action) return;
  delete draft.data.action;
  delete draft.payment.actionId;
  delete draft.payment.actionTokenHash;
  draft.dropJobs('expire-action');
}

/** The 3DS result is in (frictionless, or a challenge done): a failure declines, a success goes on. */
export function afterThreeDS(draft: Draft, result: ThreeDSResult, challengeIssued: boolean, hooks: AuthorizeHooks): void {
  draft.data.threeDS = threeDSRecord(result, challengeIssued);
  closeOpenAction(draft);
  if (result === 'AUTH_FAILED') {
    finish(draft, { result: 'DECLINED', reason: THREE_DS_DECLINE }, hooks);
    return;
  }
  if (draft.data.options.vaultOn3DS) hooks.vault(draft);
  continueAfterThreeDS(draft, scenarioOf(draft), hooks);
}

function continueAfterThreeDS(draft: Draft, scenario: CardScenario, hooks: AuthorizeHooks): void {
  if (scenario.asyncAuthorization) {
    draft.apply(pendingOn(draft.data.machine, 'async'));
    draft.schedule('authorize', draft.now + hooks.sandbox.asyncDelayMs);
    return;
  }
  finish(draft, scenario.authorization, hooks);
}

/** The card's answer: AUTHORIZED (then vault and automatic capture), DECLINED or FAILED. */
export function finish(draft: Draft, outcome: AuthorizationOutcome, hooks: AuthorizeHooks): void {
  if (outcome.result !== 'AUTHORIZED') {
    draft.apply(afterAuthorization(draft.data.machine, outcome.result), outcome.reason);
    return;
  }
  draft.apply(afterAuthorization(draft.data.machine, 'AUTHORIZED'));
  draft.saleEvent('AUTHORIZATION_SUCCEEDED', { amount: draft.data.machine.amount });
  if (draft.data.options.vaultOnSuccess) hooks.vault(draft);
  if (hooks.sandbox.captureMode === 'AUTOMATIC') captureNow(draft, undefined, true, hooks.sandbox.asyncDelayMs);
}

/** A capture (automatic, or the capture action), with the card's settling behaviour. */
export function captureNow(
  draft: Draft,
  amount: number | undefined,
  final: boolean | undefined,
  settleAfterMs: number,
): ReturnType<typeof capture> {
  const scenario = scenarioOf(draft);
  const eventId = draft.saleEvent('CAPTURE_SUCCEEDED').id;
  const result = capture(draft.data.machine, {
    ...(amount !== undefined ? { amount } : {}),
    ...(final !== undefined ? { final } : {}),
    settling: scenario.asyncCapture,
    eventId,
  });
  if (isRefusal(result)) {
    draft.sale.events.pop();
    return result;
  }
  const event = draft.sale.events.at(-1)!;
  event.amount = result.amount;
  event.final = !result.state.capturingOpen;
  draft.apply(result.state);
  if (result.state.status === 'SETTLING') draft.schedule('settle', draft.now + settleAfterMs);
  return result;
}
