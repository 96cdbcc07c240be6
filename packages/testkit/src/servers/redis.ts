import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOptions } from '@failover/core';
import {
  freePort,
  type RedisLaunch,
  redisArgs,
  waitUntilStopped,
  whichRedisServer,
} from './redis-process.js';

/** How a {@link startRedisServer} server keeps its data. */
export type RedisPersistence = 'memory' | 'aof-everysec' | 'aof-always';

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /**
   * `memory` (default): no RDB snapshots, no AOF; a kill or restart loses every key.
   * `aof-everysec`: append-only file fsynced once a second (a kill loses nothing, a machine crash
   * up to a second). `aof-always`: the AOF is fsynced before each write is answered.
   */
  persistence?: RedisPersistence;
  /** The `redis-server` binary. Default: `redis-server` from `PATH`. */
  command?: string;
  /** How long to wait for "Ready to accept connections", in milliseconds. Default 10 000. */
  startTimeoutMs?: number;
  /**
   * A password the server requires (`requirepass`: clients must authenticate, as the `default`
   * user): for tests that check no credential leaks into errors. Letters, digits and `_.~-`, up to
   * 200 characters. Default: none.
   */
  password?: string;
}

/** A running `redis-server` child process on `127.0.0.1`, for tests. */
export interface RedisLocalServer {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The TCP port; the same across {@link RedisLocalServer.restart}. */
  readonly port: number;
  /**
   * `redis://127.0.0.1:PORT`, for `createClient({ url })` or `new Redis(url)`; with a `password`,
   * `redis://:PASSWORD@127.0.0.1:PORT`.
   */
  readonly url: string;
  /** The password the server requires, if it was started with one. */
  readonly password: string | undefined;
  /** The server's own data directory (its AOF lives here); removed by {@link RedisLocalServer.stop}. */
  readonly directory: string;
  /** The persistence it was started with. */
  readonly persistence: RedisPersistence;
  /** The current process id (a restart gives a new one). */
  readonly pid: number;
  /** False after {@link RedisLocalServer.kill} (or a crash) until {@link RedisLocalServer.restart}. */
  readonly running: boolean;
  /** Sends SIGKILL (no shutdown, no final fsync) and waits until the process has exited. */
  kill(): Promise<void>;
  /**
   * Sends SIGSTOP: the server keeps its connections but answers nothing until
   * {@link RedisLocalServer.resume}. Resolves once the process is stopped (on Linux, read from
   * `/proc`; elsewhere once the signal was sent).
   */
  pause(): Promise<void>;
  /** Sends SIGCONT after {@link RedisLocalServer.pause}. */
  resume(): void;
  /**
   * Starts the server again on the same port with the same data directory (kills it first if it
   * is still running). With `persistence: 'memory'` it comes back empty.
   */
  restart(): Promise<void>;
  /** Kills the server and removes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const PERSISTENCE: readonly RedisPersistence[] = ['memory', 'aof-everysec', 'aof-always'];
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts `redis-server` (from `PATH`) on `127.0.0.1` at a free port, with a fresh temporary data
 * directory, no RDB snapshots and (by default) no AOF. The returned handle can kill the server
 * (SIGKILL), pause it (SIGSTOP/SIGCONT) and restart it on the same port with the same data, so a
 * test can play a Redis crash, a hung Redis or a Redis that comes back. Every server still running
 * is killed when the test process exits.
 *
 * Rejects at once, naming the package to install, when `redis-server` is not on `PATH`
 * (Debian/Ubuntu: `apt-get install -y --no-install-recommends redis-server`; macOS: `brew install
 * redis`).
 *
 * @example
 * const redis = await startRedisServer({ persistence: 'aof-always' });
 * const client = await createClient({ url: redis.url }).connect();
 * await redis.kill();
 * await redis.restart(); // same port, same AOF
 * await client.close();
 * await redis.stop();
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisLocalServer> {
  const r = readOptions(options);
  const persistence = r.oneOf('persistence', PERSISTENCE, { default: 'memory' });
  const startTimeoutMs = r.int('startTimeoutMs', { min: 1, default: 10_000 });
  const commandOption = r.string('command');
  const given = r.value('password');
  if (given !== undefined && (typeof given !== 'string' || !/^[A-Za-z0-9_.~-]{1,200}$/.test(given))) {
    // Without the value: it is a password.
    r.refuse('password', 'must be a string of 1 to 200 letters, digits and _.~-');
  }
  const password = given as string | undefined;
  r.done();
  const command = await whichRedisServer(commandOption);
  installExitHook();
  const directory = await mkdtemp(join(tmpdir(), 'failover-redis-'));

  let port = 0;
  let current: RedisLaunch | undefined;
  const launch = async (): Promise<void> => {
    const launched = await launchRedis({
      command,
      args: [
        ...redisArgs({ port, directory, persistence }),
        ...(password ? ['--requirepass', password] : []),
      ],
      startTimeoutMs,
    });
    current = launched;
  };

  try {
    // A free port can be taken between the probe and the bind: try a few.
    let lastError: unknown;
    for (let attempt = 0; attempt < 5 && current === undefined; attempt++) {
      port = await freePort(HOST);
      try {
        await launch();
      } catch (err) {
        lastError = err;
      }
    }
    if (current === undefined) throw lastError;
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }

  const running = (): RedisLaunch => {
    if (current === undefined || current.exited) throw new Error('redis-server is not running');
    return current;
  };
  const kill = async (): Promise<void> => {
    if (current === undefined || current.exited) return;
    // Keep this process alive until the child is gone (its handle was unref'd once ready).
    current.child.ref();
    current.child.kill('SIGCONT');
    current.child.kill('SIGKILL');
    await current.exit;
  };
  let stopping: Promise<void> | undefined;

  return {
    host: HOST,
    get port() {
      return port;
    },
    get url() {
      return `redis://${password ? `:${password}@` : ''}${HOST}:${port}`;
    },
    password,
    directory,
    persistence,
    get pid() {
      return current?.child.pid ?? -1;
    },
    get running() {
      return current !== undefined && !current.exited;
    },
    kill,
    pause: async () => {
      const { child } = running();
      child.kill('SIGSTOP');
      if (child.pid !== undefined) await waitUntilStopped(child.pid);
    },
    resume: () => {
      running().child.kill('SIGCONT');
    },
    restart: async () => {
      if (stopping) throw new Error('redis-server was stopped');
      await kill();
      await launch();
    },
    stop: () => {
      stopping ??= (async () => {
        await kill();
        await rm(directory, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

async function launchRedis(spec: {
  command: string;
  args: readonly string[];
  startTimeoutMs: number;
}): Promise<RedisLaunch> {
  const child = spawn(spec.command, [...spec.args], { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  live.add(child);
  const launched: RedisLaunch = {
    child,
    exited: false,
    exit: new Promise<void>((resolve) => {
      const done = (): void => {
        launched.exited = true;
        live.delete(child);
        resolve();
      };
      child.once('exit', done);
      child.once('error', done);
    }),
  };
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onData = (text: string): void => {
      output.push(text);
      if (output.length > 50) output.shift();
      buffered += text;
      if (buffered.includes('Ready to accept connections')) finish();
      buffered = buffered.slice(-100);
    };
    const onExit = (code: number | null): void => finish(new Error(`redis-server exited with code ${code}`));
    const onError = (err: Error): void => finish(err);
    const timer = setTimeout(
      () => finish(new Error(`redis-server not ready after ${spec.startTimeoutMs} ms`)),
      spec.startTimeoutMs,
    );
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (text: string) => output.push(text));
    child.once('exit', onExit);
    child.once('error', onError);
  }).catch(async (err: Error) => {
    child.kill('SIGKILL');
    await launched.exit;
    const tail = output.join('').trim().slice(-2000);
    throw new Error(
      `Could not start redis-server: ${err.message}${tail ? `\n--- redis-server output ---\n${tail}` : ''}`,
      {
        cause: err,
      },
    );
  });
  // Keep draining the pipes so the server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  return launched;
}
