// The payment methods Kassa can pay besides cards, by `paymentMethodType` (docs/payments.md, "Payment
// methods"): each entry names its flow, so tokenize, authorization and the pages ask here rather than
// test type names. Built from the checkout configuration, so a method the configuration does not offer
// cannot be tokenized. PayPal, Klarna and the wallets will add flows of their own.
import type { PaymentMethodConfig } from '../../checkout/configuration.ts';

/**
 * How a method pays: `redirect`, the shopper leaves for the method's page (Kassa's own) and the SDK
 * polls then resumes; `test`, Primer's test methods, whose outcome the SDK's decision screen chose;
 * `wallet`, Apple Pay and Google Pay, authorized at once (methods/wallets.ts).
 * `klarna`, KLARNA's own instruments (methods/klarna.ts), final at once (spec §0.5).
 * `paypal`, an order or billing agreement approved on Kassa's PayPal page first (methods/paypal.ts).
 */
export type MethodFlow = 'redirect' | 'test' | 'wallet' | 'klarna' | 'paypal';

export interface PayableMethod {
  type: string;
  /** The configuration entry's id: the SDKs send it as paymentMethodConfigId. */
  configId: string;
  flow: MethodFlow;
}

/** Primer's sandbox mocks (spec §6.2): paid whatever the implementationType the configuration gives them. */
export const PRIMER_TEST_METHODS = ['PRIMER_TEST_PAYPAL', 'PRIMER_TEST_KLARNA', 'PRIMER_TEST_SOFORT'] as const;

/** The flow a configuration entry pays with, or undefined when Kassa cannot pay it yet. */
export function flowOf(method: Pick<PaymentMethodConfig, 'type' | 'implementationType'>): MethodFlow | undefined {
  if ((PRIMER_TEST_METHODS as readonly string[]).includes(method.type)) return 'test';
  if (method.type === 'APPLE_PAY' || method.type === 'GOOGLE_PAY') return 'wallet';
  if (method.implementationType === 'WEB_REDIRECT') return 'redirect';
  if (method.type === 'KLARNA') return 'klarna';
  if (method.type === 'PAYPAL') return 'paypal';
  return undefined;
}

export class MethodRegistry {
  private readonly byType = new Map<string, PayableMethod>();

  constructor(methods: readonly Pick<PaymentMethodConfig, 'id' | 'type' | 'implementationType'>[]) {
    for (const m of methods) {
      const flow = flowOf(m);
      if (flow) this.byType.set(m.type, { type: m.type, configId: m.id, flow });
    }
  }

  find(type: string): PayableMethod | undefined {
    return this.byType.get(type);
  }

  /** The types a tokenize request may name (those of the given flows, else all), for its error's description. */
  types(flows?: readonly MethodFlow[]): string[] {
    return [...this.byType.values()].filter((m) => !flows || flows.includes(m.flow)).map((m) => m.type);
  }
}

/** Whether Kassa can pay a configuration entry: a card (tokenize.ts's card step) or a method flowOf gives a flow. */
export function canPay(method: Pick<PaymentMethodConfig, 'type' | 'implementationType'>): boolean {
  return method.type === 'PAYMENT_CARD' || flowOf(method) !== undefined;
}

/**
 * What Kassa can pay, read off flowOf so a flow registered there is listed with no second list to keep:
 * the implementationTypes that pay any type, and of `named` (the types Kassa knows by name) those that
 * some other implementationType pays.
 */
export function payableTypes(
  named: readonly string[],
  implementationTypes: readonly PaymentMethodConfig['implementationType'][],
): { types: string[]; anyTypeWith: string[] } {
  // A name no flow can know: whatever pays it pays every type of its implementationType.
  const anyTypeWith = implementationTypes.filter((implementationType) => canPay({ type: '\u0000', implementationType }));
  const types = ['PAYMENT_CARD', ...PRIMER_TEST_METHODS, ...named].filter(
    (type, i, all) =>
      all.indexOf(type) === i &&
      implementationTypes.some((implementationType) => !anyTypeWith.includes(implementationType) && canPay({ type, implementationType })),
  );
  return { types, anyTypeWith };
}
