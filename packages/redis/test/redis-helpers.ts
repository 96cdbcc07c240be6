import { type RedisLocalServer, type RedisServerOptions, startRedisServer } from '@failover/testkit';
import { createClient, type RedisClientType } from 'redis';
import { afterEach } from 'vitest';

/** A connected node-redis client as `createClient()` makes it. */
export type Client = RedisClientType;

/** Connects a client that does not retry for ever (tests kill servers). */
export function connectClient(url: string, options: { reconnect?: boolean } = {}): Promise<Client> {
  const client = createClient({
    url,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy:
        options.reconnect === false ? false : (retries: number) => Math.min(20 * 2 ** retries, 200),
    },
  });
  client.on('error', () => undefined);
  return client.connect();
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];

/** Runs the cleanups registered by the helpers below after each test, newest first. */
export function useCleanups(): void {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
}

/** Starts a redis-server that is stopped after the test. */
export async function redisServer(options?: RedisServerOptions): Promise<RedisLocalServer> {
  const redis = await startRedisServer(options);
  cleanups.push(() => redis.stop());
  return redis;
}

/** A client closed (or destroyed) after the test. */
export async function client(url: string, options?: { reconnect?: boolean }): Promise<Client> {
  const c = await connectClient(url, options);
  cleanups.push(() => (c.isOpen ? c.destroy() : undefined));
  return c;
}

/** Registers a cleanup. */
export function later(cleanup: () => Promise<unknown> | unknown): void {
  cleanups.push(cleanup);
}

/**
 * A real client whose commands are recorded as they are sent (instrumentation of the server's
 * traffic, not a stand-in for Redis).
 */
export function listing(c: Client): { client: Client; sent: string[][] } {
  const sent: string[][] = [];
  const wrapped = new Proxy(c, {
    get(target, prop, receiver) {
      if (prop === 'sendCommand') {
        return (args: string[], options?: unknown) => {
          sent.push([...args]);
          return target.sendCommand(args, options as never);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { client: wrapped, sent };
}
