// The tokenize step of an OFF_SESSION_PAYMENT instrument (spec §5.2, §6.2): a redirect method or one of
// Primer's test methods, as each SDK sends it (iOS, Android and web bodies differ in sessionInfo only).
// Reduced to what the tokenize answer shows: browserInfo and the rest of sessionInfo are dropped, and no
// description repeats what was sent.
import { validationError, type FieldError } from '../../errors.ts';
import type { FlowDecision, MethodData } from '../model.ts';
import type { MethodFlow, MethodRegistry, PayableMethod } from './registry.ts';

export const OFF_SESSION_PAYMENT = 'OFF_SESSION_PAYMENT';
const OFF_SESSION_FLOWS: readonly MethodFlow[] = ['redirect', 'test'];
const FLOW_DECISIONS: readonly FlowDecision[] = ['SUCCESS', 'DECLINE', 'FAIL'];
/** Schemes a return URL may not have: the page would run them instead of leaving. */
const SCRIPT_SCHEMES = /^(javascript|data|vbscript|file|blob):/i;

/** The flows whose SDKs tokenize an OFF_SESSION_PAYMENT; PayPal has instruments of its own (methods/paypal.ts). */

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const path = (field: string) => `$.paymentInstrument.${field}`;

/** Whether a tokenize request's instrument is an OFF_SESSION_PAYMENT (else it is read as a card). */
export const isOffSession = (input: unknown): boolean => isRecord(input) && input.type === OFF_SESSION_PAYMENT;

function text(v: unknown, field: string, max: number, problems: FieldError[]): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max) {
    problems.push({ path: path(field), description: `Must be a string of 1 to ${max} characters` });
    return undefined;
  }
  return v;
}

/** An absolute URL a sandbox page may send the shopper to: an app's scheme or a web address, never a script. */
export const isSafeReturnUrl = (url: string): boolean =>
  /^[A-Za-z][A-Za-z0-9+.-]*:/.test(url) && !SCRIPT_SCHEMES.test(url) && !/[\s<>"]/.test(url);

/** A URL the redirect page may send the shopper back to: an app's scheme or a web address, never a script. */
function returnUrl(v: unknown, field: string, problems: FieldError[]): string | undefined {
  const url = text(v, field, 2048, problems);
  if (url === undefined) return undefined;
  if (!isSafeReturnUrl(url)) {
    problems.push({ path: path(field), description: 'Must be an absolute URL (an app scheme, http or https)' });
    return undefined;
  }
  return url;
}

/** The instrument checked against the methods Kassa pays, or a 422 naming every bad field. */
export function readOffSession(input: Record<string, unknown>, methods: MethodRegistry): { method: PayableMethod; data: MethodData } {
  const problems: FieldError[] = [];
  const type = input.paymentMethodType;
  const found = typeof type === 'string' ? methods.find(type) : undefined;
  // Wallets, KLARNA and PAYPAL have tokenize steps of their own (wallets.ts, klarna.ts, paypal.ts), never OFF_SESSION_PAYMENT.
  const method = found && OFF_SESSION_FLOWS.includes(found.flow) ? found : undefined;
  if (!method) {
    const offered = methods.types(OFF_SESSION_FLOWS);
    problems.push({
      path: path('paymentMethodType'),
      description: `Not a payment method this checkout can pay as OFF_SESSION_PAYMENT; it offers: ${offered.join(', ') || 'none'}`,
    });
  }
  if (typeof input.paymentMethodConfigId !== 'string' || (method && input.paymentMethodConfigId !== method.configId)) {
    problems.push({
      path: path('paymentMethodConfigId'),
      description: "Must be the id of the method's entry in the checkout configuration",
    });
  }
  const info = input.sessionInfo ?? {};
  if (!isRecord(info)) problems.push({ path: path('sessionInfo'), description: 'Must be an object' });
  const session = isRecord(info) ? info : {};
  const locale = text(session.locale, 'sessionInfo.locale', 35, problems);
  const platform = text(session.platform, 'sessionInfo.platform', 32, problems);
  // The mobile SDKs' return is redirectionUrl; the web SDK's full-page return is merchantRedirectUrl.
  const redirectionUrl =
    returnUrl(session.redirectionUrl, 'sessionInfo.redirectionUrl', problems) ??
    returnUrl(session.merchantRedirectUrl, 'sessionInfo.merchantRedirectUrl', problems);
  let flowDecision: FlowDecision | undefined;
  if (method?.flow === 'test') {
    flowDecision = FLOW_DECISIONS.find((d) => d === session.flowDecision);
    if (!flowDecision) problems.push({ path: path('sessionInfo.flowDecision'), description: 'Must be SUCCESS, DECLINE or FAIL' });
  }
  if (problems.length > 0 || !method) throw validationError('PaymentInstrument', problems);
  const sessionInfo = {
    ...(locale !== undefined ? { locale } : {}),
    ...(platform !== undefined ? { platform } : {}),
    ...(redirectionUrl !== undefined ? { redirectionUrl } : {}),
  };
  return {
    method,
    data: {
      paymentMethodType: method.type,
      paymentMethodConfigId: method.configId,
      ...(Object.keys(sessionInfo).length > 0 ? { sessionInfo } : {}),
      ...(flowDecision ? { flowDecision } : {}),
    },
  };
}
