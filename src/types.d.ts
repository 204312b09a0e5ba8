import type { Principal } from './merchants/merchants.ts';
import type { ApiVersion } from './http/api-version.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by API-key auth. */
    principal?: Principal;
    /** Set on versioned routes. */
    apiVersion: ApiVersion;
  }
  interface FastifyContextConfig {
    /** The API-key scope the route needs. */
    scope?: string;
    /** Whether the route reads X-Api-Version. */
    versioned?: boolean;
  }
}
