// The dashboard: a page and its script (served from this package, no CDN), and the endpoints it needs
// beyond the public API, behind the same API-key auth: sessions, payments with their transactions, a
// customer's saved cards, the timelines of sessions and payments with their webhook deliveries, and
// redelivering one. Handlers stay thin.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { KassaError, validationError } from '../errors.ts';
import { errorResponses } from '../http/envelope.ts';
import type { Pipeline } from '../http/pipeline.ts';
import { PAYMENT_STATUSES, type PaymentStatus } from '../payments/model.ts';
import { PaymentDetail, PaymentSummary, VaultedCard, parseBefore, type PaymentOverview } from '../payments/overview.ts';
import { parseVaultCursor } from '../payments/vault.ts';
import { SessionDetail, SessionSummary, type SessionOverview } from '../sessions/overview.ts';
import { DeliveryView, History, PaymentHistory, SessionHistory } from './history.ts';
import { DASHBOARD_CSS, DASHBOARD_HTML } from './page.ts';
import { dashboardScript } from './script.ts';
import { DeliveryDetail, EndpointList, EndpointView, WebhookPages } from './webhooks.ts';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: `1 to ${MAX_PAGE_SIZE}; ${DEFAULT_PAGE_SIZE} when absent` })),
    before: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$', description: 'A nextBefore from the previous page' })),
  },
  { title: 'DashboardSessionsQuery', additionalProperties: false },
);
const SessionList = Type.Object(
  {
    sessions: Type.Array(SessionSummary, { description: 'Most recent first' }),
    nextBefore: Type.Optional(Type.String({ description: 'Pass as `before` for the next page; absent on the last page' })),
  },
  { title: 'DashboardSessionList' },
);
const PaymentsQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: `1 to ${MAX_PAGE_SIZE}; ${DEFAULT_PAGE_SIZE} when absent` })),
    before: Type.Optional(Type.String({ maxLength: 100, description: 'A nextBefore from the previous page' })),
    status: Type.Optional(
      Type.String({ maxLength: 200, description: `Only these statuses, comma-separated: ${PAYMENT_STATUSES.join(', ')}` }),
    ),
  },
  { title: 'DashboardPaymentsQuery', additionalProperties: false },
);
const PaymentList = Type.Object(
  {
    payments: Type.Array(PaymentSummary, { description: 'Newest first' }),
    nextBefore: Type.Optional(Type.String({ description: 'Pass as `before` for the next page; absent on the last page' })),
  },
  { title: 'DashboardPaymentList' },
);
const SessionPayments = Type.Object(
  { payments: Type.Array(PaymentDetail, { description: 'In the order they were made' }) },
  { title: 'DashboardSessionPayments' },
);
const Vault = Type.Object(
  {
    customerId: Type.String(),
    cards: Type.Array(VaultedCard, { description: "The customer's saved cards, newest first" }),
    nextBefore: Type.Optional(Type.String({ description: 'Pass as `before` for the next page; absent on the last page' })),
  },
  { title: 'DashboardVault' },
);
const VaultQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: `1 to ${MAX_PAGE_SIZE}; ${DEFAULT_PAGE_SIZE} when absent` })),
    before: Type.Optional(Type.String({ maxLength: 200, description: 'A nextBefore from the previous page' })),
  },
  { title: 'DashboardVaultQuery', additionalProperties: false },
);
const IdParams = (title: string) => Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }, { title });
const AUTH_ERRORS = ['Unauthorized', 'Forbidden'] as const;

// The page only talks to this origin: a strict policy makes any CDN asset fail loudly.
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** `limit` as a number; 422 outside 1..MAX_PAGE_SIZE. */
function pageSize(raw: string | undefined, model: string): number {
  const limit = raw === undefined ? DEFAULT_PAGE_SIZE : Number(raw);
  if (limit < 1 || limit > MAX_PAGE_SIZE)
    throw validationError(model, [{ path: '$.limit', description: `Must be from 1 to ${MAX_PAGE_SIZE}` }]);
  return limit;
}

/**
 * The dashboard's routes; the payment ones only with `payments` (KASSA_PAYMENTS=off leaves them out,
 * as every other payments route).
 */
