// The dashboard: a page and its script (served from this package, no CDN), and the two read endpoints
// it needs beyond the public API, behind the same API-key auth. Handlers stay thin.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { KassaError, validationError } from '../errors.ts';
import { errorResponses } from '../http/envelope.ts';
import type { Pipeline } from '../http/pipeline.ts';
import { SessionDetail, SessionSummary, type SessionOverview } from '../sessions/overview.ts';
import { DASHBOARD_CSS, DASHBOARD_HTML } from './page.ts';
import { DASHBOARD_JS } from './script.ts';

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
const AUTH_ERRORS = ['Unauthorized', 'Forbidden'] as const;

// The page only talks to this origin: a strict policy makes any CDN asset fail loudly.
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function dashboardRoutes(overview: SessionOverview, pipeline: Pipeline) {
  return async function register(root: FastifyInstance): Promise<void> {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const asset = (type: string, body: string) => async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.type(type).header('Content-Security-Policy', PAGE_CSP).header('Cache-Control', 'no-cache').send(body);
    const text = (description: string, type: string) => ({ 200: { description, content: { [type]: { schema: Type.String() } } } });

    app.get(
      '/dashboard',
      { schema: { summary: 'The dashboard page', tags: ['Dashboard'], response: text('HTML page', 'text/html') } },
      asset('text/html; charset=utf-8', DASHBOARD_HTML),
    );
    app.get(
      '/dashboard/app.js',
      { schema: { summary: "The dashboard's script", tags: ['Dashboard'], response: text('JavaScript', 'text/javascript') } },
      asset('text/javascript; charset=utf-8', DASHBOARD_JS),
    );
    app.get(
      '/dashboard/app.css',
      { schema: { summary: "The dashboard's style sheet", tags: ['Dashboard'], response: text('CSS', 'text/css') } },
      asset('text/css; charset=utf-8', DASHBOARD_CSS),
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
        const limit = request.query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(request.query.limit);
        if (limit < 1 || limit > MAX_PAGE_SIZE) {
          throw validationError('DashboardSessionsQuery', [{ path: '$.limit', description: `Must be from 1 to ${MAX_PAGE_SIZE}` }]);
        }
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
  };
}
