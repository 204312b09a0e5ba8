// PayPal's routes (docs/payments.md, "PayPal"; spec §1): the helper calls the SDKs make with their
// client token (orders, billing agreements; body and rate limits of the SDK routes), and Kassa's
// approval page in PayPal's place, which a payer's browser opens without a token (limited per address),
// like the redirect page: Approve (with the payer's email, which chooses the outcome) or Cancel.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../../http/envelope.ts';
import type { Pipeline } from '../../http/pipeline.ts';
import { MAX_AMOUNT } from '../../primer/money.ts';
import type { StoredSession } from '../../sessions/session.store.ts';
import { BODY, SDK_BODY_LIMIT } from '../http.ts';
import { DEFAULT_PAYER_EMAIL, type PayPalFlows } from './paypal.ts';
import type { PayPalOrder } from './paypal.store.ts';

const ConfigId = Type.String({ minLength: 1, maxLength: 64 });
const Url = Type.Optional(Type.String({ minLength: 1, maxLength: 2048 }));
const PayPalId = Type.String({ pattern: '^(PAYPAL|BA)-[A-Za-z0-9]{1,64}$' });
/** What the web SDK adds (breakdown, shipping, items): accepted, not kept. */
const Extra = Type.Optional(Type.Unknown());

const CreateOrderBody = Type.Object(
  {
    paymentMethodConfigId: ConfigId,
    amount: Type.Integer({ minimum: 0, maximum: MAX_AMOUNT }),
    currencyCode: Type.String({ pattern: '^[A-Z]{3}$' }),
    returnUrl: Url,
    cancelUrl: Url,
    return_url: Url,
    cancel_url: Url,
    locale: Type.Optional(Type.String({ maxLength: 35 })),
    amountBreakdown: Extra,
    shipping_address: Extra,
    items: Extra,
  },
  { title: 'PaypalCreateOrderRequest' },
);
const CreateAgreementBody = Type.Object(
  { paymentMethodConfigId: ConfigId, returnUrl: Url, cancelUrl: Url, return_url: Url, cancel_url: Url },
  { title: 'PaypalCreateBillingAgreementRequest' },
);
const OrderInfoBody = Type.Object({ paymentMethodConfigId: ConfigId, orderId: PayPalId }, { title: 'PaypalOrderInfoRequest' });
const ConfirmBody = Type.Object({ paymentMethodConfigId: ConfigId, tokenId: PayPalId }, { title: 'PaypalConfirmBillingAgreementRequest' });
const Payer = Type.Object(
  { externalPayerId: Type.String(), email: Type.String(), firstName: Type.String(), lastName: Type.String() },
  { title: 'PayPalExternalPayerInfo' },
);
const Approval = (id: 'orderId' | 'tokenId') => Type.Object({ [id]: Type.String(), approvalUrl: Type.String() });

const Html = { description: 'HTML page', content: { 'text/html': { schema: Type.String() } } };
const PAGE_BODY_LIMIT = 1024;
const PageBody = Type.Object({
  choice: Type.Union([Type.Literal('APPROVE'), Type.Literal('CANCEL')]),
  email: Type.Optional(Type.String({ maxLength: 254, pattern: '^[^\\s@<>"]+@[^\\s@<>"]+$' })),
});

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(order: PayPalOrder): string {
  const what =
    order.kind === 'ORDER'
      ? `Pay <b>${order.amount} ${escapeHtml(order.currencyCode ?? '')}</b> (minor units)`
      : 'Save PayPal for future payments';
  const body =
    order.status === 'CREATED'
      ? `<p>${what} with PayPal?</p>
<form method="post"><label>Payer email <input name="email" id="email" type="email" value="${DEFAULT_PAYER_EMAIL}"></label>
<p><small>decline@… declines the payment, fail@… fails it, any other email authorizes it.</small></p>
<button name="choice" value="APPROVE" id="approve">Approve</button> <button name="choice" value="CANCEL" id="cancel">Cancel</button></form>`
      : `<p id="result">${order.status === 'APPROVED' ? 'Approved' : 'Cancelled'}. You can close this page.</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kassa sandbox: PayPal</title>
<meta name="viewport" content="width=device-width"></head>
<body style="font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto"><h1>Kassa sandbox: PayPal</h1>${body}</body></html>`;
}

