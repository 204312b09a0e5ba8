// A real Kassa process (src/server.ts through tsx) on a free loopback port, for end-to-end tests
// that need several processes or a database that goes away under a running server.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface KassaProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /** SIGTERM (graceful) or SIGKILL (crash), and wait for the exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export interface ExitedProcess {
  code: number | null;
  output: string;
}

function spawnKassa(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts Kassa and resolves once it listens (fails if it exits first). */
export function startKassa(env: Record<string, string>): Promise<KassaProcess> {
  const child = spawnKassa(env);
  let output = '';
  return new Promise((resolve, reject) => {
    // A bound on the wait, so a server that never listens fails the test instead of hanging it.
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Kassa did not listen within two minutes (needs LOG_LEVEL info or lower):\n${output}`));
    }, 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(guard);
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
        child.off('exit', onExit);
        resolve({
          url: match[1]!,
          child,
          output: () => output,
          stop: (signal = 'SIGTERM') =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('exit', () => done());
              child.kill(signal);
            }),
        });
      }
    };
    const onExit = (code: number | null) => {
      clearTimeout(guard);
      reject(new Error(`Kassa exited (${code}) before listening:\n${output}`));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', onExit);
  });
}

/** Runs Kassa expecting it to stop by itself (e.g. a database that is down at start-up). */
export function runKassaToExit(env: Record<string, string>): Promise<ExitedProcess> {
  const child = spawnKassa(env);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

export const apiHeaders = (apiKey: string) => ({
  'x-api-key': apiKey,
  'x-api-version': '2.4',
  'content-type': 'application/json',
});
