// engines: sqlite, postgres
// The server's Payments API (docs/payments.md): GET /payments, its filters and its cursor. Calls carry X-Api-Key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testApp, type TestApp } from '../support/app.ts';
import { api, CARDS, errorPaths, otherMerchant, pay, post } from './support.ts';

describe('Payments API', () => {
  // One app for the whole file, with a payment of the default merchant's that another merchant's search must not list.
  let t: TestApp;
  before(async () => {
    t = await testApp();
    await pay(t);
  });
  after(async () => {
    await t.close();
  });

  describe('GET /payments (search)', () => {
    // A merchant of its own, so that only these payments are listed.
    let key: string;
    const ids: Record<string, string> = {};
    before(async () => {
      key = (await otherMerchant(t)).key;
      // Five payments a minute apart, then a sixth in the same millisecond as the fifth.
      const plan: [string, string, Record<string, unknown>][] = [
        [
          'a',
          CARDS.visa,
          { orderId: 'ord-a', currencyCode: 'EUR', amount: 100, customerId: 'c-1', customer: { emailAddress: 'a@example.com' } },
        ],
        ['b', CARDS.decline, { orderId: 'ord-b', currencyCode: 'USD', amount: 200, customerId: 'c-2' }],
        ['c', CARDS.visaCredit, { orderId: 'ord-c', currencyCode: 'EUR', amount: 300, customerId: 'c-1' }],
        ['d', CARDS.amex, { orderId: 'ord-d', currencyCode: 'GBP', amount: 400 }],
        ['e', CARDS.visa, { orderId: 'ord-e', currencyCode: 'EUR', amount: 500, customerId: 'c-3' }],
        ['f', CARDS.visa, { orderId: 'ord-f', currencyCode: 'EUR', amount: 600 }],
      ];
      for (const [name, number, order] of plan) {
        if (name !== 'f') t.clock.advance(60_000);
        ids[name] = (await pay(t, number, { session: order, key })).payment.id;
      }
      await post(t, ids.c!, 'capture', {}, { key });
    });

    const search = async (query: string) => {
      const res = await api(t, 'GET', `/payments${query}`, undefined, { key });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as { data: Record<string, any>[]; nextCursor?: string; prevCursor?: string };
    };
    const names = (data: Record<string, any>[]) => data.map((p) => Object.entries(ids).find(([, id]) => id === p.id)?.[0] ?? p.id);
    // f and e share a createdAt: ties go by id, descending.
    const newestFirst = () => ['f', 'e'].sort((x, y) => (ids[x]! < ids[y]! ? 1 : -1)).concat(['d', 'c', 'b', 'a']);

    test("the merchant's payments, newest first (ties by id), as PaymentSummary rows; no other merchant's", async () => {
      const { data, nextCursor, prevCursor } = await search('');
      assert.deepEqual(names(data), newestFirst());
      assert.equal(nextCursor, undefined);
      assert.equal(prevCursor, undefined);
      const c = data.find((p) => p.id === ids.c)!;
      assert.deepEqual(c, {
        id: ids.c,
        date: c.date,
        dateUpdated: c.dateUpdated,
        status: 'SETTLED',
        orderId: 'ord-c',
        processor: { name: 'KASSA_SANDBOX', processorMerchantId: 'kassa-sandbox' },
        currencyCode: 'EUR',
        amount: 300,
      });
      // The default merchant sees none of them.
      const mine = (await api(t, 'GET', '/payments?limit=100')).json().data as { id: string }[];
      assert.ok(mine.length > 0);
      assert.ok(!mine.some((p) => Object.values(ids).includes(p.id)));
    });

    test('filters: lists as comma lists or repeats; inclusive dates and amounts', async () => {
      assert.deepEqual(names((await search('?status=DECLINED')).data), ['b']);
      assert.deepEqual(names((await search('?status=SETTLED,DECLINED')).data), ['c', 'b']);
      assert.deepEqual(names((await search('?status=SETTLED&status=DECLINED')).data), ['c', 'b']);
      assert.deepEqual(names((await search('?currency_code=USD,GBP')).data), ['d', 'b']);
      assert.deepEqual(names((await search('?order_id=ord-d')).data), ['d']);
      assert.deepEqual(names((await search('?customer_id=c-1')).data), ['c', 'a']);
      assert.deepEqual(names((await search('?customer_email=a@example.com')).data), ['a']);
      assert.deepEqual(names((await search('?last_4_digits=0005')).data), ['d']);
      assert.deepEqual(names((await search('?min_amount=200&max_amount=400')).data), ['d', 'c', 'b']);
      assert.equal((await search('?processor=KASSA_SANDBOX&merchant_id=kassa-sandbox')).data.length, 6);
      assert.deepEqual((await search('?merchant_id=someone-else')).data, []);
      assert.equal((await search('?payment_method_type=PAYMENT_CARD')).data.length, 6);
      assert.deepEqual((await search('?payment_method_type=PAYPAL')).data, []);
      assert.deepEqual((await search('?paypal_email=a@example.com')).data, []);
      assert.deepEqual((await search('?klarna_email=a@example.com')).data, []);
      // Dates: both ends are inclusive; a date without a zone is UTC.
      const all = (await search('')).data;
      const dateOf = (name: string) => all.find((p) => p.id === ids[name])!.date as string;
      const from = encodeURIComponent(dateOf('b'));
      const to = encodeURIComponent(dateOf('c'));
      assert.deepEqual(names((await search(`?from_date=${from}&to_date=${to}`)).data), ['c', 'b']);
      assert.deepEqual(names((await search(`?to_date=${encodeURIComponent(`${dateOf('a')}Z`)}`)).data), ['a']);
    });

    test('cursors: nextCursor pages on, prevCursor pages back', async () => {
      const order = newestFirst();
      const first = await search('?limit=2');
      assert.deepEqual(names(first.data), order.slice(0, 2));
      assert.equal(first.prevCursor, undefined);
      assert.ok(first.nextCursor);
      const second = await search(`?limit=2&cursor=${first.nextCursor}`);
      assert.deepEqual(names(second.data), order.slice(2, 4));
      assert.ok(second.prevCursor);
      const third = await search(`?limit=2&cursor=${second.nextCursor}`);
      assert.deepEqual(names(third.data), order.slice(4, 6));
      assert.equal(third.nextCursor, undefined);
      const back = await search(`?limit=2&cursor=${third.prevCursor}`);
      assert.deepEqual(names(back.data), order.slice(2, 4));
      const start = await search(`?limit=2&cursor=${back.prevCursor}`);
      assert.deepEqual(names(start.data), order.slice(0, 2));
      assert.equal(start.prevCursor, undefined);
      // One at a time, through the tie and back.
      const forward: string[] = [];
      let page = await search('?limit=1');
      forward.push(...names(page.data));
      while (page.nextCursor) {
        page = await search(`?limit=1&cursor=${page.nextCursor}`);
        forward.push(...names(page.data));
      }
      assert.deepEqual(forward, order);
      const backward: string[] = [...names(page.data)];
      while (page.prevCursor) {
        page = await search(`?limit=1&cursor=${page.prevCursor}`);
        backward.push(...names(page.data));
      }
      assert.deepEqual(backward, [...order].reverse());
      // With a filter.
      const eur = await search('?currency_code=EUR&limit=3');
      assert.deepEqual(names(eur.data), order.filter((n) => ['a', 'c', 'e', 'f'].includes(n)).slice(0, 3));
      assert.deepEqual(names((await search(`?currency_code=EUR&limit=3&cursor=${eur.nextCursor}`)).data), ['a']);
    });

    test('a bad enum, date, integer, limit or cursor: 422 at $.<param>', async () => {
      for (const [query, path] of [
        ['status=DONE', '$.status'],
        ['from_date=yesterday', '$.from_date'],
        ['to_date=2026-13-45', '$.to_date'],
        ['min_amount=-1', '$.min_amount'],
        ['max_amount=ten', '$.max_amount'],
        ['limit=0', '$.limit'],
        ['limit=101', '$.limit'],
        ['limit=1.5', '$.limit'],
        ['cursor=not-a-cursor', '$.cursor'],
        [`cursor=${Buffer.from('{"id":1}').toString('base64url')}`, '$.cursor'],
      ] as const) {
        assert.deepEqual(errorPaths(await api(t, 'GET', `/payments?${query}`)), [path], query);
      }
      assert.equal((await search('?limit=100')).data.length, 6);
      assert.equal((await search('?limit=1')).data.length, 1);
    });
  });
});
