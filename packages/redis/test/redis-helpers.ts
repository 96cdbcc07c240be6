import {
  type BlobStore,
  createMemoryStore,
  createMultiCloudStore,
  isPrefixEntry,
  type Journal,
  type MultiCloudStore,
  type MultiCloudStoreOptions,
  StorageError,
} from '@failover/storage';
import { type RedisLocalServer, type RedisServerOptions, startRedisServer } from '@failover/testkit';
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { createClient, type RedisClientType } from 'redis';
import { afterEach } from 'vitest';

/** A connected node-redis client as `createClient()` makes it. */
export type Client = RedisClientType;

/** The Redis clients the package supports: node-redis, ioredis 6 and ioredis 5. */
export type ClientKind = 'node-redis' | 'ioredis' | 'ioredis5';
/** Every supported client: tests that take a client run once per kind. */
export const CLIENT_KINDS: readonly ClientKind[] = ['node-redis', 'ioredis', 'ioredis5'];
/** A connected client of any supported kind. */
export type AnyClient = Client | Redis | Redis5;

/** Options of {@link connectAny}. */
export interface ConnectOptions {
  /** `false`: never reconnect (tests kill servers). Default: reconnect every 20..200 ms. */
  reconnect?: boolean;
  /**
   * ioredis only: keep ioredis's own retry strategy (its default backoff) instead of the quick
   * one above, as an application that sets nothing has it.
   */
  defaultRetry?: boolean;
}

/**
 * Connects a client of `kind` to `url`. ioredis clients keep every other default (offline queue
 * on, `maxRetriesPerRequest: 20`, `autoResendUnfulfilledCommands: true`): what the package must
 * cope with as a user has it.
 */
export async function connectAny(
  kind: ClientKind,
  url: string,
  options: ConnectOptions = {},
): Promise<AnyClient> {
  if (kind === 'node-redis') return connectClient(url, options);
  const retryStrategy =
    options.reconnect === false ? () => null : (times: number) => Math.min(20 * 2 ** times, 200);
  const settings = {
    lazyConnect: true,
    connectTimeout: 2000,
    ...(options.defaultRetry === true ? {} : { retryStrategy }),
  };
  const c = kind === 'ioredis' ? new Redis(url, settings) : new Redis5(url, settings);
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** Sends a raw command on any client (`SCRIPT FLUSH`, `HGETALL`...). */
export function raw(c: AnyClient, args: readonly string[]): Promise<unknown> {
  if (c instanceof Redis || c instanceof Redis5) return c.call(args[0] ?? '', args.slice(1));
  return c.sendCommand([...args]);
}

/** Whether the client's connection is ready now. */
export function isReady(c: AnyClient): boolean {
  if (c instanceof Redis || c instanceof Redis5) return c.status === 'ready';
  return c.isReady;
}

/** Closes a client of any kind at once. */
export function destroy(c: AnyClient): void {
  if (c instanceof Redis || c instanceof Redis5) c.disconnect();
  else if (c.isOpen) c.destroy();
}

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

/** A client of `kind`, closed after the test. */
export async function clientOf(kind: ClientKind, url: string, options?: ConnectOptions): Promise<AnyClient> {
  const c = await connectAny(kind, url, options);
  cleanups.push(() => destroy(c));
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

/**
 * `journal` with some of its methods replaced by `overrides` (instrumentation of the store's calls
 * to a real journal: holding or failing one of them); every other member goes to `journal`.
 */
export function overriding(journal: Journal, overrides: Partial<Journal>): Journal {
  return new Proxy(journal, {
    get(target, prop, receiver) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof Journal];
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Every key `store` lists under `prefix`, in order (with `delimiter`, a common prefix as itself). */
export async function keysOf(store: BlobStore, prefix = '', delimiter?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of store.list({ prefix, ...(delimiter === undefined ? {} : { delimiter }) })) {
    out.push(isPrefixEntry(e) ? e.prefix : e.key);
  }
  return out;
}

/** A promise and the function that fulfils it (Node 20 has no `Promise.withResolvers`). */
export function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A multi-cloud store over `targets` for the fleet tests: one attempt per target, no budget, no
 * automatic repair or epoch markers, no settle window; closed after the test.
 */
export function storeOf(
  targets: BlobStore[],
  journal: Journal,
  amnesia: MultiCloudStoreOptions['amnesia'] = false,
): MultiCloudStore {
  const store = createMultiCloudStore({
    targets,
    journal,
    failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100 } },
    amnesia,
    repair: { intervalMs: false, delayMs: false, settleMs: 0, onRecovery: false },
  });
  later(() => store.close());
  return store;
}

/** A memory cloud whose writes fail with `unavailable` while `down` is set. */
export function downableCloud(name: string): BlobStore & { down: boolean } {
  const inner = createMemoryStore({ name });
  const s: BlobStore & { down: boolean } = {
    ...inner,
    down: false,
    put: (...args) => (s.down ? Promise.reject(outage()) : inner.put(...args)),
    delete: (...args) => (s.down ? Promise.reject(outage()) : inner.delete(...args)),
  };
  const outage = () => new StorageError('unavailable', `${name} is down`, { target: name });
  return s;
}
