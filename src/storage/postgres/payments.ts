// Payments, tokens, jobs and events on PostgreSQL. A change locks the rows it names (SELECT … FOR
// UPDATE) for its transaction (database.ts, change), so calls on one payment or token, from any
// process, apply one after the other.
import type { TransactionSql } from 'postgres';
import type { Locked, PaymentKey, PaymentStore, PaymentWrites } from '../../payments/payment.store.ts';
import { paymentListQuery } from '../payment-filter.ts';
import {
  paymentRow,
  tokenData,
  toEvent,
  toJob,
  toPayment,
  toToken,
  lapsedJob,
  type LapsedRow,
  type EventRow,
  type JobRow,
  type PaymentRow,
  type TokenRow,
} from '../payment-rows.ts';
import { toSession, type SessionRow } from '../rows.ts';
import { WriteConflict } from '../unit-of-work.ts';
import type { PostgresEngine } from './database.ts';
import type { PostgresUnitOfWork } from './unit-of-work.ts';
import { subscribed } from './outbox.ts';

/** The first key of the customers' advisory locks (the second is a hash of merchant and customer). */
const CUSTOMER_LOCK = 7_240_003;
/** The first key of the sessions' token-count locks (the second is a hash of the session id). */
const SESSION_TOKENS_LOCK = 7_240_004;

const customerLock = (tx: TransactionSql, merchantId: string, customerId: string) =>
  tx`SELECT pg_advisory_xact_lock(${CUSTOMER_LOCK}, hashtext(${`${merchantId}\n${customerId}`}))`;

export function paymentWrites(uow: PostgresUnitOfWork): PaymentWrites {
  /** Serialises the transactions that decide a customer's default saved card (a transaction-scoped advisory lock). */
  const lockCustomer = (merchantId: string, customerId: string) => uow.ops.push((tx) => customerLock(tx, merchantId, customerId));
  return {
    insert(p) {
      uow.written.record(`payment ${p.id}`, undefined, p.version);
      const r = paymentRow(p);
      uow.ops.push((tx) => tx`INSERT INTO payments ${tx(r)}`);
    },
    update(p) {
      uow.written.record(`payment ${p.id}`, p.version - 1, p.version);
      const { id, merchant_id: _m, created_at: _c, ...changes } = paymentRow(p);
      uow.ops.push(async (tx) => {
        const result = await tx`UPDATE payments SET ${tx(changes)} WHERE id = ${id} AND version = ${p.version - 1}`;
        if (result.count !== 1) throw new WriteConflict(`payment ${p.id} is no longer at version ${p.version - 1}`);
      });
    },
    insertToken(t) {
      // A customer's first saved card is the default: concurrent first saves of one customer must not each
      // see none, so they take the customer's lock (held to commit) before looking (docs/payments.md, "Vault").
      if (t.tokenType === 'MULTI_USE' && t.customerId !== undefined) lockCustomer(t.merchantId, t.customerId);
      uow.ops.push(
        (tx) => tx`
          INSERT INTO payment_tokens (token, merchant_id, token_type, session_id, customer_id, vaulted_id, source_token, is_default, data,
            created_at, expires_at, used_at, deleted_at, fingerprint)
          VALUES (${t.token}, ${t.merchantId}, ${t.tokenType}, ${t.sessionId ?? null}, ${t.customerId ?? null}, ${t.vaultedId ?? null},
            ${t.sourceToken ?? null},
            CASE WHEN ${t.tokenType} = 'MULTI_USE' AND NOT EXISTS (SELECT 1 FROM payment_tokens WHERE merchant_id = ${t.merchantId}
              AND customer_id = ${t.customerId ?? null} AND token_type = 'MULTI_USE' AND deleted_at IS NULL) THEN 1 ELSE 0 END,
            ${tokenData(t)}, ${t.createdAt}, ${t.expiresAt ?? null}, ${t.usedAt ?? null}, ${t.deletedAt ?? null},
            ${t.fingerprint ?? null})`,
      );
    },
    updateToken(token, c) {
      // Only the fields named change (coalesce keeps the rest), so an earlier change in the unit stays.
      const isDefault = c.isDefault === undefined ? null : c.isDefault ? 1 : 0;
      uow.ops.push(
        (tx) => tx`
          UPDATE payment_tokens SET customer_id = coalesce(${c.customerId ?? null}, customer_id),
            source_token = coalesce(${c.sourceToken ?? null}, source_token), is_default = coalesce(${isDefault}, is_default),
            used_at = coalesce(${c.usedAt ?? null}, used_at), deleted_at = coalesce(${c.deletedAt ?? null}, deleted_at)
          WHERE token = ${token}`,
      );
    },
    setDefault(merchantId, customerId, token) {
      lockCustomer(merchantId, customerId);
      uow.ops.push(
        (tx) => tx`
          UPDATE payment_tokens SET is_default = CASE WHEN token = ${token} THEN 1 ELSE 0 END
          WHERE merchant_id = ${merchantId} AND customer_id = ${customerId} AND token_type = 'MULTI_USE'`,
      );
    },
    insertEvent(e) {
      // The event is the outbox: flagged when the merchant has a live endpoint for its type (webhooks.ts fans it out).
      uow.ops.push(
        (tx) => tx`
          INSERT INTO payment_events (id, merchant_id, payment_id, type, status, version, ordinal, created_at, triggered, request_id,
            idempotency_key, detail, awaiting_fan_out)
          VALUES (${e.id}, ${e.merchantId}, ${e.paymentId}, ${e.type}, ${e.status}, ${e.version}, ${e.ordinal}, ${e.createdAt},
            ${e.triggered ? 1 : 0}, ${e.requestId ?? null}, ${e.idempotencyKey ?? null}, ${JSON.stringify(e.detail)}, ${subscribed(tx, e.merchantId, e.type)})`,
      );
    },
    scheduleJob(j) {
      uow.ops.push(
        (tx) => tx`
          INSERT INTO payment_jobs (id, merchant_id, payment_id, kind, run_at, created_at)
          VALUES (${j.id}, ${j.merchantId}, ${j.paymentId}, ${j.kind}, ${j.runAt}, ${j.runAt})`,
      );
    },
    dropJobs(paymentId, kind) {
      uow.ops.push((tx) =>
        kind
          ? tx`DELETE FROM payment_jobs WHERE payment_id = ${paymentId} AND kind = ${kind}`
          : tx`DELETE FROM payment_jobs WHERE payment_id = ${paymentId}`,
      );
    },
  };
}

