// engines: sqlite
// One place finds the session a token names (src/sessions/access.ts): both token kinds, payments'
// action tokens, one refusal for every unusable token, and no read for a token that cannot be ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KassaError } from '../../src/errors.ts';
import type { Context } from '../../src/lib/context.ts';
import { sha256 } from '../../src/lib/ids.ts';
import { SessionAccess } from '../../src/sessions/access.ts';
import type { StoredSession } from '../../src/sessions/session.store.ts';
import { ClientTokens } from '../../src/tokens/client-token.ts';

const NOW = Date.UTC(2026, 10, 24);
const HOUR = 3_600_000;
const ctx: Context = { apiVersion: '2.4', requestId: 'r' };
const ACCESS_TOKEN = 'a'.repeat(40);
const ACTION_TOKEN = 'b'.repeat(40);

const session = (over: Partial<StoredSession> = {}): StoredSession => ({
  id: 'ses_1',
  merchantId: 'm1',
  accessTokenHash: sha256(ACCESS_TOKEN),
  data: {},
  version: 3,
  createdAt: NOW,
  updatedAt: NOW,
  expiresAt: NOW + HOUR,
  ...over,
});

/** Stores that count their reads; `later` answers as PostgreSQL does (a promise), else as SQLite does. */
function setup(options: { sessions?: StoredSession[]; payments?: boolean; later?: boolean } = {}) {
  const reads: string[] = [];
  const sessions = options.sessions ?? [session()];
  const answer = <T>(read: string, value: T) => {
    reads.push(read);
    return options.later ? Promise.resolve(value) : value;
  };
  const tokens = new ClientTokens(
    [{ kid: 'k1', secret: 's'.repeat(32), createdAt: 0 }],
    { publicUrl: 'http://x', env: 'SANDBOX', ttlSeconds: 3600 },
    () => NOW,
  );
  const actions = {
    findByActionTokenHash: (hash: string) =>
      answer('findByActionTokenHash', hash === sha256(ACTION_TOKEN) ? { merchantId: 'm1', sessionId: 'ses_1' } : undefined),
  };
  const access = new SessionAccess({
    sessions: {
      findByAccessTokenHash: (hash) =>
        answer(
          'findByAccessTokenHash',
          sessions.find((s) => s.accessTokenHash === hash),
        ),
      versionOf: (hash) =>
        answer(
          'versionOf',
          sessions.find((s) => s.accessTokenHash === hash),
        ),
      findById: (merchantId, id) =>
        answer(
          'findById',
          sessions.find((s) => s.merchantId === merchantId && s.id === id),
        ),
    },
    tokens,
    clock: () => NOW,
    ...(options.payments ? { actions } : {}),
  });
  return { access, reads, tokens };
}

/** The error a call gives, thrown at once or later. */
async function refusal(call: () => unknown): Promise<string> {
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof KassaError, String(error));
    return error.errorId;
  }
  assert.fail('expected a refusal');
}

test('an SDK access token finds its session, at once when the store answers at once', async () => {
  const { access, reads } = setup();
  const found = access.find(ctx, ACCESS_TOKEN);
  assert.ok(!(found instanceof Promise));
  assert.equal(found.id, 'ses_1');
  assert.deepEqual(reads, ['findByAccessTokenHash']);
  assert.equal((await setup({ later: true }).access.find(ctx, ACCESS_TOKEN)).id, 'ses_1');
});

test('a whole client token (JWT), an over-long token or none is refused before any read', async () => {
  const { access, reads, tokens } = setup({ payments: true });
  for (const token of [tokens.issue().clientToken, 'c'.repeat(257), undefined, '']) {
    assert.equal(await refusal(() => access.find(ctx, token)), 'ClientSessionValidationError');
  }
  assert.deepEqual(reads, []);
});

test('an unknown token and an expired session get the same refusal', async () => {
  for (const later of [false, true]) {
    assert.equal(await refusal(() => setup({ later }).access.find(ctx, 'd'.repeat(40))), 'ClientSessionValidationError');
    const expired = setup({ later, sessions: [session({ expiresAt: NOW })] });
    assert.equal(await refusal(() => expired.access.find(ctx, ACCESS_TOKEN)), 'ClientSessionValidationError');
  }
});

test("with payments on, a payment's action token finds the payment's session; with payments off it names none", async () => {
  for (const later of [false, true]) {
    const on = setup({ later, payments: true });
    assert.equal((await on.access.find(ctx, ACTION_TOKEN)).id, 'ses_1');
    assert.deepEqual(on.reads, ['findByAccessTokenHash', 'findByActionTokenHash', 'findById']);
    // The session's own token never reaches the payments' table.
    on.reads.length = 0;
    assert.equal((await on.access.find(ctx, ACCESS_TOKEN)).id, 'ses_1');
    assert.deepEqual(on.reads, ['findByAccessTokenHash']);
    const off = setup({ later });
    assert.equal(await refusal(() => off.access.find(ctx, ACTION_TOKEN)), 'ClientSessionValidationError');
    assert.deepEqual(off.reads, ['findByAccessTokenHash']);
  }
});

test("a client token finds its session for its merchant, and is refused for another merchant's key", async () => {
  const { access, tokens } = setup({ later: true });
  const issued = tokens.issue();
  const hash = access.clientTokenHash(issued.clientToken);
  assert.equal(hash, issued.accessTokenHash);
  const own = setup({ later: true, sessions: [session({ accessTokenHash: hash })] }).access;
  assert.equal((await own.byHash(ctx, hash, 'm1')).id, 'ses_1');
  assert.equal((await own.versionOf(ctx, hash, 'm1')).version, 3);
  assert.equal(await refusal(() => own.byHash(ctx, hash, 'm2')), 'ClientSessionValidationError');
  assert.equal(await refusal(() => own.versionOf(ctx, hash, 'm2')), 'ClientSessionValidationError');
  assert.equal(await refusal(() => access.clientTokenHash(`${issued.clientToken}x`)), 'ClientSessionValidationError');
});

test('whatever the SDK sends, the answer is its session or ClientSessionValidationError', async () => {
  const { access } = setup({ payments: true });
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom(ACCESS_TOKEN, ACTION_TOKEN)), async (token) => {
      try {
        assert.equal((await access.find(ctx, token)).id, 'ses_1');
        assert.ok(token === ACCESS_TOKEN || token === ACTION_TOKEN);
      } catch (error) {
        assert.ok(error instanceof KassaError && error.errorId === 'ClientSessionValidationError', String(error));
      }
    }),
  );
});
