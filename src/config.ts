// Environment -> typed Config, checked once at start-up, every bad variable named at once so one
// restart fixes them all. Only main.ts and cli/main.ts pass process.env in.
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export type DatabaseTarget = { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string };

export interface Config {
  port: number;
  host: string;
  database: DatabaseTarget;
  /** Ensures a key with this secret exists for the default merchant. */
  apiKey?: string;
  /** Base of the URLs inside client tokens. */
  publicUrl: string;
  tokenTtlSeconds: number;
  /** Signing secret for client tokens; when absent one is generated once and kept in the database. */
  tokenSecret?: string;
  /** The `env` claim and configuration value the SDKs see. */
  sdkEnv: 'LOCAL_DOCKER' | 'DEV' | 'SANDBOX' | 'STAGING' | 'PRODUCTION';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** JSON file with the checkout configuration (payment methods, modules); the built-in default when absent. */
  checkoutConfigPath?: string;
  /** Origins allowed to call the SDK routes from a browser: any (`*`) or a list. */
  corsOrigins: '*' | string[];
  /** PostgreSQL: most connections one process opens. */
  dbPoolSize: number;
  /** PostgreSQL: longest one storage call may take before the request gets a 503. */
  dbTimeoutMs: number;
  /** How long an idempotency record is kept (ms). */
  idempotencyTtlMs: number;
  /** How long an AUTHORIZED payment can be captured (ms); then the authorization expires and the payment is CANCELLED. */
  authorizationValidityMs: number;
  /** Requests per second allowed per API key and per client token; null means no limit. */
  rateLimit: RateLimitConfig;
  /**
   * Which proxies' X-Forwarded-For to believe for the client address (the per-address limits): none
   * (false), all (true), a number of hops, or a list of addresses and CIDR ranges.
   */
  trustProxy: boolean | number | string[];
  /** Longest a client may take to send a whole request, headers and body (ms); then 408 and the connection closes. */
  requestTimeoutMs: number;
  /** How long SIGTERM waits for in-flight requests before closing them (ms). */
  shutdownTimeoutMs: number;
  /** The payments sandbox's routes (KASSA_PAYMENTS=off answers them all 404). */
  payments: boolean;
  /** `production` switches every sandbox control off (/kassa/sandbox/…, seeding): they answer 404. */
  mode: 'sandbox' | 'production';
  /** KASSA_SEED: a seed file applied at start, after migrating and before listening (sandbox/seed). */
  seedFile?: string;
  /** The default merchant's webhook endpoint, and its signing secret (made and printed once when absent). */
  webhookUrl?: string;
  webhookSecret?: string;
  /** Multiplies the webhook retry schedule (0.001 turns minutes into tenths of a second, for CI). */
  webhookRetryScale: number;
  /** How long a webhook delivery waits for the receiver's answer (ms); a delivery's claim lasts that long, at least 15 s, renewed while it is sent. */
  webhookTimeoutMs: number;
  /** Live webhook endpoints a merchant may have (KASSA_WEBHOOK_ENDPOINTS_MAX). */
  webhookEndpointsMax: number;
  /** Whether loopback and private addresses may receive webhooks (`deny` on a shared server); link-local and metadata never may. */
  webhookPrivate: 'allow' | 'deny';
  /** Background purge of expired sessions and idempotency records, and of payments and deliveries past their retention. */
  purge: { intervalMs: number; retentionMs: number; batchSize: number; paymentRetentionMs: number; deliveryRetentionMs: number };
}