/** A token and the vaulted method it points at (read, not locked: a change locks its own key's rows). */
async function withToken(tx: TransactionSql, tokenId: string | undefined, lock: boolean): Promise<Pick<Locked, 'token' | 'vaulted'>> {
  if (!tokenId) return {};
  const [row] = lock
    ? await tx<TokenRow[]>`SELECT * FROM payment_tokens WHERE token = ${tokenId} FOR UPDATE`
    : await tx<TokenRow[]>`SELECT * FROM payment_tokens WHERE token = ${tokenId}`;
  if (!row) return {};
  const token = toToken(row);
  const [vaultedRow] = token.sourceToken ? await tx<TokenRow[]>`SELECT * FROM payment_tokens WHERE token = ${token.sourceToken}` : [];
  return { token, ...(vaultedRow ? { vaulted: toToken(vaultedRow) } : {}) };
}

/** The customer's live saved card with this fingerprint, read under the customer's lock (held to commit). */
async function savedCard(tx: TransactionSql, merchantId: string, customerId: string, fingerprint: string) {
  await customerLock(tx, merchantId, customerId);
  const [row] = await tx<TokenRow[]>`
    SELECT * FROM payment_tokens WHERE merchant_id = ${merchantId} AND customer_id = ${customerId} AND fingerprint = ${fingerprint}
      AND token_type = 'MULTI_USE' AND deleted_at IS NULL`;
  return row ? toToken(row) : undefined;
}

/** The rows with the customer's saved card of the same number, when the key asks for it. */
async function withSameCard(tx: TransactionSql, key: PaymentKey, locked: Locked): Promise<Locked> {
  const customerId = key.kind !== 'session' ? key.savedCardOf?.(locked) : undefined;
  const token = locked.token;
  const found =
    customerId !== undefined && token?.fingerprint ? await savedCard(tx, token.merchantId, customerId, token.fingerprint) : undefined;
  return found ? { ...locked, sameCard: found } : locked;
}

