// A redirect method's routes (docs/payments.md, "Redirect methods"): the page the action token's
// redirectUrl opens, `/kassa/sandbox/redirect/{actionId}`, with Complete, Reject and Cancel buttons,
// which then sends the shopper back to the SDK's redirectionUrl (or shows a done page); and the
// statusUrl the SDK polls with the action token's accessToken (spec §5.7: status, id and source in
// every answer, never cached). The page is self-contained, like the 3DS page, and limited per address.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../../http/envelope.ts';
import type { Pipeline } from '../../http/pipeline.ts';
import type { StoredSession } from '../../sessions/session.store.ts';
import type { RedirectOutcome } from '../model.ts';
import { SandboxRedirectBody } from '../schemas.ts';
import type { PaymentService } from '../service.ts';
import type { RedirectState } from './redirect.ts';

const Params = Type.Object({ actionId: Type.String({ pattern: '^[A-Za-z0-9]{16,64}$' }) });
const Status = Type.Object(
  {
    status: Type.Union([Type.Literal('PENDING'), Type.Literal('COMPLETE')]),
    id: Type.String({ description: 'The resume token once COMPLETE; empty while PENDING (the SDKs require the field)' }),
    source: Type.String({ description: 'The payment method type' }),
  },
  { title: 'AsyncPaymentMethodStatus' },
);
const Html = { description: 'HTML page', content: { 'text/html': { schema: Type.String() } } };
const PAGE_BODY_LIMIT = 1024;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const CHOICES: readonly [RedirectOutcome, string][] = [
  ['COMPLETE', 'Complete'],
  ['REJECT', 'Reject'],
  ['CANCEL', 'Cancel'],
];

function page(state: RedirectState): string {
  const method = escapeHtml(state.paymentMethodType);
  const body = state.outcome
    ? `<p id="result">Payment ${state.outcome === 'COMPLETE' ? 'completed' : state.outcome === 'REJECT' ? 'rejected' : 'cancelled'}. You can close this page.</p>`
    : `<p>Pay <b>${state.amount} ${escapeHtml(state.currencyCode)}</b> (minor units) with ${method}?</p>
<form method="post">${CHOICES.map(([value, label]) => `<button name="outcome" value="${value}" id="${value.toLowerCase()}">${label}</button>`).join('\n')}</form>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kassa sandbox: ${method}</title>
<meta name="viewport" content="width=device-width"></head>
<body style="font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto"><h1>Kassa sandbox: ${method}</h1>${body}</body></html>`;
}

export function redirectPageRoutes(service: PaymentService, pipeline: Pipeline) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    // The page's buttons post a form.
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: PAGE_BODY_LIMIT },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    const tags = ['Sandbox'];
    app.get(
      '/kassa/sandbox/redirect/:actionId',
      {
        ...pipeline.open(),
        schema: {
          summary: "Sandbox: a redirect method's page (Complete, Reject, Cancel)",
          tags,
          params: Params,
          response: { 200: Html, ...errorResponses('PaymentError', 'TooManyRequests') },
        },
      },
      async (request, reply) =>
        reply
          .type('text/html; charset=utf-8')
          .header('Cache-Control', 'no-store')
          .send(page(await service.redirect(request.params.actionId))),
    );
    app.post(
      '/kassa/sandbox/redirect/:actionId',
      {
        ...pipeline.open({ bodyLimit: PAGE_BODY_LIMIT }),
        schema: {
          summary: 'Sandbox: the shopper completes, rejects or cancels; then back to the app or site',
          tags,
          params: Params,
          body: Type.Object({ outcome: SandboxRedirectBody.properties.outcome }),
          response: { 200: Html, ...errorResponses('PaymentError', 'RequestValidationError', 'PayloadTooLarge', 'TooManyRequests') },
        },
      },
      async (request, reply) => {
        const state = await service.redirect(request.params.actionId, request.body.outcome);
        reply.header('Cache-Control', 'no-store');
        // Back where the SDK waits: the app's URL scheme or the merchant's page (checked at tokenize, methods/off-session.ts).
        if (state.returnUrl !== undefined) return reply.redirect(state.returnUrl, 303);
        return reply.type('text/html; charset=utf-8').send(page(state));
      },
    );
    app.get(
      '/kassa/sandbox/redirect/:actionId/status',
      {
        ...pipeline.sdk(),
        schema: {
          summary: "Sandbox: whether the shopper chose on the redirect page (the SDK polls it with the action token's accessToken)",
          tags,
          params: Params,
          response: {
            200: Status,
            ...errorResponses('PaymentError', 'InvalidApiVersion', 'ClientSessionValidationError', 'TooManyRequests'),
          },
        },
      },
      async (request, reply) => {
        const state = await service.redirect(request.params.actionId, undefined, request.clientSession as StoredSession);
        // Android's HTTP client caches (spec §5.7).
        reply.header('Cache-Control', 'no-store');
        return { status: state.status, id: state.id ?? '', source: state.paymentMethodType };
      },
    );
  };
}
