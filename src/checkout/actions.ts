// The client-session actions the SDKs send (docs/sdk.md, "Actions"), as pure changes to a session.
// Every action is checked before any is applied, so a bad one rejects the whole request; the service
// then validates the resulting session like a PATCH and stores it.
import { Type, type TSchema } from 'typebox';
import { validationError, type FieldError } from '../errors.ts';
import { compile, fieldErrors } from '../lib/ajv.ts';
import { inspectBody } from '../lib/inspect-json.ts';
import { jsonPath } from '../lib/json-path.ts';
import { applyPatch } from '../sessions/merge.ts';
import { Address, Customer, PAYMENT_METHOD_TYPE_PATTERN } from '../primer/schemas.ts';
import type { SessionData } from '../sessions/schemas.ts';
import type { ShippingMethod } from './configuration.ts';
import { surchargeFor, withSurchargeFee } from './surcharge.ts';

export const ACTIONS_MODEL = 'ClientSessionActionsRequest';

export interface Action {
  type: string;
  params?: Record<string, unknown> | null;
}

export interface ActionContext {
  /** The SHIPPING module's methods, which SELECT_SHIPPING_METHOD picks from. */
  shippingMethods: readonly ShippingMethod[];
}

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const customerField = (name: 'firstName' | 'lastName' | 'emailAddress' | 'mobileNumber') =>
  Type.Object({ [name]: Nullable(Customer.properties[name]) }, { required: [name] });

/** Params each action type takes. Unknown params are ignored (SDKs add fields over time). */
const PARAMS = {
  SELECT_PAYMENT_METHOD: Type.Object({
    paymentMethodType: Type.String({ pattern: PAYMENT_METHOD_TYPE_PATTERN }),
    binData: Type.Optional(Nullable(Type.Object({ network: Type.Optional(Nullable(Type.String({ maxLength: 64 }))) }))),
  }),
  UNSELECT_PAYMENT_METHOD: Type.Object({}),
  SET_BILLING_ADDRESS: Type.Object({ billingAddress: Nullable(Address) }),
  SET_SHIPPING_ADDRESS: Type.Object({ shippingAddress: Nullable(Address) }),
  SELECT_SHIPPING_METHOD: Type.Object({
    shipping_method_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    shippingMethodId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  }),
  SET_CUSTOMER_FIRST_NAME: customerField('firstName'),
  SET_CUSTOMER_LAST_NAME: customerField('lastName'),
  SET_EMAIL_ADDRESS: customerField('emailAddress'),
  SET_MOBILE_NUMBER: customerField('mobileNumber'),
} as const;

export type ActionType = keyof typeof PARAMS;
export const ACTION_TYPES = Object.keys(PARAMS) as ActionType[];

const validators = Object.fromEntries(Object.entries(PARAMS).map(([type, schema]) => [type, compile(schema)])) as Record<
  ActionType,
  ReturnType<typeof compile>
>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What the shopper left empty is absent: SDKs send `""` or `null` for untouched address fields and
 * cleared inputs, and Kassa's schema (like Primer's) rejects empty strings.
 */
function normalizeParams(type: ActionType, params: Record<string, unknown>): Record<string, unknown> {
  const out = { ...params };
  for (const key of ['billingAddress', 'shippingAddress'] as const) {
    if ((type === 'SET_BILLING_ADDRESS' && key === 'billingAddress') || (type === 'SET_SHIPPING_ADDRESS' && key === 'shippingAddress')) {
      const address = out[key];
      if (isObject(address)) {
        const kept = Object.fromEntries(Object.entries(address).filter(([, v]) => v !== null && v !== ''));
        // Fields an address does not have are dropped (inspectBody removes them from `kept`).
        if (Object.keys(kept).length > 0) inspectBody(kept, Address, false);
        out[key] = Object.keys(kept).length > 0 ? kept : null;
      }
    }
  }
  for (const key of ['firstName', 'lastName', 'emailAddress', 'mobileNumber']) {
    if (out[key] === '') out[key] = null;
  }
  return out;
}