export interface RateLimitConfig {
  /** Requests per second per API key. */
  perKey: number | null;
  /** Requests per second per client token. */
  perToken: number | null;
  /** Requests per second per client address, on the SDK routes a request reaches with no token. */
  perAddress: number | null;
  /** Failed authentications (a wrong or missing API key) per minute per client address. */
  failuresPerMinute: number | null;
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = { perKey: 500, perToken: 50, perAddress: 50, failuresPerMinute: 30 };

const RATE_PARTS = {
  key: ['perKey', 's'],
  token: ['perToken', 's'],
  address: ['perAddress', 's'],
  failures: ['failuresPerMinute', 'min'],
} as const;

/** `off`, or `key:<n>/s,token:<n>/s,address:<n>/s,failures:<n>/min` (a part left out keeps its default; `<kind>:off` turns one off). */
export function parseRateLimit(value: string): RateLimitConfig | string {
  const problem = `KASSA_RATE_LIMIT: must be "off" or like "key:500/s,token:50/s,address:50/s,failures:30/min" (got "${value.slice(0, 80)}")`;
  if (value.trim().toLowerCase() === 'off') return { perKey: null, perToken: null, perAddress: null, failuresPerMinute: null };
  const out = { ...DEFAULT_RATE_LIMIT };
  const seen = new Set<string>();
  for (const part of value.split(',')) {
    const match = /^\s*(key|token|address|failures):(?:(\d{1,7})\/(s|min)|(off))\s*$/.exec(part);
    if (!match || seen.has(match[1]!)) return problem;
    seen.add(match[1]!);
    const [field, unit] = RATE_PARTS[match[1] as keyof typeof RATE_PARTS];
    if (!match[4] && match[3] !== unit) return problem;
    const rate = match[4] ? null : Number(match[2]);
    if (rate === 0) return problem;
    out[field] = rate;
  }
  return out;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const SDK_ENVS = ['LOCAL_DOCKER', 'DEV', 'SANDBOX', 'STAGING', 'PRODUCTION'] as const;

/** The directory Kassa creates by itself (its default database's); any other must exist. */
const DEFAULT_SQLITE_DIRECTORY = 'data';

/**
 * `sqlite:<path>` (relative to the working directory, or absolute; `sqlite:///abs` too) or a postgres://
 * URL. An SQLite file's directory must exist, except ./data, the default's, which Kassa creates.
 */
export function parseDatabaseUrl(value: string): DatabaseTarget | string {
  if (value.startsWith('sqlite:')) {
    const rest = value.slice('sqlite:'.length);
    // sqlite://./x.db would be the path //./x.db: the file /x.db at the filesystem root.
    if (rest.startsWith('//') && !rest.startsWith('///')) {
      return `DATABASE_URL: "${value.slice(0, 80)}" names a file at the filesystem root (${resolve(rest)}); write sqlite:${rest.slice(2)} for a path relative to the working directory, or sqlite:/absolute/path.db`;
    }
    const path = rest.replace(/^\/\/(?=\/)/, '');
    if (path.length === 0) return 'DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/kassa.db';
    // SQLite's URI forms (file:…?mode=ro) would be taken as a plain path and create a folder named "file:".
    if (path.startsWith('file:') || path.includes('?')) {
      return `DATABASE_URL: sqlite: takes a plain file path (sqlite:./data/kassa.db, sqlite:/var/lib/kassa/kassa.db) or :memory:; URI forms like file:…?mode= are not supported (got "${value.slice(0, 60)}")`;
    }
    if (path !== ':memory:') {
      const directory = dirname(resolve(path));
      if (directory !== resolve(DEFAULT_SQLITE_DIRECTORY) && !isDirectory(directory)) {
        return `DATABASE_URL: the directory ${directory} of "${value.slice(0, 80)}" does not exist; create it first (Kassa creates only ./${DEFAULT_SQLITE_DIRECTORY}, its default's)`;
      }
    }
    return { engine: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      new URL(value);
      return { engine: 'postgres', url: value };
    } catch {
      return 'DATABASE_URL: not a valid postgres:// URL';
    }
  }
  return `DATABASE_URL: must start with sqlite: or postgres:// (got "${value.slice(0, 40)}")`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The database a target names, for a log line or a message: an absolute file, or user, host and database (never a password). */
export function describeDatabase(target: DatabaseTarget): string {
  if (target.engine === 'sqlite') return target.path === ':memory:' ? 'sqlite::memory:' : `sqlite:${resolve(target.path)}`;
  const url = new URL(target.url);
  const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
  return `postgres://${user}${url.host}${url.pathname}`;
}

/** `false` (or unset), `true`, a hop count, or comma-separated addresses/CIDR ranges; a message when bad. */
export function parseTrustProxy(value: string): boolean | number | string[] | string {
  const v = value.trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const list = v.split(',').map((p) => p.trim());
  if (list.every((p) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(p))) return list;
  return `KASSA_TRUST_PROXY: must be true, false, a number of proxy hops, or comma-separated addresses or CIDR ranges (got "${v.slice(0, 80)}")`;
}

/** `*`, or comma-separated origins (`https://shop.example`, scheme and host, no path); a message when bad. */
export function parseCorsOrigins(value: string): '*' | string[] | string {
  if (value.trim() === '*') return '*';
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  const bad = origins.filter((o) => {
    try {
      const url = new URL(o);
      return (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== o;
    } catch {
      return true;
    }
  });
  if (origins.length === 0 || bad.length > 0) {
    return `KASSA_CORS_ORIGINS: must be * or comma-separated origins like https://shop.example (bad: ${bad.map((b) => `"${b.slice(0, 80)}"`).join(', ') || 'empty list'})`;
  }
  return origins;
}

/**
 * Why an operator's key is refused, or undefined. Kassa stores only a slow hash of it, but a short or
 * repetitive key can still be guessed from a copy of the database or over the wire.
 */
export function apiKeyWeakness(key: string): string | undefined {
  if (key.length > 256 || /\s/.test(key)) return 'must be at most 256 characters, without spaces';
  const distinct = new Set(key).size;
  if (key.length < 20 || distinct < 10) {
    return (
      `too easy to guess (${key.length} characters, ${distinct} different): use at least 20 characters with at least 10 ` +
      'different ones, e.g. the output of `openssl rand -hex 24`, or leave it unset and Kassa makes a key'
    );
  }
  return undefined;
}

export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) {
      problems.push(`${name}: must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const oneOf = <T extends string>(name: string, values: readonly T[], fallback: T): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!(values as readonly string[]).includes(raw)) {
      problems.push(`${name}: must be one of ${values.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  };

  const port = int('PORT', 8080, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const database = parseDatabaseUrl(env.DATABASE_URL || 'sqlite:./data/kassa.db');
  if (typeof database === 'string') problems.push(database);

  const apiKey = env.KASSA_API_KEY || undefined;
  if (apiKey !== undefined) {
    const weak = apiKeyWeakness(apiKey);
    if (weak) problems.push(`KASSA_API_KEY: ${weak}`);
  }
  const tokenSecret = env.KASSA_TOKEN_SECRET || undefined;
  if (tokenSecret !== undefined && tokenSecret.length < 32) {
    problems.push('KASSA_TOKEN_SECRET: must be at least 32 characters (256 bits of entropy recommended)');
  }

  let publicUrl = env.KASSA_PUBLIC_URL || `http://localhost:${port}`;
  try {
    const url = new URL(publicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    if (url.search || url.hash) throw new Error('query');
    publicUrl = publicUrl.replace(/\/+$/, '');
  } catch {
    problems.push(`KASSA_PUBLIC_URL: must be an http(s) URL without query or fragment (got "${publicUrl}")`);
  }

  const checkoutConfigPath = env.KASSA_CHECKOUT_CONFIG || undefined;
  const corsOrigins = parseCorsOrigins(env.KASSA_CORS_ORIGINS || '*');
  if (typeof corsOrigins === 'string' && corsOrigins !== '*') problems.push(corsOrigins);
  const rateLimit = env.KASSA_RATE_LIMIT ? parseRateLimit(env.KASSA_RATE_LIMIT) : DEFAULT_RATE_LIMIT;
  if (typeof rateLimit === 'string') problems.push(rateLimit);

  const webhookUrl = env.KASSA_WEBHOOK_URL || undefined;
  if (webhookUrl !== undefined) {
    try {
      const url = new URL(webhookUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      problems.push(`KASSA_WEBHOOK_URL: must be an http(s) URL (got "${webhookUrl.slice(0, 200)}")`);
    }
  }
  if (env.KASSA_WEBHOOK_SECRET !== undefined && env.KASSA_WEBHOOK_SECRET !== '' && env.KASSA_WEBHOOK_SECRET.length < 16) {
    problems.push('KASSA_WEBHOOK_SECRET: must be at least 16 characters');
  }
  const rawScale = env.KASSA_WEBHOOK_RETRY_SCALE;
  const webhookRetryScale = rawScale === undefined || rawScale === '' ? 1 : Number(rawScale);
  if (!Number.isFinite(webhookRetryScale) || webhookRetryScale <= 0 || webhookRetryScale > 100) {
    problems.push(`KASSA_WEBHOOK_RETRY_SCALE: must be a number above 0 and at most 100 (got "${String(rawScale).slice(0, 40)}")`);
  }

  const trustProxy = parseTrustProxy(env.KASSA_TRUST_PROXY ?? '');
  if (typeof trustProxy === 'string') problems.push(trustProxy);

  const config: Config = {
    port,
    host,
    database: typeof database === 'string' ? { engine: 'sqlite', path: '' } : database,
    ...(apiKey ? { apiKey } : {}),
    publicUrl,
    tokenTtlSeconds: int('KASSA_TOKEN_TTL_SECONDS', 86_400, 60, 30 * 86_400),
    ...(tokenSecret ? { tokenSecret } : {}),
    sdkEnv: oneOf('KASSA_SDK_ENV', SDK_ENVS, 'SANDBOX'),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    ...(checkoutConfigPath ? { checkoutConfigPath } : {}),
    corsOrigins: Array.isArray(corsOrigins) ? corsOrigins : '*',
    dbPoolSize: int('KASSA_DB_POOL_SIZE', 10, 1, 1000),
    dbTimeoutMs: int('KASSA_DB_TIMEOUT_MS', 10_000, 100, 600_000),
    idempotencyTtlMs: int('KASSA_IDEMPOTENCY_TTL_SECONDS', 86_400, 60, 30 * 86_400) * 1000,
    authorizationValidityMs: int('KASSA_AUTHORIZATION_VALIDITY_SECONDS', 7 * 86_400, 60, 365 * 86_400) * 1000,
    rateLimit: typeof rateLimit === 'string' ? DEFAULT_RATE_LIMIT : rateLimit,
    trustProxy: typeof trustProxy === 'string' ? false : trustProxy,
    requestTimeoutMs: int('KASSA_REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000),
    shutdownTimeoutMs: int('KASSA_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    payments: oneOf('KASSA_PAYMENTS', ['on', 'off'] as const, 'on') === 'on',
    mode: oneOf('KASSA_MODE', ['sandbox', 'production'] as const, 'sandbox'),
    ...(env.KASSA_SEED ? { seedFile: env.KASSA_SEED } : {}),
    ...(webhookUrl ? { webhookUrl } : {}),
    ...(env.KASSA_WEBHOOK_SECRET ? { webhookSecret: env.KASSA_WEBHOOK_SECRET } : {}),
    webhookRetryScale: Number.isFinite(webhookRetryScale) && webhookRetryScale > 0 ? webhookRetryScale : 1,
    webhookTimeoutMs: int('KASSA_WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
    webhookEndpointsMax: int('KASSA_WEBHOOK_ENDPOINTS_MAX', 20, 1, 1000),
    webhookPrivate: oneOf('KASSA_WEBHOOK_PRIVATE', ['allow', 'deny'] as const, 'allow'),
    purge: {
      intervalMs: int('KASSA_PURGE_INTERVAL_SECONDS', 60, 0, 86_400) * 1000,
      retentionMs: int('KASSA_PURGE_RETENTION_SECONDS', 7 * 86_400, 0, 365 * 86_400) * 1000,
      batchSize: int('KASSA_PURGE_BATCH_SIZE', 500, 1, 100_000),
      paymentRetentionMs: int('KASSA_PURGE_PAYMENT_RETENTION_SECONDS', 90 * 86_400, 0, 3650 * 86_400) * 1000,
      deliveryRetentionMs: int('KASSA_PURGE_DELIVERY_RETENTION_SECONDS', 30 * 86_400, 0, 3650 * 86_400) * 1000,
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
