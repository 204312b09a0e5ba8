// PayPal orders ↔ rows, for both engines: the columns a query needs, the rest as JSON.
import type { PayPalOrder } from '../payments/methods/paypal.store.ts';

export interface PayPalRow {
  id: string;
  kind: string;
  merchant_id: string;
  session_id: string;
  status: string;
  data: string;
  created_at: number | string;
  expires_at: number | string;
}

type RowData = Pick<PayPalOrder, 'configId' | 'amount' | 'currencyCode' | 'returnUrl' | 'cancelUrl' | 'payer'>;

export function payPalRowData(o: PayPalOrder): string {
  const data: RowData = {
    configId: o.configId,
    ...(o.amount !== undefined ? { amount: o.amount } : {}),
    ...(o.currencyCode !== undefined ? { currencyCode: o.currencyCode } : {}),
    ...(o.returnUrl !== undefined ? { returnUrl: o.returnUrl } : {}),
    ...(o.cancelUrl !== undefined ? { cancelUrl: o.cancelUrl } : {}),
    ...(o.payer ? { payer: o.payer } : {}),
  };
  return JSON.stringify(data);
}

export function toPayPalOrder(row: PayPalRow): PayPalOrder {
  const data = JSON.parse(row.data) as RowData;
  return {
    id: row.id,
    kind: row.kind as PayPalOrder['kind'],
    merchantId: row.merchant_id,
    sessionId: row.session_id,
    status: row.status as PayPalOrder['status'],
    ...data,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}