export function dashboardRoutes(overview: SessionOverview, pipeline: Pipeline, payments?: PaymentOverview) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    // The process's WebhookService, which app.ts puts on the instance when payments are on (server.ts
    // uses the same one): the timelines' deliveries and redelivery go through it.
    const webhooks = root.webhooks;
    const history = new History({ sessions: overview, ...(payments ? { payments } : {}), ...(webhooks ? { webhooks } : {}) });
    const asset = (type: string, body: () => string) => async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.type(type).header('Content-Security-Policy', PAGE_CSP).header('Cache-Control', 'no-cache').send(body());
    const text = (description: string, type: string) => ({ 200: { description, content: { [type]: { schema: Type.String() } } } });

    app.get(
      '/dashboard',
      { schema: { summary: 'The dashboard page', tags: ['Dashboard'], response: text('HTML page', 'text/html') } },
      asset('text/html; charset=utf-8', () => DASHBOARD_HTML),
    );
    app.get(
      '/dashboard/app.js',
      { schema: { summary: "The dashboard's script", tags: ['Dashboard'], response: text('JavaScript', 'text/javascript') } },
      asset('text/javascript; charset=utf-8', dashboardScript),
    );
    app.get(
      '/dashboard/app.css',
      { schema: { summary: "The dashboard's style sheet", tags: ['Dashboard'], response: text('CSS', 'text/css') } },
      asset('text/css; charset=utf-8', () => DASHBOARD_CSS),
    );

    // Reading sessions needs the scope that creating and reading them through the public API needs.
    const api = () => pipeline.merchant({ scope: 'client_tokens:write' });
    app.get(
      '/dashboard/api/sessions',
      {
        ...api(),
        schema: {
          summary: "List the API key's merchant's sessions, most recent first",
          tags: ['Dashboard'],
          querystring: ListQuery,
          response: { 200: SessionList, ...errorResponses(...AUTH_ERRORS, 'RequestValidationError') },
        },
      },
      async (request) => {
        const limit = pageSize(request.query.limit, 'DashboardSessionsQuery');
        const before = request.query.before === undefined ? undefined : Number(request.query.before);
        return overview.list(request.principal!.merchantId, { limit, ...(before !== undefined ? { before } : {}) });
      },
    );

    app.get(
      '/dashboard/api/sessions/:id',
      {
        ...api(),
        schema: {
          summary: 'One session in full, with its warnings and expiry',
          tags: ['Dashboard'],
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { title: 'DashboardSessionParams' }),
          response: { 200: SessionDetail, ...errorResponses(...AUTH_ERRORS, 'RequestValidationError', 'SessionNotFound') },
        },
      },
      async (request) => {
        const detail = await overview.show(request.principal!.merchantId, request.params.id);
        if (!detail) throw new KassaError('SessionNotFound');
        return detail;
      },
    );

    app.get(
      '/dashboard/api/sessions/:id/events',
      {
        ...api(),
        schema: {
          summary: "A session's timeline: its creation and every change, with each event's webhook deliveries",
          tags: ['Dashboard'],
          params: IdParams('DashboardSessionEventsParams'),
          response: { 200: SessionHistory, ...errorResponses(...AUTH_ERRORS, 'RequestValidationError', 'SessionNotFound') },
        },
      },
      async (request) => {
        const events = await history.session(request.principal!.merchantId, request.params.id);
        if (!events) throw new KassaError('SessionNotFound');
        return events;
      },
    );

    if (payments) paymentPages(root, payments, pipeline, history);
    if (webhooks) webhookPages(root, pipeline, history, new WebhookPages(webhooks));
  };
}

