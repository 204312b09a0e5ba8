// SQLite's stores, one line per aggregate: its store, made once per opened database, and the writes a
// unit of work records on it (prepared once too). Store and UnitOfWork are derived from this table.
import { sqliteFaults } from './faults.ts';
import { sqliteIdempotency, sqliteIdempotencyWrites } from './idempotency.ts';
import { sqliteApiKeys, sqliteMerchants } from './merchants.ts';
import { sqlitePayments, sqlitePaymentWrites } from './payments.ts';
import { sqlitePayPal } from './paypal.ts';
import { sqliteSandboxClocks } from './sandbox-clocks.ts';
import { sqliteSessions, sqliteSessionWrites } from './sessions.ts';
import { sqliteSigningKeys } from './signing-keys.ts';
import { sqliteWebhooks } from './webhooks.ts';

export const sqliteStores = {
  sessions: { store: sqliteSessions, writes: sqliteSessionWrites },
  merchants: { store: sqliteMerchants },
  apiKeys: { store: sqliteApiKeys },
  signingKeys: { store: sqliteSigningKeys },
  idempotency: { store: sqliteIdempotency, writes: sqliteIdempotencyWrites },
  payments: { store: sqlitePayments, writes: sqlitePaymentWrites },
  paypal: { store: sqlitePayPal },
  webhooks: { store: sqliteWebhooks },
  sandboxClocks: { store: sqliteSandboxClocks },
  faults: { store: sqliteFaults },
};
