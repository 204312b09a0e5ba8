// The OpenAPI 3.1 document, generated from the route schemas that validate requests so it cannot drift
// from what is enforced, served at /openapi.json, and an API reference page at /docs whose assets come
// from the npm package (no CDN).
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { SUPPORTED_API_VERSIONS } from '../primer/versions.ts';

export async function installOpenApi(app: FastifyInstance, info: { version: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kassa',
        version: info.version,
        description:
          "Self-hosted checkout session server, wire-compatible with Primer's Client Session API (2.1-2.4). " +
          'Every error is the envelope shown in the error responses, with the request id as diagnosticsId.',
      },
      components: {
        securitySchemes: { ApiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } },
      },
      tags: [
        { name: 'Client Session API', description: "Primer's Client Session API" },
        { name: 'Dashboard', description: 'The dashboard page and the read endpoints it uses' },
        { name: 'Operations', description: 'Health, metrics, this document' },
      ],
    },
    // Documentation only: what the route options say about auth and versions, as OpenAPI terms.
    transform: ({ schema, url, route }) => {
      const config = (route.config ?? {}) as { scope?: string; versioned?: boolean };
      const out: Record<string, unknown> = { ...schema };
      if (config.scope) out.security = [{ ApiKey: [] }];
      if (config.versioned) {
        out.headers = {
          type: 'object',
          properties: {
            'x-api-version': {
              type: 'string',
              enum: [...SUPPORTED_API_VERSIONS],
              description: 'Primer API version; 2.1 when absent. Echoed on the response.',
            },
          },
        };
      }
      return { schema: out, url };
    },
    transformObject: (document) => shareSchemas('openapiObject' in document ? document.openapiObject : document.swaggerObject),
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The online validator badge would fetch from another host; keep the page self-contained.
    uiConfig: { validatorUrl: null, deepLinking: true },
  });
  // Primer's 422 description points at /docs/api; its wording stays Primer's, and the path leads here.
  app.get('/docs/api', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs'));
  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This OpenAPI 3.1 document',
        tags: ['Operations'],
        response: {
          200: {
            description: 'OpenAPI 3.1 document',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  title: 'OpenApiDocument',
                  required: ['openapi', 'info', 'paths'],
                  properties: {
                    openapi: { type: 'string', const: '3.1.0' },
                    info: { type: 'object', properties: { title: { type: 'string' }, version: { type: 'string' } } },
                    paths: { type: 'object', description: 'Every operation, by path and method' },
                    components: { type: 'object', description: 'The schemas the operations refer to, by title' },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (_request, reply) => reply.type('application/json').send(JSON.stringify(app.swagger())),
  );
}

type SchemaObject = Record<string, unknown>;
interface OpenApiDocument {
  components?: { schemas?: Record<string, SchemaObject> };
  paths?: unknown;
}

const isObject = (value: unknown): value is SchemaObject => typeof value === 'object' && value !== null && !Array.isArray(value);
/** The envelope's own description is a status's (its response keeps it), not part of the model. */
const withoutDescription = ({ description: _, ...rest }: SchemaObject): SchemaObject => rest;
/** What makes two copies of a titled schema the same model. */
const textOf = (schema: SchemaObject) => JSON.stringify(schema.title === 'ErrorResponse' ? withoutDescription(schema) : schema);

/**
 * The schemas the document would repeat go once into components, under their titles (Primer's model
 * names), and every copy becomes a reference: the error envelope in each of ~290 error responses
 * (with its status's errorIds in the response's description), and every other titled schema that
 * appears more than once with the same text (a session, an address, the country codes...). The
 * document generated from the route schemas is otherwise 450 KB, which the /docs page takes seconds to
 * process. Titles used for different schemas are left inline.
 */
export function shareSchemas<T extends object>(generated: T): T {
  const document = generated as OpenApiDocument;
  const found = new Map<string, { text: string; schema: SchemaObject; count: number; same: boolean }>();
  // Calls onSchema for each titled object under `node` (under paths only schemas have titles), outermost
  // first; one it returns true for becomes a reference, and what is inside it is not visited.
  const visit = (node: unknown, onSchema: (schema: SchemaObject) => boolean): void => {
    if (!isObject(node) && !Array.isArray(node)) return;
    const children = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(children)) {
      if (isObject(value) && typeof value.title === 'string' && onSchema(value)) {
        children[key] = { $ref: `#/components/schemas/${value.title}` };
      } else visit(value, onSchema);
    }
  };
  visit(document.paths, (schema) => {
    const title = schema.title as string;
    const text = textOf(schema);
    const entry = found.get(title);
    if (!entry) found.set(title, { text, schema, count: 1, same: true });
    else {
      entry.count++;
      entry.same &&= entry.text === text;
    }
    return false;
  });
  const shared = new Map([...found].filter(([title, e]) => e.same && e.count > 1 && !document.components?.schemas?.[title]));
  const replace = (schema: SchemaObject) => shared.get(schema.title as string)?.text === textOf(schema);
  visit(document.paths, replace);
  const components: Record<string, SchemaObject> = {};
  for (const [title, { schema }] of shared) {
    const copy = structuredClone(title === 'ErrorResponse' ? withoutDescription(schema) : schema);
    // Shared schemas inside a shared one are references too.
    visit(copy, replace);
    components[title] = copy;
  }
  document.components ??= {};
  document.components.schemas = { ...document.components.schemas, ...components };
  return generated;
}