/** Payments and saved cards: the scopes the Payments API asks to read them (docs/payments.md, "Payments API"). */
function paymentPages(root: FastifyInstance, payments: PaymentOverview, pipeline: Pipeline, history: History): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const retrieve = () => pipeline.merchant({ scope: 'transactions:retrieve' });
  app.get(
    '/dashboard/api/payments',
    {
      ...retrieve(),
      schema: {
        summary: "List the API key's merchant's payments, newest first",
        tags: ['Dashboard'],
        querystring: PaymentsQuery,
        response: { 200: PaymentList, ...errorResponses(...AUTH_ERRORS, 'RequestValidationError') },
      },
    },
    async (request) => {
      const limit = pageSize(request.query.limit, 'DashboardPaymentsQuery');
      const before = request.query.before === undefined ? undefined : parseBefore(request.query.before);
      if (request.query.before !== undefined && !before) {
        throw validationError('DashboardPaymentsQuery', [{ path: '$.before', description: 'Not a nextBefore this API returned' }]);
      }
      const status = request.query.status?.split(',').map((s) => s.trim());
      if (status?.some((s) => !(PAYMENT_STATUSES as readonly string[]).includes(s))) {
        throw validationError('DashboardPaymentsQuery', [
          { path: '$.status', description: `Must be among ${PAYMENT_STATUSES.join(', ')}` },
        ]);
      }
      return payments.list(request.principal!.merchantId, {
        limit,
        ...(before ? { before } : {}),
        ...(status ? { status: status as PaymentStatus[] } : {}),
      });
    },
  );

  app.get(
    '/dashboard/api/payments/:id',
    {
      ...retrieve(),
      schema: {
        summary: 'One payment with its transactions',
        tags: ['Dashboard'],
        params: IdParams('DashboardPaymentParams'),
        response: { 200: PaymentDetail, ...errorResponses(...AUTH_ERRORS, 'RequestValidationError', 'PaymentNotFoundError') },
      },
    },
    async (request) => {
      const detail = await payments.show(request.principal!.merchantId, request.params.id);
      if (!detail) throw new KassaError('PaymentNotFoundError');
      return detail;
    },
  );

  // A session that is unknown (or purged, or another merchant's) simply has no payments.
  app.get(
    '/dashboard/api/sessions/:id/payments',
    {
      ...retrieve(),
      schema: {
        summary: "A session's payments with their transactions",
        tags: ['Dashboard'],
        params: IdParams('DashboardSessionPaymentsParams'),
        response: { 200: SessionPayments, ...errorResponses(...AUTH_ERRORS, 'RequestValidationError') },
      },
    },
    async (request) => ({ payments: await payments.forSession(request.principal!.merchantId, request.params.id) }),
  );

  app.get(
    '/dashboard/api/customers/:id/vault',
    {
      ...pipeline.merchant({ scope: 'payment_instrument:read' }),
      schema: {
        summary: "A customer's saved cards (never their tokens)",
        tags: ['Dashboard'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) }, { title: 'DashboardVaultParams' }),
        querystring: VaultQuery,
        response: { 200: Vault, ...errorResponses(...AUTH_ERRORS, 'RequestValidationError') },
      },
    },
    async (request) => {
      const limit = pageSize(request.query.limit, 'DashboardVaultQuery');
      const before = request.query.before === undefined ? undefined : parseVaultCursor(request.query.before);
      if (request.query.before !== undefined && !before) {
        throw validationError('DashboardVaultQuery', [{ path: '$.before', description: 'Not a nextBefore this API returned' }]);
      }
      const page = await payments.vault(request.principal!.merchantId, request.params.id, limit, before);
      return { customerId: request.params.id, ...page };
    },
  );

  app.get(
    '/dashboard/api/payments/:id/events',
    {
      ...retrieve(),
      schema: {
        summary: "A payment's timeline: each status change and refund, with each event's webhook deliveries",
        tags: ['Dashboard'],
        params: IdParams('DashboardPaymentEventsParams'),
        response: { 200: PaymentHistory, ...errorResponses(...AUTH_ERRORS, 'RequestValidationError', 'PaymentNotFoundError') },
      },
    },
    async (request) => {
      const events = await history.payment(request.principal!.merchantId, request.params.id);
      if (!events) throw new KassaError('PaymentNotFoundError');
      return events;
    },
  );
}

/** Acting on deliveries: the scope the webhook API asks (docs/webhooks.md, "Endpoints"). */
function webhookPages(root: FastifyInstance, pipeline: Pipeline, history: History, pages: WebhookPages): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const steps = pipeline.merchant({ scope: 'webhooks:write' });
  app.get(
    '/dashboard/api/webhook-endpoints',
    {
      ...steps,
      schema: {
        summary: "The merchant's webhook endpoints, enabled or disabled (since when, why)",
        tags: ['Dashboard'],
        response: { 200: EndpointList, ...errorResponses(...AUTH_ERRORS) },
      },
    },
    async (request) => pages.endpoints(request.principal!.merchantId),
  );
  app.post(
    '/dashboard/api/webhook-endpoints/:id/enable',
    {
      ...steps,
      schema: {
        summary: 'Enable a webhook endpoint again',
        tags: ['Dashboard'],
        params: IdParams('DashboardEnableParams'),
        response: { 200: EndpointView, ...errorResponses(...AUTH_ERRORS, 'RequestValidationError', 'NotFound') },
      },
    },
    async (request) => pages.enable(request.principal!.merchantId, request.params.id),
  );
  app.get(
    '/dashboard/api/webhook-deliveries/:id',
    {
      ...steps,
      schema: {
        summary: 'A webhook delivery with its attempt log',
        tags: ['Dashboard'],
        params: IdParams('DashboardDeliveryParams'),
        response: { 200: DeliveryDetail, ...errorResponses(...AUTH_ERRORS, 'RequestValidationError', 'NotFound') },
      },
    },
    async (request) => pages.delivery(request.principal!.merchantId, request.params.id),
  );
  app.post(
    '/dashboard/api/webhook-deliveries/:id/redeliver',
    {
      ...pipeline.merchant({ scope: 'webhooks:write' }),
      schema: {
        summary: 'Send a webhook delivery again: due now, whatever its status',
        tags: ['Dashboard'],
        params: IdParams('DashboardRedeliverParams'),
        response: { 200: DeliveryView, ...errorResponses(...AUTH_ERRORS, 'RequestValidationError', 'NotFound') },
      },
    },
    async (request) => history.redeliver(request.principal!.merchantId, request.params.id),
  );
}
