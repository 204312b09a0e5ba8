// Real Kassa processes for the tests that need one: the server on a free loopback port (end-to-end
// tests, several processes, a database that goes away, signals), and the `kassa` command. When the
// tests run compiled (npm test compiles them, dist/test, and bundles the programs, dist/kassa), the
// processes run what ships: the bundles `npm start` and `kassa` run. Run from source
// (node --import tsx --test test/...), they run the sources through tsx.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository's root (where package.json is), whether this file runs from test/ or dist/test/. */
export const ROOT = existsSync(join(here, '..', '..', 'package.json')) ? join(here, '..', '..') : join(here, '..', '..', '..');
const COMPILED = import.meta.url.endsWith('.js');

/** The programs scripts/bundle.mjs makes, by the source file each starts from. */
const BUNDLES: Record<string, string> = { 'src/main.ts': 'dist/kassa/main.js', 'src/cli/main.ts': 'dist/kassa/cli.js' };

/**
 * The command line that runs `entry` ('src/main.ts': the server, 'src/cli/main.ts': the CLI): its
 * bundle when the tests run compiled; with `modules`, the separately compiled modules instead (what a
 * preloaded fault patches must be the modules the program uses).
 */
export function nodeArgs(entry: string, modules = false): string[] {
  if (!COMPILED) return ['--import', 'tsx', join(ROOT, entry)];
  const bundle = BUNDLES[entry];
  return [join(ROOT, bundle && !modules ? bundle : join('dist', entry.replace(/\.ts$/, '.js')))];
}

/** The environment a child gets: only what it needs, so the developer's own settings never leak in. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...clockEnv(),
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    ...env,
  };
}

/**
 * The variables that set this process's clock (faketime's): a process a test starts runs on the test's
 * clock, so `faketime '2031-06-01 12:00:00' npm test` moves every clock of the run together.
 */
function clockEnv(): NodeJS.ProcessEnv {
  const names = Object.keys(process.env).filter((name) => name === 'LD_PRELOAD' || name.startsWith('FAKETIME'));
  return Object.fromEntries(names.map((name) => [name, process.env[name]]));
}

export interface KassaProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Every line the process wrote to stdout so far. */
  lines: string[];
  /** Every line it wrote to stderr so far (what it prints for a person: generated secrets). */
  errorLines: string[];
  /** Everything it wrote (stdout and stderr), for failure messages. */
  output(): string;
  /** Resolves with the first stdout or stderr line (past or future) matching `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (graceful) or SIGKILL (crash), and wait for the exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** What to run: the server (the default), or the CLI with `serve`. */
  entry?: string;
  args?: string[];
  /**
   * Start it the way the README does, with `npm start`: `child` is then npm, and what npm runs is the
   * bundled server (dist/kassa/main.js), whether the tests run compiled or not, so build first from source.
   */
  npmStart?: boolean;
  /** In a process group of its own, as a process manager starts it: `process.kill(-child.pid, signal)` signals the group. */
  detached?: boolean;
  /** The separately compiled modules rather than the bundle (see nodeArgs). */
  modules?: boolean;
}

/**
 * Starts Kassa (`entry`: the server, or the CLI with `serve`) and resolves once it listens; the port
 * is read from the "Server listening" log line, so LOG_LEVEL stays info or lower.
 */
export async function startKassa(env: Record<string, string>, options: StartOptions = {}): Promise<KassaProcess> {
  const [command, args]: [string, string[]] = options.npmStart
    ? ['npm', ['start']]
    : [process.execPath, [...nodeArgs(options.entry ?? 'src/main.ts', options.modules), ...(options.args ?? [])]];
  const child = spawn(command, args, {
    cwd: ROOT,
    // npm would otherwise ask the registry whether it is out of date.
    env: childEnv(options.npmStart ? { npm_config_update_notifier: 'false', ...env } : env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  const lines: string[] = [];
  const errorLines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let output = '';
  const reader = (into: string[]) => {
    let buffer = '';
    return (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      buffer += text;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        into.push(line);
        for (const w of [...waiters]) {
          if (w.pattern.test(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    };
  };
  child.stderr!.on('data', reader(errorLines));
  child.stdout!.on('data', reader(lines));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const seen = [...lines, ...errorLines].find((l) => pattern.test(l));
      if (seen) return resolve(seen);
      // A safety bound so a broken start cannot hang the suite (not a timing assertion).
      const bound = setTimeout(() => reject(new Error(`no line matched ${pattern} within 120 s:\n${output}`)), 120_000);
      bound.unref();
      waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(bound);
          resolve(line);
        },
      });
      void exited.then(({ code, signal }) => reject(new Error(`Kassa exited (${code ?? signal}) before ${pattern}:\n${output}`)));
    });
  const listening = await waitFor(/Server listening at http:\/\/127\.0\.0\.1:\d+/);
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(listening)![1]);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    lines,
    errorLines,
    output: () => output,
    waitFor,
    exited,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs Kassa (the server, or a CLI command) expecting it to stop by itself. */
export function runKassa(args: string[], env: Record<string, string>, entry = 'src/cli/main.ts'): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...nodeArgs(entry), ...args],
      { cwd: ROOT, env: childEnv(env), timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The same command line in this process: the code path of the subprocess minus its start-up cost. */
export async function kassaInProcess(args: string[], env: Record<string, string>): Promise<Finished> {
  const { runCli } = await import('../../src/cli/program.ts');
  let stdout = '';
  let stderr = '';
  const code = await runCli(['node', 'kassa', ...args], env, {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

export const apiHeaders = (apiKey: string) => ({
  'x-api-key': apiKey,
  'x-api-version': '2.4',
  'content-type': 'application/json',
});

/** Connections to the test's processes, kept open between requests. */
const agent = new Agent({ keepAlive: true });

/**
 * One HTTP request over node:http; resolves with the status and the body as text. The suites that
 * make thousands of requests (1,000 payments) use this: fetch costs several times the CPU per request.
 */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Real Kassa processes for one suite, and what they leave behind: `start` spawns one with the
 * suite's API key, `cleanup` registers a folder or database to remove; `close()` (the suite's
 * `after`) kills every process, then runs the cleanups. `call` is one JSON request with the key
 * (or the headers given); its body is parsed when there is one.
 */
export function processFleet(apiKey: string) {
  const processes: KassaProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  return {
    async start(env: Record<string, string>): Promise<KassaProcess> {
      const p = await startKassa({ KASSA_API_KEY: apiKey, KASSA_DB_POOL_SIZE: '5', ...env });
      processes.push(p);
      return p;
    },
    cleanup(step: () => Promise<void>): void {
      cleanups.push(step);
    },
    async call(p: KassaProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = apiHeaders(apiKey)) {
      const res = await send(`${p.url}${path}`, method, headers, body === undefined ? undefined : JSON.stringify(body));
      return { status: res.status, body: res.text ? (JSON.parse(res.text) as any) : undefined };
    },
    async close(): Promise<void> {
      for (const p of processes) await p.stop('SIGKILL');
      for (const c of cleanups) await c();
    },
  };
}
