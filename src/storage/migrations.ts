// Kassa's schema history, one list for both engines; each migration is written once, with the column
// types that differ between them taken from the dialect. Append only: a released migration is never
// edited. Timestamps are milliseconds since the epoch. Session data is TEXT holding JSON (not JSONB,
// which would reorder keys: the API echoes `metadata` in the order it was sent).
import type { Engine } from './store.ts';

export interface Dialect {
  /** Milliseconds since the epoch, and other integers past 2^31. */
  bigint: string;
  /** Bytes. */
  blob: string;
}

export const DIALECTS: Readonly<Record<Engine, Dialect>> = {
  sqlite: { bigint: 'INTEGER', blob: 'BLOB' },
  postgres: { bigint: 'BIGINT', blob: 'BYTEA' },
};

/** Thrown when DATABASE_URL names a database that holds another application's tables. */
export class ForeignDatabaseError extends Error {
  readonly code = 'KASSA_FOREIGN_DATABASE';
  constructor(where: string, tables: string[]) {
    const shown = tables.slice(0, 8).join(', ') + (tables.length > 8 ? `, and ${tables.length - 8} more` : '');
    super(
      `${where} is not Kassa's database: it already holds other tables (${shown}). Kassa will not add its tables ` +
        "next to another application's. Point DATABASE_URL at a new file or an empty database.",
    );
  }
}

/**
 * Refuses a database that is neither empty nor Kassa's. Kassa's has schema_migrations with its first
 * migration recorded as `init` (another application may have a schema_migrations of its own).
 */
export function checkDatabaseIsKassas(where: string, tables: string[], firstMigration: string | undefined): void {
  // Only an empty schema_migrations: Kassa's own first start, stopped before its first migration.
  if (tables.every((t) => t === 'schema_migrations') || firstMigration === MIGRATIONS[0]!.name) return;
  throw new ForeignDatabaseError(where, tables);
}