interface CheckedAction {
  type: ActionType;
  params: Record<string, unknown>;
}

/** Every problem of every action, at `$.actions[i]…`, or the checked actions. */
export function checkActions(actions: readonly Action[], context: ActionContext): CheckedAction[] {
  const errors: FieldError[] = [];
  const checked: CheckedAction[] = [];
  actions.forEach((action, i) => {
    const at = ['actions', String(i)];
    if (!(ACTION_TYPES as string[]).includes(action.type)) {
      errors.push({
        path: jsonPath([...at, 'type']),
        description: `Unknown action type; permitted: ${ACTION_TYPES.map((t) => JSON.stringify(t)).join(', ')}`,
      });
      return;
    }
    const type = action.type as ActionType;
    const params = normalizeParams(type, isObject(action.params) ? action.params : {});
    const validate = validators[type];
    if (!validate(params)) {
      errors.push(...fieldErrors(validate.errors ?? [], [...at, 'params']));
      return;
    }
    if (type === 'SELECT_SHIPPING_METHOD') {
      const id = (params.shipping_method_id ?? params.shippingMethodId) as string | undefined;
      const path = jsonPath([
        ...at,
        'params',
        params.shippingMethodId !== undefined && params.shipping_method_id === undefined ? 'shippingMethodId' : 'shipping_method_id',
      ]);
      if (id === undefined) errors.push({ path, description: 'Field required (shipping_method_id or shippingMethodId)' });
      else if (!context.shippingMethods.some((m) => m.id === id)) {
        const known = context.shippingMethods.map((m) => JSON.stringify(m.id)).join(', ');
        errors.push({
          path,
          description: known ? `Unknown shipping method; permitted: ${known}` : 'This checkout has no shipping methods',
        });
      }
    }
    checked.push({ type, params });
  });
  if (errors.length > 0) throw validationError(ACTIONS_MODEL, errors);
  return checked;
}

function applyOne(session: SessionData, { type, params }: CheckedAction, context: ActionContext): SessionData {
  switch (type) {
    case 'SELECT_PAYMENT_METHOD': {
      const binData = params.binData as { network?: string | null } | null | undefined;
      const network = binData?.network ?? undefined;
      return withSurchargeFee(session, surchargeFor(session, params.paymentMethodType as string, network));
    }
    case 'UNSELECT_PAYMENT_METHOD':
      return withSurchargeFee(session, undefined);
    case 'SET_BILLING_ADDRESS':
      return applyPatch(session, { customer: { billingAddress: params.billingAddress as never } });
    case 'SET_SHIPPING_ADDRESS':
      return applyPatch(session, { customer: { shippingAddress: params.shippingAddress as never } });
    case 'SELECT_SHIPPING_METHOD': {
      const id = (params.shipping_method_id ?? params.shippingMethodId) as string;
      const method = context.shippingMethods.find((m) => m.id === id)!;
      return applyPatch(session, {
        order: {
          shipping: {
            amount: method.amount,
            methodId: method.id,
            methodName: method.name,
            ...(method.description ? { methodDescription: method.description } : {}),
          },
        },
      });
    }
    case 'SET_CUSTOMER_FIRST_NAME':
      return applyPatch(session, { customer: { firstName: params.firstName as string | null } });
    case 'SET_CUSTOMER_LAST_NAME':
      return applyPatch(session, { customer: { lastName: params.lastName as string | null } });
    case 'SET_EMAIL_ADDRESS':
      return applyPatch(session, { customer: { emailAddress: params.emailAddress as string | null } });
    case 'SET_MOBILE_NUMBER':
      return applyPatch(session, { customer: { mobileNumber: params.mobileNumber as string | null } });
  }
}

/** The session after the actions, in order. Throws a 422 (and changes nothing) if any is bad. */
export function applyActions(session: SessionData, actions: readonly Action[], context: ActionContext): SessionData {
  const checked = checkActions(actions, context);
  return checked.reduce((current, action) => applyOne(current, action, context), session);
}
