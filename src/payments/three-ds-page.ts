// The sandbox's processor 3DS page (threeDSecureMode PROCESSOR_3DS; docs/payments.md, "3DS"): the
// required action's client token sends the shopper to `/kassa/sandbox/3ds/{actionId}`, a page with
// "Authenticate" and "Fail" buttons, and the SDK polls `/kassa/sandbox/3ds/{actionId}/status` until
// it is COMPLETE with the resume token. No key: the action id is unguessable, single use and dies
// with the action (an hour at most). The page is self-contained (no script or style from elsewhere).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../http/envelope.ts';
import type { PaymentService } from './service.ts';

const Params = Type.Object({ actionId: Type.String({ pattern: '^[A-Za-z0-9]{16,64}$' }) });
const Status = Type.Object(
  {
    status: Type.Union([Type.Literal('PENDING'), Type.Literal('COMPLETE')]),
    id: Type.Optional(Type.String()),
    source: Type.Literal('3DS'),
  },
  { title: 'SandboxThreeDSStatus' },
);

const Html = { description: 'HTML page', content: { 'text/html': { schema: Type.String() } } };

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(amount: number, currencyCode: string, done: boolean): string {
  const body = done
    ? '<p id="result">The challenge is complete. You can close this page.</p>'
    : `<p>Authenticate a payment of <b>${amount} ${escapeHtml(currencyCode)}</b> (minor units)?</p>
<form method="post"><button name="outcome" value="AUTH_SUCCESS" id="authenticate">Authenticate</button>
<button name="outcome" value="AUTH_FAILED" id="fail">Fail</button></form>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kassa sandbox 3DS</title>
<meta name="viewport" content="width=device-width"></head>
<body style="font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto"><h1>Kassa sandbox 3DS</h1>${body}</body></html>`;
}

export function threeDSPageRoutes(service: PaymentService) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    // The page's buttons post a form.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_request, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    const tags = ['Sandbox'];
    app.get(
      '/kassa/sandbox/3ds/:actionId',
      {
        schema: {
          summary: 'Sandbox: the processor 3DS challenge page',
          tags,
          params: Params,
          response: { 200: Html, ...errorResponses('PaymentError') },
        },
      },
      async (request, reply) => {
        const state = await service.processorThreeDS(request.params.actionId);
        return reply
          .type('text/html; charset=utf-8')
          .header('Cache-Control', 'no-store')
          .send(page(state.amount, state.currencyCode, state.status === 'COMPLETE'));
      },
    );
    app.post(
      '/kassa/sandbox/3ds/:actionId',
      {
        bodyLimit: 1024,
        schema: {
          summary: 'Sandbox: the shopper authenticates or fails the challenge',
          tags,
          params: Params,
          body: Type.Object({ outcome: Type.Union([Type.Literal('AUTH_SUCCESS'), Type.Literal('AUTH_FAILED')]) }),
          response: { 200: Html, ...errorResponses('PaymentError', 'RequestValidationError') },
        },
      },
      async (request, reply) => {
        const state = await service.processorThreeDS(request.params.actionId, request.body.outcome);
        return reply
          .type('text/html; charset=utf-8')
          .header('Cache-Control', 'no-store')
          .send(page(state.amount, state.currencyCode, true));
      },
    );
    app.get(
      '/kassa/sandbox/3ds/:actionId/status',
      {
        schema: {
          summary: 'Sandbox: whether the processor 3DS challenge is done (the SDK polls it)',
          tags,
          params: Params,
          response: { 200: Status, ...errorResponses('PaymentError') },
        },
      },
      async (request) => {
        const { status, id, source } = await service.processorThreeDS(request.params.actionId);
        return { status, ...(id ? { id } : {}), source };
      },
    );
  };
}