export function payPalRoutes(paypal: PayPalFlows, pipeline: Pipeline) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const session = (request: FastifyRequest) => request.clientSession as StoredSession;
    const sdk = { ...pipeline.sdk({ body: true, bodyLimit: SDK_BODY_LIMIT }) };
    const tags = ['Client SDK'];
    const errors = errorResponses('InvalidApiVersion', 'ClientSessionValidationError', 'TooManyRequests', ...BODY);

    app.post(
      '/paypal/orders/create',
      {
        ...sdk,
        schema: { summary: 'Create a PayPal order (SDK)', tags, body: CreateOrderBody, response: { 200: Approval('orderId'), ...errors } },
      },
      async (request) => paypal.createOrder(session(request), request.body),
    );
    app.post(
      '/paypal/orders',
      {
        ...sdk,
        schema: {
          summary: "An approved PayPal order's payer (SDK)",
          tags,
          body: OrderInfoBody,
          response: {
            200: Type.Object({ orderId: Type.String(), externalPayerInfo: Payer }),
            ...errors,
            ...errorResponses('PayPalOrderNotApproved'),
          },
        },
      },
      async (request) => paypal.orderInfo(session(request), request.body),
    );
    app.post(
      '/paypal/billing-agreements/create-agreement',
      {
        ...sdk,
        schema: {
          summary: 'Create a PayPal billing agreement to vault (SDK)',
          tags,
          body: CreateAgreementBody,
          response: { 200: Approval('tokenId'), ...errors },
        },
      },
      async (request) => paypal.createAgreement(session(request), request.body),
    );
    app.post(
      '/paypal/billing-agreements/confirm-agreement',
      {
        ...sdk,
        schema: {
          summary: 'Confirm an approved PayPal billing agreement (SDK)',
          tags,
          body: ConfirmBody,
          response: {
            200: Type.Object({ billingAgreementId: Type.String(), externalPayerInfo: Payer }),
            ...errors,
            ...errorResponses('PayPalOrderNotApproved'),
          },
        },
      },
      async (request) => paypal.confirmAgreement(session(request), request.body),
    );
  };
}

/** The approval page: open, like the redirect page; the id in its address is unguessable and dies with its session. */
export function payPalPageRoutes(paypal: PayPalFlows, pipeline: Pipeline) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: PAGE_BODY_LIMIT },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    const tags = ['Sandbox'];
    const Params = Type.Object({ id: PayPalId });
    app.get(
      '/kassa/sandbox/paypal/:id',
      {
        ...pipeline.open(),
        schema: {
          summary: "Sandbox: PayPal's approval page (Approve with a payer email, or Cancel)",
          tags,
          params: Params,
          response: { 200: Html, ...errorResponses('PayPalOrderNotApproved', 'TooManyRequests') },
        },
      },
      async (request, reply) =>
        reply
          .type('text/html; charset=utf-8')
          .header('Cache-Control', 'no-store')
          .send(page(await paypal.page(request.params.id))),
    );
    app.post(
      '/kassa/sandbox/paypal/:id',
      {
        ...pipeline.open({ bodyLimit: PAGE_BODY_LIMIT }),
        schema: {
          summary: "Sandbox: the payer approves or cancels; then back to the SDK's returnUrl or cancelUrl",
          tags,
          params: Params,
          body: PageBody,
          response: {
            200: Html,
            ...errorResponses('PayPalOrderNotApproved', 'RequestValidationError', 'PayloadTooLarge', 'TooManyRequests'),
          },
        },
      },
      async (request, reply) => {
        const { order, location } = await paypal.decide(request.params.id, request.body.choice, request.body.email);
        reply.header('Cache-Control', 'no-store');
        // Spec §1.3: a 302, as PayPal's own page does (the SDKs' web views follow it).
        if (location !== undefined) return reply.redirect(location, 302);
        return reply.type('text/html; charset=utf-8').send(page(order));
      },
    );
  };
}
