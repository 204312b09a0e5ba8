// PostgreSQL's stores, one line per aggregate: its store, made once per pool, and the writes a unit of
// work records on it (made per unit). Checked against the SQLite table, from which Store is derived.
import type { EngineTable } from '../store.ts';
import type { PostgresEngine } from './database.ts';
import { postgresFaults } from './faults.ts';
import { idempotencyWrites, postgresIdempotency } from './idempotency.ts';
import { postgresApiKeys, postgresMerchants } from './merchants.ts';
import { paymentWrites, postgresPayments } from './payments.ts';
import { postgresPayPal } from './paypal.ts';
import { postgresSandboxClocks } from './sandbox-clocks.ts';
import { postgresSessions, sessionWrites } from './sessions.ts';
import { postgresSigningKeys } from './signing-keys.ts';
import type { PostgresUnitOfWork } from './unit-of-work.ts';
import { postgresWebhooks } from './webhooks.ts';

export const postgresStores = {
  sessions: { store: postgresSessions, writes: sessionWrites },
  merchants: { store: postgresMerchants },
  apiKeys: { store: postgresApiKeys },
  signingKeys: { store: postgresSigningKeys },
  idempotency: { store: postgresIdempotency, writes: idempotencyWrites },
  payments: { store: postgresPayments, writes: paymentWrites },
  paypal: { store: postgresPayPal },
  webhooks: { store: postgresWebhooks },
  sandboxClocks: { store: postgresSandboxClocks },
  faults: { store: postgresFaults },
} satisfies EngineTable<PostgresEngine, PostgresUnitOfWork>;
