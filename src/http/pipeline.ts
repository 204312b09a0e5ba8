// The request pipeline: what runs on each request, in order, and which routes pay for what. Routes
// name their kind here (`merchant`, `sdk`, or nothing) and get exactly these steps; nothing else is
// hooked onto a request anywhere in Kassa (docs/architecture.md, "The request pipeline").
//
//   every request       Fastify routes it; the request id is the well-formed X-Request-Id sent, or a
//                        fresh UUID (app.ts, genReqId)
//   merchant routes      (X-Api-Key: the Client Session API, the dashboard's reads)
//     onRequest          X-Api-Version (versioned routes) → failed-authentication limit per address
//                        → rate limit per API key → a failure reserved when the key needs a hash
//                        → API key → scope
//                        → Content-Type (routes with a body) → the request's Context
//     parsing            JSON body, read once: UTF-8, duplicate keys, guards and unknown fields in one
//                        walk (json-body.ts) → Ajv against the route's schema (compiled once)
//     preHandler         rate limit per client token (routes that take one) → idempotency key, only
//                        when the header is sent, with the route's policy (idempotency/requests.ts;
//                        onSend lets go of a failed request's key before its answer is sent)
//     handler            one service call; the answer is serialized once
//   SDK routes           (Primer-Client-Token, called from the shopper's browser or app)
//     onRequest          CORS (their own scope, http/cors.ts) → X-Api-Version → rate limit per client
//                        token, and per address when none is sent or it has not yet named a session
//                        → Content-Type → the request's Context → the token's session, before any
//                        body is read (small body limits)
//     parsing, handler   as above
//   either audience      (POST /payments, resume, GET /payment-instruments): X-Api-Key present → the
//                        merchant steps, else Primer-Client-Token → the SDK steps, else 401 (eitherAudience)
//   open routes          (health, metrics, docs, dashboard page, icons): nothing more
//   sandbox faults       (not in production mode) once the merchant is known, before the body is read:
//                        the merchant's fault on the operation, if any, answers now (phase before) or
//                        replaces the answer in the route's last onSend (phase after; sandbox/faults/)
//   every response       onSend: X-Request-Id, Server-Timing; onResponse: metrics, one log line;
//                        errors: Primer's envelope (envelope.ts)
import type {
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  onResponseHookHandler,
  onSendHookHandler,
  preHandlerHookHandler,
  RouteShorthandOptions,
} from 'fastify';
import { KassaError } from '../errors.ts';
import { then, type Awaitable } from '../lib/awaitable.ts';
import { timed, Timing, type Context } from '../lib/context.ts';
import { sha256 } from '../lib/ids.ts';
import type { IdempotencyPolicy } from '../idempotency/policy.ts';
import type { Merchants, Principal } from '../merchants/merchants.ts';
import type { StoredSession } from '../sessions/session.store.ts';
import { resolveApiVersion } from './api-version.ts';
import { audienceBodyLimit } from './json-body.ts';
import type { RateLimits } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the services are told about this request (set by the route's first step). */
    ctx?: Context;
    /** Set by the merchant step. */
    principal?: Principal;
    /** Set by the SDK step: the session the client token names. */
    clientSession?: StoredSession;
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
  /** Told each merchant request's sandbox clock offset, read with its key (sandbox/clock/merchant-clocks.ts). */
  clocks?: { observe(merchantId: string, offsetMs: number): void };
  /** The session an SDK request's Primer-Client-Token names (sessions/access.ts; ClientSessionValidationError when none is usable). */
  clientSessions: { find(ctx: Context, accessToken: string | undefined): Awaitable<StoredSession> };
  /** The idempotency step, for routes that take keys (idempotency/requests.ts). */
  idempotency: {
    claim(policy: IdempotencyPolicy): (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    releaseOnFailure(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void;
    afterResponse(request: FastifyRequest, reply: FastifyReply, done: () => void): void;
  };
  /** The sandbox's faults (sandbox/faults/service.ts); absent when KASSA_MODE=production. */
  faults?: {
    forRequest(request: FastifyRequest, reply: FastifyReply, merchantId: string): Awaitable<void>;
    replaceAnswer(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void;
  };
}

export interface MerchantRoute {
  /** The API-key scope the route needs. */
  scope: string;
  /** Reads X-Api-Version (and echoes it). */
  versioned?: boolean;
  /**
   * Takes a JSON body (Content-Type application/json, checked before the body is read). `optional`: a
   * body Primer's spec marks optional, so a request without one (no Content-Type, no bytes) is `{}`.
   */
  body?: boolean | 'optional';
  /** Takes idempotency keys, and what a repeat gets (idempotency/policy.ts). */
  idempotency?: IdempotencyPolicy;
  /** Where the route's client token is, for the per-token rate limit. */
  clientToken?: 'query' | 'body';
}

export interface SdkRoute {
  versioned?: boolean;
  body?: boolean;
  /** Largest body in bytes (these routes are open to the internet: keep it small). */
  bodyLimit?: number;
  /**
   * `required` (the default): Primer-Client-Token must name a usable session, checked before the body
   * is read. `optional`: checked the same way when sent; without it the address is rate-limited.
   */
  token?: 'required' | 'optional';
}

type RouteSteps = Pick<RouteShorthandOptions, 'config' | 'onRequest' | 'preParsing' | 'preHandler' | 'onSend' | 'onResponse' | 'bodyLimit'>;

/** SDK tokens remembered as usable per app; past it the oldest are forgotten. */
const USABLE_TOKENS = 10_000;
const JSON_TYPE = /^application\/json\s*(;|$)/i;
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** No Content-Type and no bytes: what a client sends when it leaves out an optional body. */
const sentNoBody = (request: FastifyRequest) =>
  request.headers['content-type'] === undefined &&
  request.headers['transfer-encoding'] === undefined &&
  (request.headers['content-length'] === undefined || request.headers['content-length'] === '0');

/** The versioned routes' step: resolve X-Api-Version and echo it. */
function apiVersion(request: FastifyRequest, reply: FastifyReply, versioned: boolean) {
  const version = versioned ? resolveApiVersion(request.headers['x-api-version']) : resolveApiVersion(undefined);
  if (versioned) reply.header('X-Api-Version', version);
  return version;
}

/** No X-Api-Version (or an empty one) on a versioned route: the version is the default. */
const versionDefaulted = (request: FastifyRequest, versioned: boolean) =>
  versioned && (first(request.headers['x-api-version']) ?? '').trim() === '';

export function createPipeline(deps: PipelineDeps) {
  const { merchants, rateLimits, observeStorage, faults } = deps;
  // Last of a route's onSend steps, after the idempotency step has seen the real answer.
  const replaceAnswer = faults?.replaceAnswer as onSendHookHandler | undefined;

  /** The request's Context, which services receive; set on the request. */
  const contextOf = (request: FastifyRequest, version: Context['apiVersion'], versioned: boolean): Context =>
    (request.ctx = {
      apiVersion: version,
      apiVersionDefaulted: versionDefaulted(request, versioned),
      requestId: request.id,
      timing: new Timing(observeStorage),
    });

  /** The client token a request carries, rate-limited per token (a hash of it keys the bucket). */
  const limitClientToken = (token: unknown) => {
    if (typeof token === 'string' && token !== '') rateLimits.take('token', sha256(token));
  };

  // The hashes of the SDK tokens that named a usable session in this process, newest last.
  const usableTokens = new Set<string>();
  /**
   * An SDK request's limits for its token: the per-token bucket, and, for a token not yet seen to
   * work, one request reserved from the address's bucket. `settle` is told how the token's lookup
   * ended: it worked (the reservation is given back and the token remembered), or it did not
   * (ClientSessionValidationError: the request counts against the address).
   */
  const tokenLimits = (address: string, accessToken: string) => {
    const quick = sha256(accessToken);
    let reserved = !usableTokens.has(quick) && rateLimits.reserve('address', address);
    try {
      rateLimits.take('token', quick);
    } catch (error) {
      if (reserved) rateLimits.giveBack('address', address);
      throw error;
    }
    return {
      settle(error?: unknown): unknown {
        const unusable = error instanceof KassaError && error.errorId === 'ClientSessionValidationError';
        if (unusable) {
          if (!reserved) rateLimits.count('address', address);
        } else if (reserved) rateLimits.giveBack('address', address);
        if (error === undefined && !usableTokens.has(quick)) {
          if (usableTokens.size >= USABLE_TOKENS) usableTokens.delete(usableTokens.values().next().value as string);
          usableTokens.add(quick);
        }
        reserved = false;
        return error;
      },
    };
  };

  return {
    merchant(route: MerchantRoute): RouteSteps {
      const versioned = route.versioned ?? false;
      // Callback form, and no promise when the key is read at once (SQLite): this runs on every request.
      const onRequest: onRequestHookHandler = (request, reply, done) => {
        const version = apiVersion(request, reply, versioned);
        // A client that failed to authenticate too often is stopped before its key costs a hash.
        rateLimits.check('failures', request.ip);
        const secret = first(request.headers['x-api-key']);
        if (!secret || secret.length > 512) {
          rateLimits.count('failures', request.ip);
          throw new KassaError('Unauthorized');
        }
        const quick = sha256(secret);
        // Before the key is looked up: a flood costs no storage read.
        rateLimits.take('key', quick);
        // A key that costs a hash takes its failure now (given back if it works): concurrent guesses
        // cannot all pass the check above before the first of them has failed.
        let reserved = merchants.costsHash(quick) && rateLimits.reserve('failures', request.ip);
        const giveBack = () => {
          if (reserved) rateLimits.giveBack('failures', request.ip);
          reserved = false;
        };
        const ctx = contextOf(request, version, versioned);
        const failed = (error: unknown) => {
          if (!(error instanceof KassaError && error.errorId === 'Unauthorized')) giveBack();
          else if (!reserved) rateLimits.count('failures', request.ip);
          return error;
        };
        let admitted: Awaitable<void>;
        try {
          admitted = then(
            timed(ctx, 'apiKeys.authenticate', () => merchants.authenticate(secret, quick, route.scope, request.ip)),
            (principal) => {
              giveBack();
              request.principal = principal;
              ctx.merchantId = principal.merchantId;
              deps.clocks?.observe(principal.merchantId, principal.clockOffsetMs);
              if (route.body && !JSON_TYPE.test(request.headers['content-type'] ?? '')) {
                // Fastify reads no body from such a request, so this {} is what the schema validates.
                if (route.body === 'optional' && sentNoBody(request)) request.body = {};
                else throw new KassaError('UnsupportedMediaType');
              }
              if (route.clientToken === 'query' && rateLimits.enabled('token')) {
                limitClientToken((request.query as Record<string, unknown> | undefined)?.clientToken);
              }
              return faults?.forRequest(request, reply, principal.merchantId);
            },
          );
        } catch (error) {
          throw failed(error);
        }
        if (admitted instanceof Promise)
          admitted.then(
            () => done(),
            (error: unknown) => done(failed(error) as Error),
          );
        else done();
      };
      const preHandler: preHandlerHookHandler[] = [];
      if (route.clientToken === 'body' && rateLimits.enabled('token')) {
        preHandler.push((request, _reply, done) => {
          limitClientToken((request.body as Record<string, unknown>).clientToken);
          done();
        });
      }
      if (route.idempotency) preHandler.push(deps.idempotency.claim(route.idempotency));
      const onSend = [
        ...(route.idempotency ? [deps.idempotency.releaseOnFailure as onSendHookHandler] : []),
        ...(replaceAnswer ? [replaceAnswer] : []),
      ];
      return {
        config: { scope: route.scope, versioned },
        onRequest,
        ...(preHandler.length > 0 ? { preHandler } : {}),
        ...(onSend.length > 0 ? { onSend } : {}),
        ...(route.idempotency ? { onResponse: deps.idempotency.afterResponse as onResponseHookHandler } : {}),
      };
    },

    sdk(route: SdkRoute = {}): RouteSteps {
      const versioned = route.versioned ?? true;
      const token = route.token ?? 'required';
      const onRequest: onRequestHookHandler = (request, reply, done) => {
        const version = apiVersion(request, reply, versioned);
        const accessToken = first(request.headers['primer-client-token']) || undefined;
        // A token not yet seen to name a session takes from the address's bucket until it does (given
        // back when it does): random tokens would otherwise each get a bucket, and a read, of their own.
        const tokenLimit = accessToken === undefined ? undefined : tokenLimits(request.ip, accessToken);
        // Nothing to limit by but the address when no token is sent (a route where it is optional).
        if (tokenLimit === undefined) rateLimits.take('address', request.ip);
        let found: Awaitable<void> | undefined;
        try {
          if (route.body && !JSON_TYPE.test(request.headers['content-type'] ?? '')) throw new KassaError('UnsupportedMediaType');
          const ctx = contextOf(request, version, versioned);
          if (token === 'optional' && accessToken === undefined) return done();
          // The token's session, found before the body is read: a caller without one costs no parsing.
          found = then(deps.clientSessions.find(ctx, accessToken), (session) => {
            tokenLimit?.settle();
            request.clientSession = session;
            ctx.merchantId = session.merchantId;
            return faults?.forRequest(request, reply, session.merchantId);
          });
        } catch (error) {
          throw tokenLimit ? tokenLimit.settle(error) : error;
        }
        if (found instanceof Promise)
          found.then(
            () => done(),
            (error: unknown) => done((tokenLimit ? tokenLimit.settle(error) : error) as Error),
          );
        else done();
      };
      return {
        config: { versioned, sdk: true },
        onRequest,
        ...(replaceAnswer ? { onSend: replaceAnswer } : {}),
        ...(route.bodyLimit !== undefined ? { bodyLimit: route.bodyLimit } : {}),
      };
    },

    /** A page a shopper's browser opens without any token (the sandbox's redirect page): limited per address. */
    open(route: { bodyLimit?: number } = {}): RouteSteps {
      const onRequest: onRequestHookHandler = (request, _reply, done) => {
        rateLimits.take('address', request.ip);
        done();
      };
      return { onRequest, ...(route.bodyLimit !== undefined ? { bodyLimit: route.bodyLimit } : {}) };
    },
  };
}

export type Pipeline = ReturnType<typeof createPipeline>;

/**
 * A route both audiences call (POST /payments, resume, GET /payment-instruments): X-Api-Key makes it
 * a merchant request, else Primer-Client-Token makes it an SDK request; with neither it is a merchant
 * request without a key (401). X-Api-Key wins when both are sent. Only the merchant steps' onRequest
 * and the SDK steps' onRequest are combined; the merchant steps' idempotency step (its preHandler,
 * onSend and onResponse) runs for both audiences, as it reads only the Context. The route's body
 * limit is the merchant's (the server's, 1 MiB); an SDK request is held to the SDK steps' smaller one
 * as its body is read.
 */
export function eitherAudience(merchant: RouteSteps, sdk: RouteSteps): RouteSteps {
  const asMerchant = merchant.onRequest as onRequestHookHandler;
  const asSdk = sdk.onRequest as onRequestHookHandler;
  const sdkLimit = sdk.bodyLimit;
  const onRequest: onRequestHookHandler = function (request, reply, done) {
    // Neither credential: the merchant steps' 401, as on every other server route.
    const fromSdk = request.headers['x-api-key'] === undefined && request.headers['primer-client-token'] !== undefined;
    if (!fromSdk) return asMerchant.call(this, request, reply, done);
    if (sdkLimit !== undefined) request.audienceBodyLimit = sdkLimit;
    return asSdk.call(this, request, reply, done);
  };
  return {
    config: { ...merchant.config, sdk: true },
    onRequest,
    ...(merchant.preHandler ? { preHandler: merchant.preHandler } : {}),
    ...(merchant.onSend ? { onSend: merchant.onSend } : {}),
    ...(merchant.onResponse ? { onResponse: merchant.onResponse } : {}),
    ...(merchant.bodyLimit !== undefined ? { bodyLimit: merchant.bodyLimit } : {}),
    ...(sdkLimit !== undefined ? { preParsing: audienceBodyLimit } : {}),
  };
}
