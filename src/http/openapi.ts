// The OpenAPI 3.1 document, generated from the route schemas that validate requests (conventions:
// "one schema, three jobs"), served at /openapi.json, and an API reference page at /docs whose
// assets come from the npm package (no CDN).
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { SUPPORTED_API_VERSIONS } from '../lib/api-version.ts';

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
    transformObject: (document) => shareErrorResponse('openapiObject' in document ? document.openapiObject : document.swaggerObject),
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The online validator badge would fetch from another host; keep the page self-contained.
    uiConfig: { validatorUrl: null, deepLinking: true },
  });
  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This OpenAPI 3.1 document',
        tags: ['Operations'],
        response: { 200: { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    async (_request, reply) => reply.type('application/json').send(JSON.stringify(app.swagger())),
  );
}

type SchemaObject = Record<string, unknown>;
interface OpenApiDocument {
  components?: { schemas?: Record<string, SchemaObject> };
  paths?: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: SchemaObject }> }> }>>;
}

const withoutDescription = ({ description: _, ...rest }: SchemaObject) => JSON.stringify(rest);

/**
 * Every error response refers to one `ErrorResponse` schema in components (its response description
 * still names the errorIds of that status). Generated from the route schemas, each of the ~290 error
 * responses would carry its own copy of the envelope: half the document, which the /docs page then
 * took seconds to process.
 */
export function shareErrorResponse<T extends object>(generated: T): T {
  const document = generated as OpenApiDocument;
  let shared: SchemaObject | undefined;
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const response of Object.values(operation.responses ?? {})) {
        for (const media of Object.values(response.content ?? {})) {
          const schema = media.schema;
          if (schema?.title !== 'ErrorResponse') continue;
          const { description: _, ...envelope } = schema;
          shared ??= envelope;
          // Only copies of the one envelope are replaced.
          if (withoutDescription(schema) !== JSON.stringify(shared)) continue;
          media.schema = { $ref: '#/components/schemas/ErrorResponse' };
        }
      }
    }
  }
  if (shared) {
    document.components ??= {};
    document.components.schemas = { ...document.components.schemas, ErrorResponse: shared };
  }
  return generated;
}
