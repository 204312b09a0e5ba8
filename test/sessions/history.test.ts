// engines: sqlite
// A session's history (docs/webhooks.md, "History"): an update stores only the values it changed, at
// their paths, and the history shows every top-level field it changed as {from, to}, rebuilt from the
// session as it is now. Properties over sequences of sessions, as stored (JSON) and read back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { changesOf, createdEvent, PATH_CHANGES, sessionHistory, updatedEvent } from '../../src/sessions/history.ts';
import type { SessionData } from '../../src/sessions/schemas.ts';
import type { SessionEvent, StoredSession } from '../../src/sessions/session.store.ts';

const text = fc.string({ minLength: 1, maxLength: 8 });
const address = fc.record({ city: text, postalCode: text, addressLine1: text }, { requiredKeys: [], noNullPrototype: true });
const session: fc.Arbitrary<SessionData> = fc.record(
  {
    orderId: text,
    customerId: text,
    amount: fc.nat(),
    metadata: fc.dictionary(text, fc.oneof(text, fc.nat(), fc.dictionary(text, text, { maxKeys: 2, noNullPrototype: true })), {
      maxKeys: 3,
      noNullPrototype: true,
    }),
    customer: fc.record(
      { firstName: text, emailAddress: fc.constantFrom('a@b.co', 'c@d.co'), billingAddress: address, shippingAddress: address },
      { requiredKeys: [], noNullPrototype: true },
    ),
    order: fc.record(
      {
        countryCode: fc.constantFrom('NL', 'DE'),
        lineItems: fc.array(fc.record({ itemId: text, amount: fc.nat(1000) }, { noNullPrototype: true }), { maxLength: 3 }),
        fees: fc.array(fc.record({ type: fc.constant('SURCHARGE'), amount: fc.nat(100) }, { noNullPrototype: true }), { maxLength: 1 }),
        shipping: fc.record({ amount: fc.nat(100), methodId: text }, { requiredKeys: [], noNullPrototype: true }),
      },
      { requiredKeys: [], noNullPrototype: true },
    ),
  },
  { requiredKeys: [], noNullPrototype: true },
) as fc.Arbitrary<SessionData>;

const ORIGIN = { requestId: 'req-1' };
const stored = (data: SessionData, version: number): StoredSession => ({
  id: 'cs_1',
  merchantId: 'mer_a',
  accessTokenHash: 'hash',
  data,
  version,
  createdAt: 1000,
  updatedAt: 1000 + version,
  expiresAt: 10_000,
});
/** As the store gives it back: JSON in, JSON out. */
const roundTrip = (events: SessionEvent[]): SessionEvent[] => JSON.parse(JSON.stringify(events));

/** A session's states in order, and its events as stored. */
function recorded(states: SessionData[]) {
  const sessions = states.map((data, i) => stored(data, i + 1));
  const events = [createdEvent(sessions[0]!, ORIGIN), ...sessions.slice(1).map((s, i) => updatedEvent(sessions[i]!, s, ORIGIN))];
  return { sessions, events: roundTrip(events) };
}

test('the history shows each update as changesOf(before, after), rebuilt from the session now; the creation as stored', () => {
  fc.assert(
    fc.property(fc.array(session, { minLength: 1, maxLength: 6 }), (states) => {
      const { sessions, events } = recorded(states);
      const shown = sessionHistory(sessions.at(-1)!, events);
      assert.deepEqual(shown[0], events[0]);
      const asStored = (v: unknown) => JSON.parse(JSON.stringify(v));
      assert.deepEqual(
        shown.slice(1).map((e) => e.detail),
        states.slice(1).map((s, i) => asStored(changesOf(states[i]!, s))),
      );
      assert.deepEqual(
        shown.map((e) => [e.id, e.version, e.type]),
        events.map((e) => [e.id, e.version, e.type]),
      );
    }),
  );
});

test('an update stores only the values it changed: a new email is that email, not the customer or the order', () => {
  const lineItems = Array.from({ length: 20 }, (_, i) => ({ itemId: `sku-${i}`, amount: 100 }));
  const before: SessionData = { customer: { firstName: 'Ada', emailAddress: 'a@b.co' }, order: { lineItems } } as SessionData;
  const after: SessionData = { ...before, customer: { firstName: 'Ada', emailAddress: 'c@d.co' } } as SessionData;
  const event = updatedEvent(stored(before, 1), stored(after, 2), ORIGIN);
  assert.deepEqual(event.detail, { [PATH_CHANGES]: [{ path: ['customer', 'emailAddress'], from: 'a@b.co', to: 'c@d.co' }] });
});

test('events newer than the session read are left out (a change committed between the two reads)', () => {
  fc.assert(
    fc.property(fc.array(session, { minLength: 2, maxLength: 5 }), fc.nat(), (states, cut) => {
      const { sessions, events } = recorded(states);
      const read = sessions[cut % sessions.length]!;
      assert.deepEqual(sessionHistory(read, events), sessionHistory(read, events.slice(0, read.version)));
      assert.equal(sessionHistory(read, events).length, read.version);
    }),
  );
});

test('updates stored whole (before updates stored paths) are shown as stored, and later ones rebuilt', () => {
  const states = [{ orderId: 'o-1' }, { orderId: 'o-2' }, { orderId: 'o-2', customerId: 'c-1' }] as SessionData[];
  const { sessions, events } = recorded(states);
  const whole = { ...events[1]!, detail: { orderId: { from: 'o-1', to: 'o-2' } } };
  const shown = sessionHistory(sessions[2]!, [events[0]!, whole, events[2]!]);
  assert.deepEqual(
    shown.map((e) => e.detail),
    [events[0]!.detail, { orderId: { from: 'o-1', to: 'o-2' } }, { customerId: { to: 'c-1' } }],
  );
});