async function lockRows(tx: TransactionSql, key: PaymentKey): Promise<Locked> {
  const payment = (rows: PaymentRow[]) => (rows[0] ? toPayment(rows[0]) : undefined);
  switch (key.kind) {
    case 'payment':
    case 'action': {
      const found = payment(
        key.kind === 'payment'
          ? await tx<PaymentRow[]>`SELECT * FROM payments WHERE id = ${key.paymentId} AND merchant_id = ${key.merchantId} FOR UPDATE`
          : await tx<PaymentRow[]>`SELECT * FROM payments WHERE action_id = ${key.actionId} FOR UPDATE`,
      );
      return found ? withSameCard(tx, key, { payment: found, ...(await withToken(tx, found.token, false)) }) : {};
    }
    case 'session': {
      // Changes that add a token to one session count one after the other (the lock is held to commit).
      await tx`SELECT pg_advisory_xact_lock(${SESSION_TOKENS_LOCK}, hashtext(${key.sessionId}))`;
      const [row] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM payment_tokens WHERE session_id = ${key.sessionId}`;
      const card = key.card;
      const found = card ? await savedCard(tx, card.merchantId, card.customerId, card.fingerprint) : undefined;
      return { sessionTokens: row?.n ?? 0, ...(found ? { sameCard: found } : {}) };
    }
    case 'token': {
      const tokens = await withToken(tx, key.token, true);
      const token = tokens.token;
      if (!token) return {};
      const [sessionRow] = token.sessionId ? await tx<SessionRow[]>`SELECT * FROM sessions WHERE id = ${token.sessionId}` : [];
      const waiting = payment(
        await tx<PaymentRow[]>`
          SELECT * FROM payments WHERE token = ${token.token} AND status = 'PENDING' AND action_id IS NOT NULL
          ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
      );
      return withSameCard(tx, key, {
        ...tokens,
        ...(sessionRow ? { session: toSession(sessionRow) } : {}),
        ...(waiting ? { payment: waiting } : {}),
      });
    }
  }
}

const lockKey = (key: PaymentKey) => {
  switch (key.kind) {
    case 'payment':
      return `payment:${key.paymentId}`;
    case 'action':
      return `action:${key.actionId}`;
    case 'token':
      return `token:${key.token}`;
    case 'session':
      return `session:${key.sessionId}`;
  }
};

