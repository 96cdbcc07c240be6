import { randomBytes } from 'node:crypto';
import { InvalidOptionError, integerOption } from '@failover/core';
import type { RedisCommandClient } from './client.js';

/** Options of {@link createRedisJournal}. */
export interface RedisJournalOptions {
  /**
   * A connected node-redis client (`createClient()` from the `redis` package, v5 or v6), shared with
   * the rest of the application. The journal never connects, closes or reconfigures it.
   */
  client: RedisCommandClient;
  /**
   * Start of every Redis key of the journal. Every instance of an application that shares one
   * journal uses the same prefix; two applications use two prefixes. The keys are
   * `{<prefix>}:entries`, `:bykey`, `:order` and `:meta` (one hash slot, so a Redis Cluster works).
   * Default `failover:journal`.
   */
  prefix?: string;
  /**
   * How long one Redis call may take before it rejects with a `JournalError` (`kind: 'timeout'`),
   * in milliseconds, so a slow or hung Redis never holds a write for long. Default 1000.
   */
  timeoutMs?: number;
  /** The journal's name in errors' `target`. Default `redis-journal:<prefix>`. */
  name?: string;
  /** This instance's id as the holder of repair leases. Default: a random id. */
  instanceId?: string;
}

/** The options with their defaults. */
export interface ResolvedRedisJournalOptions {
  readonly client: RedisCommandClient;
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly name: string;
  readonly keys: readonly [entries: string, bykey: string, order: string, meta: string];
  readonly instanceId: string;
  leaseKey(key: string): string;
}

/** Default of {@link RedisJournalOptions.prefix}. */
export const DEFAULT_JOURNAL_PREFIX = 'failover:journal';
/** Default of {@link RedisJournalOptions.timeoutMs}. */
export const DEFAULT_REDIS_TIMEOUT_MS = 1000;

/** Checks the options (throwing `InvalidOptionError` with the option's path) and applies defaults. */
export function resolveRedisJournalOptions(options: RedisJournalOptions): ResolvedRedisJournalOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('options', 'must be an object with a client');
  }
  const client = checkClient(options.client, 'client');
  const prefix = prefixOption(options.prefix, 'prefix', DEFAULT_JOURNAL_PREFIX);
  const timeoutMs = integerOption('timeoutMs', options.timeoutMs, 1, 60_000, DEFAULT_REDIS_TIMEOUT_MS);
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new InvalidOptionError('name', 'must be a non-empty string');
  }
  if (
    options.instanceId !== undefined &&
    (typeof options.instanceId !== 'string' || options.instanceId === '')
  ) {
    throw new InvalidOptionError('instanceId', 'must be a non-empty string');
  }
  const tag = `{${prefix}}`;
  return {
    instanceId: options.instanceId ?? randomBytes(8).toString('hex'),
    leaseKey: (key) => `${tag}:lease:${key}`,
    client,
    prefix,
    timeoutMs,
    name: options.name ?? `redis-journal:${prefix}`,
    keys: [`${tag}:entries`, `${tag}:bykey`, `${tag}:order`, `${tag}:meta`],
  };
}

/** Checks that `client` can send commands. */
export function checkClient(client: unknown, path: string): RedisCommandClient {
  if (
    client === null ||
    typeof client !== 'object' ||
    typeof (client as { sendCommand?: unknown }).sendCommand !== 'function'
  ) {
    throw new InvalidOptionError(path, 'must be a node-redis client (createClient() from the redis package)');
  }
  return client as RedisCommandClient;
}

/** A key prefix option: a non-empty string without `{`, `}` or whitespace. */
export function prefixOption(value: unknown, path: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '' || /[{}\s]/.test(value) || value.length > 200) {
    throw new InvalidOptionError(
      path,
      'must be a non-empty string of at most 200 characters without braces or spaces',
    );
  }
  return value;
}
