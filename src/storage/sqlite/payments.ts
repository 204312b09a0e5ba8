// Payments, tokens, jobs and events on SQLite. A change reads, decides and writes as one synchronous
// unit inside the writer's transaction (writer.ts), so calls on one payment or token apply one after
// the other, each on the one before; across processes the write lock serialises them.
import type Database from 'better-sqlite3';
import type { PaymentStore, PaymentWrites, PaymentKey, Locked } from '../../payments/payment.store.ts';
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
import { eventTailParams, SQLITE_SUBSCRIBED } from './outbox.ts';
import { WriteConflict } from '../unit-of-work.ts';
import type { SqliteEngine } from './database.ts';

export function sqlitePaymentWrites(db: Database.Database): PaymentWrites {
  const insert = db.prepare(`
    INSERT INTO payments (id, merchant_id, session_id, token, status, version, created_at, updated_at, order_id, currency_code, amount,
      customer_id, customer_email, last4, processor, processor_merchant_id, action_id, action_token_hash, authorized_at, data)
    VALUES (@id, @merchant_id, @session_id, @token, @status, @version, @created_at, @updated_at, @order_id, @currency_code, @amount,
      @customer_id, @customer_email, @last4, @processor, @processor_merchant_id, @action_id, @action_token_hash, @authorized_at, @data)`);
  const update = db.prepare(`
    UPDATE payments SET status = @status, version = @version, updated_at = @updated_at, order_id = @order_id, currency_code = @currency_code,
      amount = @amount, customer_id = @customer_id, customer_email = @customer_email, last4 = @last4, processor = @processor,
      processor_merchant_id = @processor_merchant_id, action_id = @action_id, action_token_hash = @action_token_hash,
      authorized_at = @authorized_at, data = @data
    WHERE id = @id AND version = @previous`);
  const insertToken = db.prepare(`
    INSERT INTO payment_tokens (token, merchant_id, token_type, session_id, customer_id, vaulted_id, source_token, is_default, data,
      created_at, expires_at, used_at, deleted_at, fingerprint)
    VALUES (?, ?, ?, ?, ?, ?, ?,
      CASE WHEN ? = 'MULTI_USE' AND NOT EXISTS (SELECT 1 FROM payment_tokens WHERE merchant_id = ? AND customer_id = ?
        AND token_type = 'MULTI_USE' AND deleted_at IS NULL) THEN 1 ELSE 0 END,
      ?, ?, ?, ?, ?, ?)`);
  // Only the fields a change names are set (coalesce keeps the rest), so an earlier change in the unit stays.
  const updateToken = db.prepare(`
    UPDATE payment_tokens SET customer_id = coalesce(?, customer_id), source_token = coalesce(?, source_token),
      is_default = coalesce(?, is_default), used_at = coalesce(?, used_at), deleted_at = coalesce(?, deleted_at)
    WHERE token = ?`);
  const setDefault = db.prepare(
    "UPDATE payment_tokens SET is_default = CASE WHEN token = ? THEN 1 ELSE 0 END WHERE merchant_id = ? AND customer_id = ? AND token_type = 'MULTI_USE'",
  );
  // The event is the outbox: flagged when the merchant has a live endpoint for its type (webhooks.ts fans it out).
  const insertEvent = db.prepare(`
    INSERT INTO payment_events (id, merchant_id, payment_id, type, status, version, ordinal, created_at, triggered, request_id, idempotency_key,
      detail, awaiting_fan_out)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${SQLITE_SUBSCRIBED})`);
  const insertJob = db.prepare(
    'INSERT INTO payment_jobs (id, merchant_id, payment_id, kind, run_at, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const dropAll = db.prepare('DELETE FROM payment_jobs WHERE payment_id = ?');
  const dropKind = db.prepare('DELETE FROM payment_jobs WHERE payment_id = ? AND kind = ?');
  return {
    insert(p) {
      insert.run(paymentRow(p));
    },
    update(p) {
      if (update.run({ ...paymentRow(p), previous: p.version - 1 }).changes !== 1) {
        throw new WriteConflict(`payment ${p.id} is no longer at version ${p.version - 1}`);
      }
    },
    insertToken(t) {
      insertToken.run(
        t.token,
        t.merchantId,
        t.tokenType,
        t.sessionId ?? null,
        t.customerId ?? null,
        t.vaultedId ?? null,
        t.sourceToken ?? null,
        t.tokenType,
        t.merchantId,
        t.customerId ?? null,
        tokenData(t),
        t.createdAt,
        t.expiresAt ?? null,
        t.usedAt ?? null,
        t.deletedAt ?? null,
        t.fingerprint ?? null,
      );
    },
    updateToken(token, c) {
      const isDefault = c.isDefault === undefined ? null : c.isDefault ? 1 : 0;
      updateToken.run(c.customerId ?? null, c.sourceToken ?? null, isDefault, c.usedAt ?? null, c.deletedAt ?? null, token);
    },
    setDefault(merchantId, customerId, token) {
      setDefault.run(token, merchantId, customerId);
    },
    insertEvent(e) {
      insertEvent.run(
        e.id,
        e.merchantId,
        e.paymentId,
        e.type,
        e.status,
        e.version,
        e.ordinal,
        e.createdAt,
        e.triggered ? 1 : 0,
        ...eventTailParams(e),
      );
    },
    scheduleJob(j) {
      insertJob.run(j.id, j.merchantId, j.paymentId, j.kind, j.runAt, j.runAt);
    },
    dropJobs(paymentId, kind) {
      if (kind) dropKind.run(paymentId, kind);
      else dropAll.run(paymentId);
    },
  };
}

export function sqlitePayments(engine: SqliteEngine): PaymentStore {
  const { db, writer } = engine;
  const byId = engine.query('SELECT * FROM payments WHERE id = ? AND merchant_id = ?');
  const reset = ['payment_jobs', 'payment_events', 'payments', 'payment_tokens'].map((table) =>
    db.prepare(`DELETE FROM ${table} WHERE merchant_id = ?`),
  );
  const byActionToken = engine.query('SELECT * FROM payments WHERE action_token_hash = ?');
  const byAction = engine.query('SELECT * FROM payments WHERE action_id = ?');
  const awaiting = engine.query(
    "SELECT * FROM payments WHERE token = ? AND status = 'PENDING' AND action_id IS NOT NULL ORDER BY created_at DESC LIMIT 1",
  );
  const bySession = engine.query('SELECT * FROM payments WHERE merchant_id = ? AND session_id = ? ORDER BY created_at, id');
  const token = engine.query('SELECT * FROM payment_tokens WHERE token = ?');
  const vaultedId = engine.query('SELECT * FROM payment_tokens WHERE merchant_id = ? AND vaulted_id = ?');
  const vaulted = engine.query(
    "SELECT * FROM payment_tokens WHERE merchant_id = ? AND customer_id = ? AND token_type = 'MULTI_USE' AND deleted_at IS NULL ORDER BY created_at DESC, vaulted_id DESC LIMIT ?",
  );
  const vaultedAfter = engine.query(`
    SELECT * FROM payment_tokens WHERE merchant_id = ? AND customer_id = ? AND token_type = 'MULTI_USE' AND deleted_at IS NULL
      AND (created_at < ? OR (created_at = ? AND vaulted_id < ?))
    ORDER BY created_at DESC, vaulted_id DESC LIMIT ?`);
  const sameCard = engine.query(
    "SELECT * FROM payment_tokens WHERE merchant_id = ? AND customer_id = ? AND fingerprint = ? AND token_type = 'MULTI_USE' AND deleted_at IS NULL",
  );
  const sessionTokens = engine.query('SELECT COUNT(*) AS n FROM payment_tokens WHERE session_id = ?');
  // Expired SINGLE_USE tokens no payment references: useless to everyone (a vault or a payment refuses them).
  const purgeTokens = db.prepare(`
    DELETE FROM payment_tokens WHERE token IN (
      SELECT t.token FROM payment_tokens t WHERE t.token_type = 'SINGLE_USE' AND t.expires_at < ?
        AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.token = t.token) LIMIT ?)`);
  const session = engine.query('SELECT * FROM sessions WHERE id = ?');
  const refused = db.prepare(
    'UPDATE payments SET failed_requests = failed_requests + 1 WHERE id = ? AND merchant_id = ? RETURNING failed_requests',
  );
  const events = engine.query('SELECT * FROM payment_events WHERE merchant_id = ? AND payment_id = ? ORDER BY version, ordinal');
  // Due on the merchant's clock (its sandbox offset); the largest offset bounds the index range.
  const due = engine.query(`
    SELECT j.* FROM payment_jobs j LEFT JOIN sandbox_clocks c ON c.merchant_id = j.merchant_id
    WHERE j.run_at <= ? + (SELECT COALESCE(MAX(offset_ms), 0) FROM sandbox_clocks) AND j.run_at <= ? + COALESCE(c.offset_ms, 0)
      AND j.locked_until <= ? ORDER BY j.run_at LIMIT ?`);
  const lapsed = engine.query(`
    SELECT p.id, p.merchant_id, p.authorized_at FROM payments p LEFT JOIN sandbox_clocks c ON c.merchant_id = p.merchant_id
    WHERE p.authorized_at <= ? + (SELECT COALESCE(MAX(offset_ms), 0) FROM sandbox_clocks) AND p.authorized_at <= ? + COALESCE(c.offset_ms, 0)
    ORDER BY p.authorized_at LIMIT ?`);
  // Over, and nothing about it still to happen: no job, no event awaiting deliveries, no delivery pending.
  const over = db
    .prepare(`
      SELECT id FROM payments p WHERE status IN ('SETTLED', 'PARTIALLY_SETTLED', 'DECLINED', 'FAILED', 'CANCELLED') AND updated_at < ?
        AND (status <> 'PARTIALLY_SETTLED' OR json_extract(data, '$.machine.capturingOpen') = 0)
        AND NOT EXISTS (SELECT 1 FROM payment_jobs j WHERE j.payment_id = p.id)
        AND NOT EXISTS (SELECT 1 FROM payment_events e WHERE e.payment_id = p.id AND e.awaiting_fan_out = 1)
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.subject_id = p.id AND d.status = 'PENDING')
      ORDER BY updated_at LIMIT ?`)
    .pluck();
  const dropAttempts = db.prepare(
    'DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE subject_id IN (SELECT value FROM json_each(?)))',
  );
  const dropDeliveries = db.prepare('DELETE FROM webhook_deliveries WHERE subject_id IN (SELECT value FROM json_each(?))');
  const dropEvents = db.prepare('DELETE FROM payment_events WHERE payment_id IN (SELECT value FROM json_each(?))');
  const dropPayments = db.prepare('DELETE FROM payments WHERE id IN (SELECT value FROM json_each(?))');
  const claim = db.prepare('UPDATE payment_jobs SET locked_until = ? WHERE id = ? AND locked_until <= ?');

  const payment = (r: unknown) => (r ? toPayment(r as PaymentRow) : undefined);
  const tokenOf = (r: unknown) => (r ? toToken(r as TokenRow) : undefined);
  /** A token and the vaulted method it points at. */
  const withToken = (tokenId: string | undefined): Pick<Locked, 'token' | 'vaulted'> => {
    const found = tokenId ? tokenOf(token.get(tokenId)) : undefined;
    const vaultedToken = found?.sourceToken ? tokenOf(token.get(found.sourceToken)) : undefined;
    return { ...(found ? { token: found } : {}), ...(vaultedToken ? { vaulted: vaultedToken } : {}) };
  };
  const savedCard = (merchantId: string, customerId: string, fingerprint: string) =>
    tokenOf(sameCard.get(merchantId, customerId, fingerprint));
  /** The rows with the customer's saved card of the same number, when the key asks for it. */
  const withSameCard = (key: PaymentKey, locked: Locked): Locked => {
    const customerId = key.kind !== 'session' ? key.savedCardOf?.(locked) : undefined;
    const found =
      customerId !== undefined && locked.token?.fingerprint
        ? savedCard(locked.token.merchantId, customerId, locked.token.fingerprint)
        : undefined;
    return found ? { ...locked, sameCard: found } : locked;
  };
  const load = (key: PaymentKey): Locked => {
    switch (key.kind) {
      case 'payment':
      case 'action': {
        const found = key.kind === 'payment' ? payment(byId.get(key.paymentId, key.merchantId)) : payment(byAction.get(key.actionId));
        return found ? withSameCard(key, { payment: found, ...withToken(found.token) }) : {};
      }
      case 'token': {
        const tokens = withToken(key.token);
        const found = tokens.token;
        const sessionRow = found?.sessionId ? (session.get(found.sessionId) as SessionRow | undefined) : undefined;
        const waiting = found ? payment(awaiting.get(found.token)) : undefined;
        return withSameCard(key, {
          ...tokens,
          ...(sessionRow ? { session: toSession(sessionRow) } : {}),
          ...(waiting ? { payment: waiting } : {}),
        });
      }
      case 'session': {
        // Read inside the writer's transaction, as the change's writes are: the count cannot go stale.
        const n = (sessionTokens.get(key.sessionId) as { n: number }).n;
        const found = key.card ? savedCard(key.card.merchantId, key.card.customerId, key.card.fingerprint) : undefined;
        return { sessionTokens: n, ...(found ? { sameCard: found } : {}) };
      }
    }
  };
  return {
    findById(merchantId, id) {
      return payment(byId.get(id, merchantId));
    },
    findByActionTokenHash(hash) {
      return payment(byActionToken.get(hash));
    },
    async list(merchantId, filter, limit, cursor) {
      const query = paymentListQuery(merchantId, filter, limit, cursor);
      const rows = (engine.query(query.sql).all(...query.params) as PaymentRow[]).map(toPayment);
      return query.backwards ? rows.reverse() : rows;
    },
    async listBySession(merchantId, sessionId) {
      return (bySession.all(merchantId, sessionId) as PaymentRow[]).map(toPayment);
    },
    findToken(t) {
      return tokenOf(token.get(t));
    },
    findVaultedById(merchantId, id) {
      return tokenOf(vaultedId.get(merchantId, id));
    },
    async vaulted(merchantId, customerId, limit, after) {
      const rows = after
        ? vaultedAfter.all(merchantId, customerId, after.createdAt, after.createdAt, after.vaultedId, limit)
        : vaulted.all(merchantId, customerId, limit);
      return (rows as TokenRow[]).map(toToken);
    },
    async purgeExpiredTokens(before, limit) {
      return writer.run(() => purgeTokens.run(before, limit).changes);
    },
    change(key, decide) {
      return engine.unit((uow) => decide(load(key), uow));
    },
    async countRefused(merchantId, paymentId) {
      const row = await writer.run(() => refused.get(paymentId, merchantId) as { failed_requests: number } | undefined);
      return row?.failed_requests ?? 0;
    },
    async events(merchantId, paymentId) {
      return (events.all(merchantId, paymentId) as EventRow[]).map(toEvent);
    },
    async purgeFinished(before, limit) {
      return writer.run(() => {
        const ids = JSON.stringify(over.all(before, limit));
        dropAttempts.run(ids);
        const deliveries = dropDeliveries.run(ids).changes;
        const events = dropEvents.run(ids).changes;
        return { payments: dropPayments.run(ids).changes, events, deliveries };
      });
    },
    async dueJobs(now, limit) {
      return (due.all(now, now, now, limit) as JobRow[]).map(toJob);
    },
    async lapsedAuthorizations(authorizedBy, limit) {
      return (lapsed.all(authorizedBy, authorizedBy, limit) as LapsedRow[]).map(lapsedJob);
    },
    async claimJob(id, now, until) {
      return (await writer.run(() => claim.run(until, id, now).changes)) === 1;
    },
    resetMerchant(merchantId) {
      return writer.run(() => {
        const [, events, payments, tokens] = reset.map((drop) => drop.run(merchantId).changes) as [number, number, number, number];
        return { payments, tokens, events };
      });
    },
  };
}