export function postgresPayments(pg: PostgresEngine): PaymentStore {
  const one = <T, R>(rows: T[], map: (row: T) => R) => (rows[0] ? map(rows[0]) : undefined);
  return {
    async findById(merchantId, id) {
      return one(await pg.query<PaymentRow[]>`SELECT * FROM payments WHERE id = ${id} AND merchant_id = ${merchantId}`, toPayment);
    },
    async findByActionTokenHash(hash) {
      return one(await pg.query<PaymentRow[]>`SELECT * FROM payments WHERE action_token_hash = ${hash}`, toPayment);
    },
    async list(merchantId, filter, limit, cursor) {
      const query = paymentListQuery(merchantId, filter, limit, cursor);
      const rows = (await pg.text<PaymentRow[]>(query.sql, query.params)).map(toPayment);
      return query.backwards ? rows.reverse() : rows;
    },
    async listBySession(merchantId, sessionId) {
      const rows = await pg.query<
        PaymentRow[]
      >`SELECT * FROM payments WHERE merchant_id = ${merchantId} AND session_id = ${sessionId} ORDER BY created_at, id`;
      return rows.map(toPayment);
    },
    async findToken(token) {
      return one(await pg.query<TokenRow[]>`SELECT * FROM payment_tokens WHERE token = ${token}`, toToken);
    },
    async findVaultedById(merchantId, id) {
      return one(
        await pg.query<TokenRow[]>`SELECT * FROM payment_tokens WHERE merchant_id = ${merchantId} AND vaulted_id = ${id}`,
        toToken,
      );
    },
    async vaulted(merchantId, customerId, limit, after) {
      const rows = await pg.query<TokenRow[]>`
        SELECT * FROM payment_tokens WHERE merchant_id = ${merchantId} AND customer_id = ${customerId} AND token_type = 'MULTI_USE'
          AND deleted_at IS NULL ${after ? pg.part`AND (created_at < ${after.createdAt} OR (created_at = ${after.createdAt} AND vaulted_id < ${after.vaultedId}))` : pg.part``}
        ORDER BY created_at DESC, vaulted_id DESC LIMIT ${limit}`;
      return rows.map(toToken);
    },
    async purgeExpiredTokens(before, limit) {
      // Expired SINGLE_USE tokens no payment references: useless to everyone (a vault or a payment refuses them).
      const result = await pg.query`
        DELETE FROM payment_tokens WHERE token IN (
          SELECT t.token FROM payment_tokens t WHERE t.token_type = 'SINGLE_USE' AND t.expires_at < ${before}
            AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.token = t.token) LIMIT ${limit})`;
      return result.count;
    },
    change(key, decide) {
      return pg.change<Locked, ReturnType<typeof decide>>(
        lockKey(key),
        (tx) => lockRows(tx, key),
        (locked, uow) => decide(locked ?? {}, uow),
      );
    },
    async countRefused(merchantId, paymentId) {
      const [row] = await pg.query<{ failed_requests: number }[]>`
        UPDATE payments SET failed_requests = failed_requests + 1 WHERE id = ${paymentId} AND merchant_id = ${merchantId}
        RETURNING failed_requests`;
      return row?.failed_requests ?? 0;
    },
    async events(merchantId, paymentId) {
      const rows = await pg.query<EventRow[]>`
        SELECT * FROM payment_events WHERE merchant_id = ${merchantId} AND payment_id = ${paymentId} ORDER BY version, ordinal`;
      return rows.map(toEvent);
    },
    async purgeFinished(before, limit) {
      // One statement: what it deletes is what it found. A payment being changed now is skipped, not waited for.
      const [row] = await pg.query<{ payments: number; events: number; deliveries: number }[]>`
        WITH over AS (
          SELECT id FROM payments p WHERE status IN ('SETTLED', 'PARTIALLY_SETTLED', 'DECLINED', 'FAILED', 'CANCELLED')
            AND updated_at < ${before}
            AND (status <> 'PARTIALLY_SETTLED' OR (data::json -> 'machine' ->> 'capturingOpen') = 'false')
            AND NOT EXISTS (SELECT 1 FROM payment_jobs j WHERE j.payment_id = p.id)
            AND NOT EXISTS (SELECT 1 FROM payment_events e WHERE e.payment_id = p.id AND e.awaiting_fan_out = 1)
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.subject_id = p.id AND d.status = 'PENDING')
          ORDER BY updated_at LIMIT ${limit} FOR UPDATE SKIP LOCKED
        ), gone AS (
          DELETE FROM payments WHERE id IN (SELECT id FROM over) RETURNING id
        ), events AS (
          DELETE FROM payment_events WHERE payment_id IN (SELECT id FROM gone) RETURNING 1
        ), deliveries AS (
          DELETE FROM webhook_deliveries WHERE subject_id IN (SELECT id FROM gone) RETURNING id
        ), attempts AS (
          DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM deliveries)
        )
        SELECT (SELECT count(*) FROM gone)::int AS payments, (SELECT count(*) FROM events)::int AS events,
          (SELECT count(*) FROM deliveries)::int AS deliveries`;
      return { payments: row?.payments ?? 0, events: row?.events ?? 0, deliveries: row?.deliveries ?? 0 };
    },
    async dueJobs(now, limit) {
      const rows = await pg.query<JobRow[]>`
        SELECT j.* FROM payment_jobs j LEFT JOIN sandbox_clocks c ON c.merchant_id = j.merchant_id
        WHERE j.run_at <= ${now} + (SELECT COALESCE(MAX(offset_ms), 0) FROM sandbox_clocks)
          AND j.run_at <= ${now} + COALESCE(c.offset_ms, 0) AND j.locked_until <= ${now}
        ORDER BY j.run_at LIMIT ${limit}`;
      return rows.map(toJob);
    },
    async lapsedAuthorizations(authorizedBy, limit) {
      const rows = await pg.query<LapsedRow[]>`
        SELECT p.id, p.merchant_id, p.authorized_at FROM payments p LEFT JOIN sandbox_clocks c ON c.merchant_id = p.merchant_id
        WHERE p.authorized_at <= ${authorizedBy} + (SELECT COALESCE(MAX(offset_ms), 0) FROM sandbox_clocks)
          AND p.authorized_at <= ${authorizedBy} + COALESCE(c.offset_ms, 0)
        ORDER BY p.authorized_at LIMIT ${limit}`;
      return rows.map(lapsedJob);
    },
    async claimJob(id, now, until) {
      const result = await pg.query`UPDATE payment_jobs SET locked_until = ${until} WHERE id = ${id} AND locked_until <= ${now}`;
      return result.count === 1;
    },
    async resetMerchant(merchantId) {
      // One statement, so one transaction: a payment never outlives its events or jobs.
      const [row] = await pg.query<{ payments: number; tokens: number; events: number }[]>`
        WITH jobs AS (DELETE FROM payment_jobs WHERE merchant_id = ${merchantId}),
          events AS (DELETE FROM payment_events WHERE merchant_id = ${merchantId} RETURNING 1),
          gone AS (DELETE FROM payments WHERE merchant_id = ${merchantId} RETURNING 1),
          tokens AS (DELETE FROM payment_tokens WHERE merchant_id = ${merchantId} RETURNING 1)
        SELECT (SELECT count(*) FROM gone)::int AS payments, (SELECT count(*) FROM tokens)::int AS tokens,
          (SELECT count(*) FROM events)::int AS events`;
      return { payments: row?.payments ?? 0, tokens: row?.tokens ?? 0, events: row?.events ?? 0 };
    },
  };
}
