// GET /payments and the vault lists: the query read (Primer's parameter names, comma lists or
// repeats), the page asked for and its cursors; the route only hands the query over.
import { Type } from 'typebox';
import { validationError, type FieldError } from '../errors.ts';
import { PAYMENT_STATUSES, type PaymentStatus } from './model.ts';
import { renderSummary } from './payment.ts';
import type { PaymentCursor, PaymentFilter, StoredPayment } from './payment.store.ts';
import { parseVaultCursor, vaultCursorText, type VaultPage } from './vault.ts';

/** Saved cards a vault list answers when no limit is asked, and the most it answers. */
export const VAULT_PAGE_SIZE = 100;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

// GET /payments: every parameter, as Primer names it. Lists come as comma lists or repeats.
const LIST_PARAMS = [
  'status',
  'payment_method_type',
  'processor',
  'currency_code',
  'from_date',
  'to_date',
  'order_id',
  'min_amount',
  'max_amount',
  'customer_id',
  'merchant_id',
  'customer_email_address',
  /** Kassa's name before it took Primer's, kept as an alias. */
  'customer_email',
  'last_4_digits',
  'paypal_email',
  'klarna_email',
  'limit',
  'cursor',
] as const;

export const ListQuery = Type.Object(
  Object.fromEntries(
    LIST_PARAMS.map((p) => [
      p,
      Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 100 })])),
    ]),
  ),
  { title: 'PaymentSearchQuery', additionalProperties: false },
);

export function parseList(query: Record<string, string | string[] | undefined>): {
  filter: PaymentFilter;
  limit: number;
  cursor?: PaymentCursor;
  none: boolean;
} {
  const errors: FieldError[] = [];
  const list = (name: string) => {
    const raw = query[name];
    if (raw === undefined) return undefined;
    return (Array.isArray(raw) ? raw : [raw])
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v !== '');
  };
  const int = (name: string, min: number, max: number) => {
    const raw = first(query[name]);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      errors.push({ path: `$.${name}`, description: `Must be an integer from ${min} to ${max}.` });
      return undefined;
    }
    return Number(raw);
  };
  const date = (name: string) => {
    const raw = first(query[name]);
    if (raw === undefined) return undefined;
    const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(raw) || !raw.includes('T') ? raw : `${raw}Z`);
    if (Number.isNaN(ms)) {
      errors.push({ path: `$.${name}`, description: 'Must be a date (ISO 8601).' });
      return undefined;
    }
    return ms;
  };
  const status = list('status');
  const badStatus = status?.find((s) => !(PAYMENT_STATUSES as readonly string[]).includes(s));
  if (badStatus !== undefined) errors.push({ path: '$.status', description: `Must be one of ${PAYMENT_STATUSES.join(', ')}.` });
  const methodType = list('payment_method_type');
  const emailLists = [list('customer_email_address'), list('customer_email')].filter((l) => l !== undefined);
  const emails = emailLists.length > 0 ? emailLists.flat() : undefined;
  const filter: PaymentFilter = {
    ...(status ? { status: status as PaymentStatus[] } : {}),
    ...(list('currency_code') ? { currencyCode: list('currency_code')! } : {}),
    ...(first(query.order_id) !== undefined ? { orderId: first(query.order_id)! } : {}),
    ...(list('customer_id') ? { customerId: list('customer_id')! } : {}),
    ...(emails ? { customerEmail: emails } : {}),
    ...(list('last_4_digits') ? { last4: list('last_4_digits')! } : {}),
    ...(list('processor') ? { processor: list('processor')! } : {}),
    ...(list('merchant_id') ? { processorMerchantId: list('merchant_id')! } : {}),
  };
  const minAmount = int('min_amount', 0, Number.MAX_SAFE_INTEGER);
  const maxAmount = int('max_amount', 0, Number.MAX_SAFE_INTEGER);
  const fromDate = date('from_date');
  const toDate = date('to_date');
  if (minAmount !== undefined) filter.minAmount = minAmount;
  if (maxAmount !== undefined) filter.maxAmount = maxAmount;
  if (fromDate !== undefined) filter.fromDate = fromDate;
  if (toDate !== undefined) filter.toDate = toDate;
  const limit = int('limit', 1, 100) ?? 100;
  let cursor: PaymentCursor | undefined;
  const rawCursor = first(query.cursor);
  if (rawCursor !== undefined) {
    try {
      const parsed = JSON.parse(Buffer.from(rawCursor, 'base64url').toString('utf8')) as PaymentCursor;
      if (typeof parsed.createdAt !== 'number' || typeof parsed.id !== 'string' || typeof parsed.backwards !== 'boolean')
        throw new Error('shape');
      cursor = { createdAt: parsed.createdAt, id: parsed.id, backwards: parsed.backwards };
    } catch {
      errors.push({ path: '$.cursor', description: 'Not a cursor this API returned.' });
    }
  }
  if (errors.length > 0) throw validationError('PaymentSearchQuery', errors);
  // Kassa has card payments only, and no PayPal or Klarna accounts.
  const none =
    (methodType !== undefined && !methodType.includes('PAYMENT_CARD')) ||
    query.paypal_email !== undefined ||
    query.klarna_email !== undefined;
  return { filter, limit, ...(cursor ? { cursor } : {}), none };
}