export interface Migration {
  id: number;
  name: string;
  sql: (d: Dialect) => string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'init',
    sql: (d) => `
      CREATE TABLE merchants (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at ${d.bigint} NOT NULL
      );
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        secret_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at ${d.bigint} NOT NULL,
        revoked_at ${d.bigint}
      );
      CREATE INDEX api_keys_merchant ON api_keys(merchant_id);
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        secret TEXT NOT NULL,
        created_at ${d.bigint} NOT NULL
      );
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        access_token_hash TEXT NOT NULL UNIQUE,
        data TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at ${d.bigint} NOT NULL,
        updated_at ${d.bigint} NOT NULL,
        expires_at ${d.bigint} NOT NULL
      );
      CREATE INDEX sessions_merchant_created ON sessions(merchant_id, created_at DESC);
      CREATE INDEX sessions_expires ON sessions(expires_at);
    `,
  },
  {
    id: 2,
    name: 'idempotency',
    sql: (d) => `
      CREATE TABLE idempotency_keys (
        merchant_id TEXT NOT NULL,
        key_hash TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response TEXT,
        created_at ${d.bigint} NOT NULL,
        locked_until ${d.bigint} NOT NULL,
        expires_at ${d.bigint} NOT NULL,
        PRIMARY KEY (merchant_id, key_hash)
      );
      CREATE INDEX idempotency_keys_expires ON idempotency_keys(expires_at);
    `,
  },
  {
    // The hold a request has on an in-flight record, so a response is stored only by the request
    // that still holds it (one that lapsed and was taken over stores nothing).
    id: 3,
    name: 'idempotency-claim',
    sql: () => 'ALTER TABLE idempotency_keys ADD COLUMN claim TEXT;',
  },
  {
    // The first characters of each key's secret were kept to recognise it in listings, which made a
    // short key easy to recover from a copy of the database. Keys are recognised by their id now.
    id: 4,
    name: 'api-keys-without-prefix',
    sql: () => 'ALTER TABLE api_keys DROP COLUMN prefix;',
  },
  {
    // Readiness writes here to prove the storage can write (storage/health.ts); rows never stay.
    id: 5,
    name: 'storage-probe',
    sql: (d) => `CREATE TABLE storage_probe (id TEXT PRIMARY KEY, pad ${d.blob} NOT NULL);`,
  },
  {
    // The payments sandbox. Tokens keep what a card may leave behind (never its number or CVV); a
    // payment's whole object is `data`, with the columns it is found and listed by beside it; jobs are
    // the durable async steps; events are recorded with every change, in its transaction.
    id: 6,
    name: 'payments',
    sql: (d) => `
      CREATE TABLE payment_tokens (
        token TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        token_type TEXT NOT NULL,
        session_id TEXT,
        customer_id TEXT,
        vaulted_id TEXT UNIQUE,
        source_token TEXT,
        is_default INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL,
        created_at ${d.bigint} NOT NULL,
        expires_at ${d.bigint},
        used_at ${d.bigint},
        deleted_at ${d.bigint}
      );
      CREATE INDEX payment_tokens_customer ON payment_tokens(merchant_id, customer_id, created_at);
      CREATE TABLE payments (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        session_id TEXT,
        token TEXT NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at ${d.bigint} NOT NULL,
        updated_at ${d.bigint} NOT NULL,
        order_id TEXT NOT NULL,
        currency_code TEXT NOT NULL,
        amount ${d.bigint} NOT NULL,
        customer_id TEXT,
        customer_email TEXT,
        last4 TEXT NOT NULL,
        processor TEXT NOT NULL,
        processor_merchant_id TEXT NOT NULL,
        action_id TEXT UNIQUE,
        action_token_hash TEXT UNIQUE,
        failed_requests INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL
      );
      CREATE INDEX payments_merchant_created ON payments(merchant_id, created_at, id);
      CREATE INDEX payments_session ON payments(session_id);
      CREATE INDEX payments_token ON payments(token);
      CREATE TABLE payment_jobs (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL,
        payment_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        run_at ${d.bigint} NOT NULL,
        locked_until ${d.bigint} NOT NULL DEFAULT 0,
        created_at ${d.bigint} NOT NULL
      );
      CREATE INDEX payment_jobs_due ON payment_jobs(run_at);
      CREATE INDEX payment_jobs_payment ON payment_jobs(payment_id);
      CREATE TABLE payment_events (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL,
        payment_id TEXT NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        ordinal INTEGER NOT NULL,
        created_at ${d.bigint} NOT NULL,
        request_id TEXT,
        detail TEXT NOT NULL
      );
      CREATE INDEX payment_events_payment ON payment_events(payment_id, version, ordinal);
    `,
  },
  {
    // Webhooks and history: a merchant's endpoints (secrets sealed, never in clear); the events of
    // session changes (payments have theirs); one delivery per event and endpoint, written in the
    // transaction of the change that records the event (the outbox), then claimed and sent by any
    // process's dispatcher. A delivery's subject is the payment or the session the event is about.
    id: 7,
    name: 'webhooks',
    sql: (d) => `
      CREATE TABLE webhook_endpoints (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        url TEXT NOT NULL,
        description TEXT,
        events TEXT NOT NULL,
        version TEXT NOT NULL,
        secret TEXT NOT NULL,
        previous_secret TEXT,
        previous_until ${d.bigint},
        created_at ${d.bigint} NOT NULL,
        deleted_at ${d.bigint}
      );
      CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints(merchant_id);
      CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL,
        endpoint_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at ${d.bigint} NOT NULL,
        locked_until ${d.bigint} NOT NULL DEFAULT 0,
        last_status_code INTEGER,
        last_error TEXT,
        created_at ${d.bigint} NOT NULL,
        delivered_at ${d.bigint},
        UNIQUE (endpoint_id, event_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
      CREATE INDEX webhook_deliveries_merchant ON webhook_deliveries(merchant_id, created_at);
      CREATE INDEX webhook_deliveries_subject ON webhook_deliveries(subject_id);
      CREATE TABLE session_events (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        type TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at ${d.bigint} NOT NULL,
        request_id TEXT,
        detail TEXT NOT NULL
      );
      CREATE INDEX session_events_session ON session_events(session_id, version);
    `,
  },
  {
    // The outbox becomes the events themselves: an event written with awaiting_fan_out = 1 (its merchant
    // had an endpoint for its type) gets its deliveries from a dispatcher, which clears the flag in the
    // same transaction, instead of from the request that wrote it; events already here were fanned out.
    // The due index keeps only deliveries still to send. An event also keeps its request's Idempotency-Key.
    id: 8,
    name: 'events as the outbox',
    sql: () => `
      ALTER TABLE payment_events ADD COLUMN awaiting_fan_out INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE session_events ADD COLUMN awaiting_fan_out INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE payment_events ADD COLUMN idempotency_key TEXT;
      ALTER TABLE session_events ADD COLUMN idempotency_key TEXT;
      CREATE INDEX payment_events_fan_out ON payment_events(created_at) WHERE awaiting_fan_out = 1;
      CREATE INDEX session_events_fan_out ON session_events(created_at) WHERE awaiting_fan_out = 1;
      DROP INDEX webhook_deliveries_due;
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'PENDING';
    `,
  },
  {
    // Bounded tokens (docs/payments.md, "Bounds"): a keyed hash of the card number, so a customer keeps
    // one saved card per card (unique among live saved cards); a session's tokens are counted by
    // session; the purger finds expired SINGLE_USE tokens by expiry.
    id: 9,
    name: 'bounded tokens',
    sql: () => `
      ALTER TABLE payment_tokens ADD COLUMN fingerprint TEXT;
      CREATE UNIQUE INDEX payment_tokens_saved_card ON payment_tokens(merchant_id, customer_id, fingerprint)
        WHERE token_type = 'MULTI_USE' AND deleted_at IS NULL AND fingerprint IS NOT NULL;
      CREATE INDEX payment_tokens_session ON payment_tokens(session_id) WHERE session_id IS NOT NULL;
      CREATE INDEX payment_tokens_expiry ON payment_tokens(expires_at) WHERE token_type = 'SINGLE_USE';
    `,
  },
  {
    // The purger's retention (storage/purge.ts) finds payments that are over, oldest change first, and
    // deliveries no longer pending, oldest attempt first (a finished delivery's next_attempt_at is its last).
    id: 10,
    name: 'retention of payments and deliveries',
    sql: () => `
      CREATE INDEX payments_over ON payments(updated_at)
        WHERE status IN ('SETTLED', 'PARTIALLY_SETTLED', 'DECLINED', 'FAILED', 'CANCELLED');
      CREATE INDEX webhook_deliveries_finished ON webhook_deliveries(next_attempt_at) WHERE status <> 'PENDING';
    `,
  },
  {
    // Endpoints a merchant can trust to stop: each keeps its failure streak (since when, how many in a row)
    // and is disabled past docs/webhooks.md's bound, with the time and reason. The delivery log: one row
    // per attempt (what was sent, the receiver's answer in part, the outcome), the last few per delivery.
    id: 11,
    name: 'webhook endpoint health and delivery log',
    sql: (d) => `
      ALTER TABLE webhook_endpoints ADD COLUMN failing_since ${d.bigint};
      ALTER TABLE webhook_endpoints ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE webhook_endpoints ADD COLUMN disabled_at ${d.bigint};
      ALTER TABLE webhook_endpoints ADD COLUMN disabled_reason TEXT;
      CREATE TABLE webhook_attempts (
        delivery_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        merchant_id TEXT NOT NULL,
        at ${d.bigint} NOT NULL,
        duration_ms INTEGER NOT NULL,
        request TEXT,
        response TEXT,
        outcome TEXT NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
      );
    `,
  },
  {
    // PayPal's orders and billing-agreement tokens (payments/methods/paypal.store.ts): from creation
    // until they expire with their session; the approval page decides each once.
    id: 12,
    name: 'paypal orders',
    sql: (d) => `
      CREATE TABLE paypal_orders (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        session_id TEXT NOT NULL,
        status TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at ${d.bigint} NOT NULL,
        expires_at ${d.bigint} NOT NULL
      );
      CREATE INDEX paypal_orders_expiry ON paypal_orders(expires_at);
    `,
  },
  {
    // Each merchant's sandbox clock (sandbox/clock/): how far its time runs ahead of the system's.
    // No row: no offset. Reset deletes the row.
    id: 13,
    name: 'sandbox clocks',
    sql: (d) => `
      CREATE TABLE sandbox_clocks (
        merchant_id TEXT PRIMARY KEY REFERENCES merchants(id),
        offset_ms ${d.bigint} NOT NULL,
        updated_at ${d.bigint} NOT NULL
      );
    `,
  },
  {
    // The sandbox's faults (sandbox/faults/fault.store.ts): a merchant's next requests to an operation
    // answered with an error; times_left is taken one at a time by a conditional UPDATE.
    id: 14,
    name: 'sandbox faults',
    sql: (d) => `
      CREATE TABLE sandbox_faults (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL REFERENCES merchants(id),
        operation TEXT NOT NULL,
        status TEXT NOT NULL,
        phase TEXT NOT NULL,
        times INTEGER NOT NULL,
        times_left INTEGER NOT NULL,
        delay_ms INTEGER NOT NULL,
        created_at ${d.bigint} NOT NULL,
        seq ${d.bigint} NOT NULL
      );
      CREATE INDEX sandbox_faults_merchant ON sandbox_faults(merchant_id, operation, seq);
    `,
  },
  {
    // Events sent by POST /kassa/sandbox/events (docs/sandbox.md, "Triggers") are marked in the history:
    // the object did not change, a test asked for the event.
    id: 15,
    name: 'triggered events',
    sql: () => `
      ALTER TABLE payment_events ADD COLUMN triggered INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE session_events ADD COLUMN triggered INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    // Webhook chaos per endpoint (docs/sandbox.md, "Webhook chaos"): JSON, NULL when off.
    id: 16,
    name: 'webhook endpoint chaos',
    sql: () => `ALTER TABLE webhook_endpoints ADD COLUMN chaos TEXT;`,
  },
  {
    // A session's CLIENT_SESSION.EXPIRED is recorded once (sessions/expiry.ts): 1 once it is. The
    // partial index holds only the sessions still to look at.
    id: 17,
    name: 'session expired events',
    sql: () => `
      ALTER TABLE sessions ADD COLUMN expired_event INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX sessions_expiry_unrecorded ON sessions(expires_at) WHERE expired_event = 0;
    `,
  },
  {
    // Where a session event sorts among its version's events, which can share an instant (as payment_events'
    // ordinal): 0 the change, 1 its expiry, from 1000 the triggered ones in the order they were sent.
    id: 18,
    name: 'session event ordinal',
    sql: () => `
      ALTER TABLE session_events ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0;
      UPDATE session_events SET ordinal = 1 WHERE type = 'CLIENT_SESSION.EXPIRED' AND triggered = 0;
      UPDATE session_events SET ordinal = 1000 WHERE triggered = 1;
    `,
  },
  {
    // An authorization's expiry (docs/payments.md, "Authorization validity") is found from its payment,
    // not a job row: authorized_at while something is left to capture, else NULL (payment-rows.ts), and
    // an index of those alone. Jobs of this kind written before are still run.
    id: 19,
    name: 'payment authorized_at',
    sql: (d) => `
      ALTER TABLE payments ADD COLUMN authorized_at ${d.bigint};
      CREATE INDEX payments_capturable ON payments(authorized_at) WHERE authorized_at IS NOT NULL;
    `,
  },
  {
    // One index finds both the sessions to purge and those whose CLIENT_SESSION.EXPIRED is still to be
    // recorded (expired_event 0), instead of two: one index entry less for every session made.
    id: 20,
    name: 'one session expiry index',
    sql: () => `
      DROP INDEX sessions_expiry_unrecorded;
      DROP INDEX sessions_expires;
      CREATE INDEX sessions_expiry ON sessions(expired_event, expires_at);
    `,
  },
];
