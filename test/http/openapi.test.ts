// engines: sqlite, postgres
// GET /openapi.json: a valid OpenAPI 3.1 document generated from the route schemas, naming every route
// the app registers with its errors; /docs: the API reference page, served with no CDN.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { RouteOptions } from 'fastify';
import { ERROR_CATALOGUE } from '../../src/errors.ts';
import { CreateSessionBody } from '../../src/sessions/schemas.ts';
import { testApp, type TestApp } from '../support/app.ts';

describe('the OpenAPI document', () => {
  interface Operation {
    summary?: string;
    tags?: string[];
    security?: unknown[];
    parameters?: { name: string; in: string }[];
    requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
    responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }> }>;
  }
  type Document = {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Record<string, unknown>> };
  };

  let t: TestApp;
  const routes: RouteOptions[] = [];
  let doc: Document;

  before(async () => {
    t = await testApp({ onRoute: (route) => void routes.push(route) });
    const response = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    doc = response.json();
  });
  after(() => t.close());

  const methodsOf = (route: RouteOptions) => (Array.isArray(route.method) ? route.method : [route.method]);
  const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  const isHidden = (route: RouteOptions) => (route.schema as { hide?: boolean } | undefined)?.hide === true;

  describe('GET /openapi.json', () => {
    test('is a valid OpenAPI 3.1 document', async () => {
      assert.equal(doc.openapi, '3.1.0');
      const result = await new Validator().validate(structuredClone(doc) as never);
      assert.deepEqual(result.errors ?? [], []);
      assert.equal(result.valid, true);
    });

    test('names every route the app registers, and nothing else', () => {
      const registered = new Set<string>();
      for (const route of routes) {
        if (isHidden(route)) continue;
        for (const method of methodsOf(route)) {
          // Fastify adds a HEAD twin to every GET; it is not an operation of its own.
          if (
            method === 'HEAD' &&
            route.exposeHeadRoute !== false &&
            routes.some((r) => r.url === route.url && methodsOf(r).includes('GET'))
          )
            continue;
          registered.add(`${method.toLowerCase()} ${openApiPath(route.url)}`);
        }
      }
      const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)));
      assert.ok(registered.size >= 11, `only ${registered.size} routes seen`);
      assert.deepEqual([...documented].sort(), [...registered].sort());
      for (const key of [
        'post /client-session',
        'get /client-session',
        'patch /client-session',
        'get /metrics',
        'get /health',
        'get /openapi.json',
        'get /dashboard',
        'get /dashboard/api/sessions',
        'get /dashboard/api/sessions/{id}',
      ]) {
        assert.ok(documented.has(key), key);
      }
    });

    test("the only routes left out are the reference page's own, under /docs, the root's redirect and the CORS preflight", () => {
      const hidden = routes.filter(isHidden);
      assert.ok(hidden.length > 0);
      for (const route of hidden) {
        // @fastify/cors answers every OPTIONS preflight from one catch-all route: not an API operation.
        if (route.url === '*' && methodsOf(route).join() === 'OPTIONS') continue;
        // GET / only sends a browser to /dashboard; an API client gets a 404 there.
        if (route.url === '/') continue;
        assert.match(route.url, /^\/docs(\/|$)/);
      }
    });

    test('every operation has a summary, a tag and a 2xx; every JSON operation lists its errors with the envelope', () => {
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const where = `${method} ${path}`;
          assert.ok(op.summary && op.summary.length > 0, `${where}: summary`);
          assert.ok(op.tags && op.tags.length > 0, `${where}: tags`);
          assert.ok(
            Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)),
            `${where}: 2xx`,
          );
          for (const [status, response] of Object.entries(op.responses)) {
            if (/^2\d\d$/.test(status)) continue;
            // One envelope, shared: each error response refers to it.
            const schema = response.content?.['application/json']?.schema;
            assert.deepEqual(schema, { $ref: '#/components/schemas/ErrorResponse' }, `${where} ${status}`);
            // The description names the catalogue entries that status can carry.
            for (const id of response.description.split(' | ').map((d) => d.split(':')[0])) {
              assert.equal(String(ERROR_CATALOGUE[id as keyof typeof ERROR_CATALOGUE]?.status), status, `${where} ${status} ${id}`);
            }
          }
        }
      }
      const post = doc.paths['/client-session'].post;
      assert.deepEqual(Object.keys(post.responses).sort(), ['200', '400', '401', '403', '409', '413', '415', '422', '429', '500']);
      assert.match(post.responses['401'].description, /^Unauthorized: /);
      assert.match(post.responses['400'].description, /InvalidApiVersion/);
      assert.match(post.responses['400'].description, /MetadataContainsEmptyKey/);
      // The envelope every error is (see envelope.ts), once.
      const shared = doc.components.schemas.ErrorResponse as {
        title: string;
        description?: string;
        properties: { error: { required: string[] } };
      };
      assert.equal(shared.title, 'ErrorResponse');
      assert.deepEqual(shared.properties.error.required, ['errorId', 'description', 'diagnosticsId']);
      assert.equal(shared.description, undefined, "a status's errorIds are in its response's description");
      assert.equal(JSON.stringify(doc).split('"title":"ErrorResponse"').length - 1, 1, 'no copy of it elsewhere');
      const detail = doc.paths['/dashboard/api/sessions/{id}'].get;
      assert.match(detail.responses['404'].description, /^SessionNotFound: /);
    });

    test("every operation's 200 has a real schema: not empty, not an open object, not any value", () => {
      const resolve = (schema: Record<string, unknown>): Record<string, unknown> => {
        const ref = schema.$ref;
        return typeof ref === 'string' ? resolve(doc.components.schemas[ref.replace('#/components/schemas/', '')]!) : schema;
      };
      const empty: string[] = [];
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const content = Object.entries(op.responses)
            .filter(([status]) => /^2\d\d$/.test(status))
            .reduce((all, [, r]) => Object.assign(all, r.content), {} as NonNullable<(typeof op.responses)[string]['content']>);
          // A page (HTML, text) is described by its media type; a JSON answer by its schema.
          const json = Object.entries(content).filter(([type]) => type.includes('json'));
          for (const [type, { schema }] of json) {
            const s = resolve(schema);
            const keys = Object.keys(s).filter((k) => !['title', 'description', 'additionalProperties'].includes(k));
            const open =
              s.type === 'object' && Object.keys((s.properties as object | undefined) ?? {}).length === 0 && !s.patternProperties;
            if (keys.length === 0 || open) empty.push(`${method} ${path} ${type}`);
          }
        }
      }
      assert.deepEqual(empty, []);
    });

    test('a model the routes repeat is in components once, under its title, and referred to', () => {
      // Every titled schema in the document, as text, by title: a title whose copies are all the same
      // schema is written once (a title some routes use for variants, a request's and a response's,
      // stays inline with each).
      const byTitle = new Map<string, string[]>();
      const collect = (node: unknown): void => {
        if (typeof node !== 'object' || node === null) return;
        const title = (node as { title?: unknown }).title;
        if (!Array.isArray(node) && typeof title === 'string') byTitle.set(title, [...(byTitle.get(title) ?? []), JSON.stringify(node)]);
        for (const value of Object.values(node)) collect(value);
      };
      collect(doc);
      assert.deepEqual(
        [...byTitle].filter(([, texts]) => texts.length > 1 && new Set(texts).size === 1).map(([title]) => title),
        [],
        'written twice',
      );
      for (const title of [
        'ErrorResponse',
        'ClientSessionAPIResponse',
        'OptionalAddressAPISchema',
        'CountryCodeEnum',
        'PaymentAPIResponse',
      ]) {
        assert.equal(doc.components.schemas[title]?.title, title);
      }
      const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(refs.length > 300);
      assert.deepEqual(
        refs.filter((ref) => !doc.components.schemas[ref]),
        [],
        'a reference to nothing',
      );
    });

    test('request and response shapes are the schemas that validate requests', () => {
      const post = doc.paths['/client-session'].post;
      const body = post.requestBody!.content['application/json'].schema as { title?: string; properties: Record<string, unknown> };
      assert.equal(body.title, 'ClientSessionAPIRequest');
      assert.deepEqual(Object.keys(body.properties), Object.keys(CreateSessionBody.properties));
      assert.equal(post.responses['200'].content!['application/json'].schema.title, 'ClientSessionWithTokenAPIResponse');
      const get = doc.paths['/client-session'].get;
      assert.ok(get.parameters!.some((p) => p.in === 'query' && p.name === 'clientToken'));
    });

    test('API-key routes declare the X-Api-Key scheme; versioned routes the X-Api-Version header', () => {
      const schemes = (doc as unknown as { components: { securitySchemes: Record<string, unknown> } }).components.securitySchemes;
      assert.deepEqual(schemes.ApiKey, { type: 'apiKey', in: 'header', name: 'X-Api-Key' });
      for (const method of ['get', 'post', 'patch']) {
        const op = doc.paths['/client-session'][method];
        assert.deepEqual(op.security, [{ ApiKey: [] }], method);
        assert.ok(
          op.parameters!.some((p) => p.in === 'header' && p.name === 'x-api-version'),
          method,
        );
      }
      assert.deepEqual(doc.paths['/dashboard/api/sessions'].get.security, [{ ApiKey: [] }]);
      assert.equal(doc.paths['/health'].get.security, undefined);
    });
  });

  describe('GET /docs', () => {
    test('serves the reference page with assets from this server only, and the spec it renders', async () => {
      const page = await t.app.inject({ method: 'GET', url: '/docs/' });
      assert.equal(page.statusCode, 200);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      const refs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      assert.ok(refs.length >= 3);
      for (const ref of refs) {
        assert.doesNotMatch(ref, /^(https?:)?\/\//, `${ref} must come from this server`);
        const asset = await t.app.inject({ method: 'GET', url: new URL(ref, 'http://kassa.test/docs/').pathname });
        assert.equal(asset.statusCode, 200, ref);
      }
      const initializer = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
      assert.match(initializer.body, /validatorUrl: null/);
      assert.match(initializer.body, /resolveUrl\('\.\/json'\)/);
      const json = await t.app.inject({ method: 'GET', url: '/docs/json' });
      assert.deepEqual(json.json(), doc);
    });

    test('without the trailing slash, the page still points at its assets', async () => {
      const page = await t.app.inject({ method: 'GET', url: '/docs' });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /src="\/docs\/static\/swagger-ui-bundle\.js"/);
    });
  });
});
