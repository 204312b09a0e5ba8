// The request pipeline: what runs on each request, in order, and which routes pay for what. Routes
// name their kind here (`merchant`, `sdk`, or nothing) and get exactly these steps; nothing else is
// hooked onto a request anywhere in Kassa (docs/architecture.md, "The request pipeline").
//
//   every request       Fastify routes it; the request id is the well-formed X-Request-Id sent, or a
//                        fresh UUID (app.ts, genReqId)
//   merchant routes      (X-Api-Key: the Client Session API, the dashboard's reads)
//     onRequest          X-Api-Version (versioned routes) → rate limit per API key → API key → scope
//                        → Content-Type (routes with a body) → the request's Context
//     parsing            JSON body, read once: UTF-8, duplicate keys, guards and unknown fields in one
//                        walk (json-body.ts) → Ajv against the route's schema (compiled once)
//     preHandler         rate limit per client token (routes that take one) → idempotency key, only
//                        when the header is sent (idempotency/requests.ts)
//     handler            one service call; the answer is serialized once
//   SDK routes           (Primer-Client-Token, called from the shopper's browser or app)
//     onRequest          CORS (their own scope, http/cors.ts) → X-Api-Version → rate limit per client
//                        token → the request's Context
//     parsing, handler   as above
//   open routes          (health, metrics, docs, dashboard page, icons): nothing more
//   every response       onSend: X-Request-Id, Server-Timing; onResponse: metrics, one log line;
//                        errors: Primer's envelope (envelope.ts)
import type { FastifyReply, FastifyRequest, onRequestHookHandler, preHandlerHookHandler, RouteShorthandOptions } from 'fastify';
import { KassaError } from '../errors.ts';
import { then } from '../lib/awaitable.ts';
import { timed, Timing, type Context } from '../lib/context.ts';
import { sha256 } from '../lib/ids.ts';
import type { Merchants, Principal } from '../merchants/merchants.ts';
import { resolveApiVersion } from './api-version.ts';
import type { RateLimits } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the services are told about this request (set by the route's first step). */
    ctx?: Context;
    /** Set by the merchant step. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The API-key scope a merchant route needs (the OpenAPI document shows it). */
    scope?: string;
    /** Whether the route reads X-Api-Version. */
    versioned?: boolean;
    /** A route the SDKs call with a client token. */
    sdk?: boolean;
  }
}

export interface PipelineDeps {
  merchants: Merchants;
  /** Told of every storage call made for a request (the kassa_storage_duration_seconds histogram). */
  observeStorage: (operation: string, seconds: number) => void;
  rateLimits: RateLimits;
  /** The idempotency step, for routes that take keys. */
  idempotency: {
    claim(request: FastifyRequest, reply: FastifyReply): Promise<void>;
    release(request: FastifyRequest, reply: FastifyReply, done: () => void): void;
  };
}

export interface MerchantRoute {
  /** The API-key scope the route needs. */
  scope: string;
  /** Reads X-Api-Version (and echoes it). */
  versioned?: boolean;
  /** Takes a JSON body (Content-Type application/json, checked before the body is read). */
  body?: boolean;
  /** Honours X-Idempotency-Key. */
  idempotent?: boolean;
  /** Where the route's client token is, for the per-token rate limit. */
  clientToken?: 'query' | 'body';
}

export interface SdkRoute {
  versioned?: boolean;
  body?: boolean;
}

type RouteSteps = Pick<RouteShorthandOptions, 'config' | 'onRequest' | 'preHandler' | 'onResponse'>;

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** The versioned routes' step: resolve X-Api-Version and echo it. */
function apiVersion(request: FastifyRequest, reply: FastifyReply, versioned: boolean) {
  const version = versioned ? resolveApiVersion(request.headers['x-api-version']) : resolveApiVersion(undefined);
  if (versioned) reply.header('X-Api-Version', version);
  return version;
}

export function createPipeline(deps: PipelineDeps) {
  const { merchants, rateLimits, observeStorage } = deps;

  /** The client token a request carries, rate-limited per token (a hash of it keys the bucket). */
  const limitClientToken = (token: unknown) => {
    if (typeof token === 'string' && token !== '') rateLimits.take('token', sha256(token));
  };

  return {
    merchant(route: MerchantRoute): RouteSteps {
      const versioned = route.versioned ?? false;
      // Callback form, and no promise when the key is read at once (SQLite): this runs on every request.
      const onRequest: onRequestHookHandler = (request, reply, done) => {
        const version = apiVersion(request, reply, versioned);
        const secret = first(request.headers['x-api-key']);
        if (!secret || secret.length > 512) throw new KassaError('Unauthorized');
        const secretHash = sha256(secret);
        // Before the key is looked up: a flood costs no storage read.
        rateLimits.take('key', secretHash);
        const ctx: Context = { apiVersion: version, requestId: request.id, timing: new Timing(observeStorage) };
        request.ctx = ctx;
        const admitted = then(
          timed(ctx, 'apiKeys.authenticate', () => merchants.authenticate(secretHash, route.scope)),
          (principal) => {
            request.principal = principal;
            ctx.merchantId = principal.merchantId;
            if (route.body && !JSON_TYPE.test(request.headers['content-type'] ?? '')) throw new KassaError('UnsupportedMediaType');
            if (route.clientToken === 'query' && rateLimits.enabled('token')) {
              limitClientToken((request.query as Record<string, unknown> | undefined)?.clientToken);
            }
          },
        );
        if (admitted instanceof Promise) admitted.then(() => done(), done);
        else done();
      };
      const preHandler: preHandlerHookHandler[] = [];
      if (route.clientToken === 'body' && rateLimits.enabled('token')) {
        preHandler.push((request, _reply, done) => {
          limitClientToken((request.body as Record<string, unknown>).clientToken);
          done();
        });
      }
      if (route.idempotent) preHandler.push(deps.idempotency.claim);
      return {
        config: { scope: route.scope, versioned },
        onRequest,
        ...(preHandler.length > 0 ? { preHandler } : {}),
        ...(route.idempotent ? { onResponse: deps.idempotency.release } : {}),
      };
    },

    sdk(route: SdkRoute = {}): RouteSteps {
      const versioned = route.versioned ?? true;
      const onRequest: onRequestHookHandler = (request, reply, done) => {
        const version = apiVersion(request, reply, versioned);
        limitClientToken(first(request.headers['primer-client-token']));
        if (route.body && !JSON_TYPE.test(request.headers['content-type'] ?? '')) throw new KassaError('UnsupportedMediaType');
        request.ctx = { apiVersion: version, requestId: request.id, timing: new Timing(observeStorage) };
        done();
      };
      return { config: { versioned, sdk: true }, onRequest };
    },
  };
}

export type Pipeline = ReturnType<typeof createPipeline>;
