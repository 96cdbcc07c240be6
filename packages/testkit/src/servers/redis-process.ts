import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** A launched `redis-server` child. */
export interface RedisLaunch {
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exit: Promise<void>;
  exited: boolean;
}

/** What to install when `redis-server` is missing. */
export const REDIS_INSTALL_HINT =
  'install the redis-server package (Debian/Ubuntu: apt-get install -y --no-install-recommends redis-server; macOS: brew install redis)';

/**
 * The path of the `redis-server` binary: `command` when given (a path or a name looked up on
 * `PATH`), else `redis-server` on `PATH`. Throws at once, naming the package to install, when
 * there is none.
 */
export async function whichRedisServer(command = 'redis-server'): Promise<string> {
  const candidates =
    isAbsolute(command) || command.includes('/')
      ? [command]
      : (process.env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`${command} was not found on PATH: ${REDIS_INSTALL_HINT}`);
}

/** The command line of a test server: loopback only, no snapshots, AOF as asked, logs on stdout. */
export function redisArgs(options: {
  port: number;
  directory: string;
  persistence: 'memory' | 'aof-everysec' | 'aof-always';
}): string[] {
  const aof = options.persistence !== 'memory';
  return [
    '--bind',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--dir',
    options.directory,
    '--save',
    '',
    '--appendonly',
    aof ? 'yes' : 'no',
    '--appendfsync',
    options.persistence === 'aof-always' ? 'always' : 'everysec',
    '--daemonize',
    'no',
    '--logfile',
    '',
    '--protected-mode',
    'yes',
  ];
}

/** A TCP port that was free a moment ago on `host`. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Resolves once process `pid` is stopped (state `T` in `/proc/PID/stat`), or at once where there
 * is no `/proc` or the process is gone.
 */
export async function waitUntilStopped(pid: number): Promise<void> {
  for (;;) {
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return;
    }
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'T' || state === 't' || state === 'Z' || state === 'X') return;
    await nextTurn();
  }
}
