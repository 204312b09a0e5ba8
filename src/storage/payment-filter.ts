// GET /payments's filters and cursor as one WHERE clause, for both engines: `?` placeholders, which the
// PostgreSQL module renumbers. Column names only ever come from this file, never from the request.
import type { PaymentCursor, PaymentFilter } from '../payments/payment.store.ts';

export function paymentListQuery(merchantId: string, filter: PaymentFilter, limit: number, cursor?: PaymentCursor) {
  const where = ['merchant_id = ?'];
  const params: unknown[] = [merchantId];
  const inList = (column: string, values: readonly unknown[] | undefined) => {
    if (!values || values.length === 0) return;
    where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  inList('status', filter.status);
  inList('currency_code', filter.currencyCode);
  inList('customer_id', filter.customerId);
  inList('customer_email', filter.customerEmail);
  inList('last4', filter.last4);
  inList('processor', filter.processor);
  inList('processor_merchant_id', filter.processorMerchantId);
  const compare = (sql: string, value: unknown) => {
    if (value === undefined) return;
    where.push(sql);
    params.push(value);
  };
  compare('order_id = ?', filter.orderId);
  compare('amount >= ?', filter.minAmount);
  compare('amount <= ?', filter.maxAmount);
  compare('created_at >= ?', filter.fromDate);
  compare('created_at <= ?', filter.toDate);
  if (cursor) {
    where.push(cursor.backwards ? '(created_at > ? OR (created_at = ? AND id > ?))' : '(created_at < ? OR (created_at = ? AND id < ?))');
    params.push(cursor.createdAt, cursor.createdAt, cursor.id);
  }
  const order = cursor?.backwards ? 'created_at ASC, id ASC' : 'created_at DESC, id DESC';
  params.push(limit);
  return {
    sql: `SELECT * FROM payments WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`,
    params,
    backwards: cursor?.backwards ?? false,
  };
}
