// startKassa's server: the built server (dist/kassa/main.js, what `npm start` runs, with V8's code
// cache) as a child process on a port chosen here, so KASSA_PUBLIC_URL, which the client tokens and the
// 3DS and redirect pages' URLs are built from, can name it. A child, not the app in the test's process:
// it starts as fast (docs/testing.md, "How it starts") and shares nothing with the test: not its event
// loop (SQLite's writes block it), not its module state, not its environment (but for its clock and zone).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The package's root: this file is src/testing/ or dist/src/testing/ under it. */
const ROOT = existsSync(join(here, '..', '..', 'package.json')) ? join(here, '..', '..') : join(here, '..', '..', '..');
export const SERVER = join(ROOT, 'dist', 'kassa', 'main.js');

/** Lines of the server's output kept for an error message. */
const KEPT_LINES = 200;
/** Exit code of a server that could not listen (src/server.ts): the port was taken meanwhile. */
const CANNOT_LISTEN = 2;

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** The last lines the server wrote (its JSON log, and what it prints on stderr). */
  output(): string;
  /** Ends the server; resolves when it exited. */
  stop(): Promise<void>;
}

/** Whether the server's compiled code is cached (src/lib/code-cache.cjs: `server.cjs.<hash>.v8-cache` beside it). */
function hasCodeCache(): boolean {
  try {
    return readdirSync(dirname(SERVER)).some((name) => name.startsWith('server.cjs.') && name.endsWith('.v8-cache'));
  } catch {
    return false;
  }
}

/** A port free now (the kernel's pick, released at once). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts the server with `env` on a free port; tries another port if it was taken in between. */
export async function startServer(env: Record<string, string>, timeoutMs: number): Promise<ServerProcess> {
  if (!existsSync(SERVER)) throw new Error(`kassa/testing: ${SERVER} is missing: build Kassa first (npm run build)`);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startOn(port, env, timeoutMs);
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === 3) throw error;
    }
  }
}

class PortTaken extends Error {}

/**
 * What the test's process runs under, passed on so the server keeps the same clock and zone: a suite
 * under faketime (LD_PRELOAD, FAKETIME…) or TZ. Nothing else of the test's environment is.
 */
const RUNTIME = /^(LD_PRELOAD|FAKETIME.*|DONT_FAKE_MONOTONIC|TZ)$/;
const runtimeEnv = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => RUNTIME.test(e[0]) && e[1] !== undefined));

function startOn(port: number, env: Record<string, string>, timeoutMs: number): Promise<ServerProcess> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [SERVER], {
    env: { ...runtimeEnv(), KASSA_PUBLIC_URL: url, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let listening: (() => void) | undefined;
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      if (listening && line.includes('"Server listening at')) listening();
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const output = () => lines.join('\n');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // Its data is thrown away, so a graceful drain (which gives idle keep-alive connections 2 s) buys
    // nothing, except the first time: V8's code cache is written as the server exits normally.
    const graceful = !hasCodeCache();
    child.kill(graceful ? 'SIGTERM' : 'SIGKILL');
    const kill = graceful ? setTimeout(() => child.kill('SIGKILL'), 10_000) : undefined;
    await exited;
    clearTimeout(kill);
  };
  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kassa/testing: the server did not listen within ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    listening = () => {
      clearTimeout(timer);
      listening = undefined;
      // From now on a test that forgets close() must not be kept alive by the server; startKassa kills it at exit.
      child.unref();
      (child.stdout as unknown as { unref(): void }).unref();
      (child.stderr as unknown as { unref(): void }).unref();
      resolve({ url, child, output, stop });
    };
    void exited.then((code) => {
      if (!listening) return;
      clearTimeout(timer);
      reject(
        code === CANNOT_LISTEN && /port is already in use/.test(output())
          ? new PortTaken()
          : new Error(`kassa/testing: the server exited (${code}) before listening:\n${output()}`),
      );
    });
  });
}