// GET /payment-instruments: Primer's spec has no paging here; Kassa pages as GET /payments does (limit, cursor).
export const VaultQuery = Type.Object(
  {
    // No minLength, as Primer's: an empty customer id has no saved methods (vaulting needs one).
    customer_id: Type.Optional(Type.String({ maxLength: 255 })),
    limit: Type.Optional(Type.String({ maxLength: 16, description: `1 to ${VAULT_PAGE_SIZE}; ${VAULT_PAGE_SIZE} when absent` })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'The nextCursor of the previous page' })),
  },
  { title: 'PaymentInstrumentsQuery' },
);

/** The page a vault list asks for: 422 for a limit outside 1..VAULT_PAGE_SIZE or a cursor this API did not make. */
export function vaultPaging(query: { limit?: string; cursor?: string }) {
  const errors: FieldError[] = [];
  const limit = query.limit === undefined ? VAULT_PAGE_SIZE : /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : 0;
  if (limit < 1 || limit > VAULT_PAGE_SIZE)
    errors.push({ path: '$.limit', description: `Must be an integer from 1 to ${VAULT_PAGE_SIZE}.` });
  const after = query.cursor === undefined ? undefined : parseVaultCursor(query.cursor);
  if (query.cursor !== undefined && !after) errors.push({ path: '$.cursor', description: 'Not a cursor this API returned.' });
  if (errors.length > 0) throw validationError('PaymentInstrumentsQuery', errors);
  return { limit, ...(after ? { after } : {}) };
}

/** A vault page as the list answers it: `nextCursor` only when another page follows. */
export const vaultList = (page: VaultPage, render: (t: VaultPage['saved'][number]) => unknown) => ({
  data: page.saved.map(render),
  ...(page.next ? { nextCursor: vaultCursorText(page.next) } : {}),
});

const cursorOf = (p: StoredPayment, backwards: boolean) =>
  Buffer.from(JSON.stringify({ createdAt: p.createdAt, id: p.id, backwards })).toString('base64url');

/** GET /payments: a page of the merchant's payments as the list answers it, read with one more to tell whether another follows. */
export async function searchPayments(
  query: Record<string, string | string[] | undefined>,
  read: (filter: PaymentFilter, limit: number, cursor?: PaymentCursor) => Promise<StoredPayment[]>,
) {
  const { filter, limit, cursor, none } = parseList(query);
  if (none) return { data: [] };
  const rows = await read(filter, limit + 1, cursor);
  const backwards = cursor?.backwards ?? false;
  const more = rows.length > limit;
  const page = backwards ? rows.slice(rows.length > limit ? 1 : 0) : rows.slice(0, limit);
  const last = page.at(-1);
  const firstRow = page[0];
  return {
    data: page.map(renderSummary),
    ...(last && (backwards ? cursor !== undefined : more) ? { nextCursor: cursorOf(last, false) } : {}),
    ...(firstRow && (backwards ? more : cursor !== undefined) ? { prevCursor: cursorOf(firstRow, true) } : {}),
  };
}
