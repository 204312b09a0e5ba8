// Environment -> typed Config, checked once at start-up; every bad variable is named
// (conventions: config.ts). Only server.ts and the CLI pass process.env in.

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
  /** Requests per second allowed per API key and per client token; null means no limit. */
  rateLimit: RateLimitConfig;
  /** How long SIGTERM waits for in-flight requests before closing them (ms). */
  shutdownTimeoutMs: number;
  /** Background purge of expired sessions and idempotency records. */
  purge: { intervalMs: number; retentionMs: number; batchSize: number };
}

export interface RateLimitConfig {
  perKey: number | null;
  perToken: number | null;
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = { perKey: 500, perToken: 50 };

/** `off`, or `key:<n>/s,token:<n>/s` (either part may be left out and keeps its default). */
export function parseRateLimit(value: string): RateLimitConfig | string {
  const problem = `KASSA_RATE_LIMIT: must be "off" or like "key:500/s,token:50/s" (got "${value.slice(0, 60)}")`;
  if (value.trim().toLowerCase() === 'off') return { perKey: null, perToken: null };
  const out = { ...DEFAULT_RATE_LIMIT };
  const seen = new Set<string>();
  for (const part of value.split(',')) {
    const match = /^\s*(key|token):(?:(\d{1,7})\/s|(off))\s*$/.exec(part);
    if (!match || seen.has(match[1]!)) return problem;
    seen.add(match[1]!);
    const rate = match[3] ? null : Number(match[2]);
    if (rate === 0) return problem;
    if (match[1] === 'key') out.perKey = rate;
    else out.perToken = rate;
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

export function parseDatabaseUrl(value: string): DatabaseTarget | string {
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    return path.length > 0 ? { engine: 'sqlite', path } : 'DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/kassa.db';
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
  if (apiKey !== undefined && (apiKey.length < 16 || apiKey.length > 256 || /\s/.test(apiKey))) {
    problems.push('KASSA_API_KEY: must be 16 to 256 characters without spaces');
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
    rateLimit: typeof rateLimit === 'string' ? DEFAULT_RATE_LIMIT : rateLimit,
    shutdownTimeoutMs: int('KASSA_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    purge: {
      intervalMs: int('KASSA_PURGE_INTERVAL_SECONDS', 60, 0, 86_400) * 1000,
      retentionMs: int('KASSA_PURGE_RETENTION_SECONDS', 7 * 86_400, 0, 365 * 86_400) * 1000,
      batchSize: int('KASSA_PURGE_BATCH_SIZE', 500, 1, 100_000),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
