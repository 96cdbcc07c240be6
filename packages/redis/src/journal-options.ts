import { randomBytes } from 'node:crypto';
import { type OptionsReader, readOptions } from '@failover/core';
import type { RedisCommandClient } from './client.js';
import type { RedisFleetClient } from './fleet-types.js';
import { adaptIoredis, isIoredisClient, keyPrefixOf } from './ioredis.js';
import type { IoredisClient } from './ioredis-types.js';

/** Options of {@link createRedisJournal}. */
export interface RedisJournalOptions {
  /**
   * A connected Redis client shared with the rest of the application: node-redis
   * (`await createClient().connect()` from the `redis` package, v5 or v6) or ioredis
   * (`new Redis()` from the `ioredis` package, v5 or v6, without `keyPrefix`). The journal never
   * connects, closes or reconfigures it.
   */
  client: RedisCommandClient | IoredisClient;
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
  /** The Redis key of an object key's write lease (see `Journal.leaseWrite`). */
  writeLeaseKey(key: string): string;
  /** The Redis key of an object key's high-water mark. */
  highWaterKey(key: string): string;
}

/** Default of {@link RedisJournalOptions.prefix}. */
export const DEFAULT_JOURNAL_PREFIX = 'failover:journal';
/** Default of {@link RedisJournalOptions.timeoutMs}. */
export const DEFAULT_REDIS_TIMEOUT_MS = 1000;

/** Checks the options (throwing `InvalidOptionError` with the option's path) and applies defaults. */
export function resolveRedisJournalOptions(options: RedisJournalOptions): ResolvedRedisJournalOptions {
  const r = readOptions(options);
  const client = readClient(r);
  const prefix = readPrefix(r, DEFAULT_JOURNAL_PREFIX);
  const timeoutMs = r.ms('timeoutMs', { min: 1, max: 60_000, default: DEFAULT_REDIS_TIMEOUT_MS });
  const name = r.string('name', { default: `redis-journal:${prefix}` });
  const instanceId = r.string('instanceId') ?? randomBytes(8).toString('hex');
  r.done();
  const tag = `{${prefix}}`;
  return {
    instanceId,
    leaseKey: (key) => `${tag}:lease:${key}`,
    writeLeaseKey: (key) => `${tag}:wlease:${key}`,
    highWaterKey: (key) => `${tag}:hw:${key}`,
    client,
    prefix,
    timeoutMs,
    name,
    keys: [`${tag}:entries`, `${tag}:bykey`, `${tag}:order`, `${tag}:meta`],
  };
}

const CLIENT_RULE =
  'a node-redis client (createClient() from the redis package) or an ioredis client (new Redis() from the ioredis package)';
const PUBSUB_CLIENT_RULE =
  'a node-redis client with duplicate() (for pub/sub) or an ioredis client (new Redis() from the ioredis package)';

const isNodeRedis = (v: unknown): v is RedisCommandClient =>
  v !== null && typeof v === 'object' && typeof (v as { sendCommand?: unknown }).sendCommand === 'function';
const isClient = (v: unknown): v is RedisCommandClient | IoredisClient =>
  isIoredisClient(v) || isNodeRedis(v);
const isPubSubClient = (v: unknown): v is RedisFleetClient | IoredisClient =>
  isIoredisClient(v) || (isNodeRedis(v) && typeof (v as { duplicate?: unknown }).duplicate === 'function');

/**
 * Reads the required `client` option (with `pubsub`, it must also be able to make a subscriber
 * connection) and returns it in node-redis's shape: an ioredis client (told apart by its `call`
 * and `status`) comes wrapped by `adaptIoredis`. An ioredis client with a `keyPrefix` is refused:
 * ioredis would prefix the scripts' keys but not the channels the package publishes on.
 */
export function readClient(r: OptionsReader, pubsub?: false): RedisCommandClient;
export function readClient(r: OptionsReader, pubsub: true): RedisFleetClient;
export function readClient(r: OptionsReader, pubsub = false): RedisCommandClient {
  const client = pubsub
    ? r.check('client', isPubSubClient, PUBSUB_CLIENT_RULE, { required: true })
    : r.check('client', isClient, CLIENT_RULE, { required: true });
  if (!isIoredisClient(client)) return client;
  if (keyPrefixOf(client) !== '') {
    r.refuse(
      'client',
      'must not have a keyPrefix (give this package its own prefix with the `prefix` option; `client.duplicate({ keyPrefix: "" })` makes a client without one)',
    );
  }
  return adaptIoredis(client);
}

/** Reads a key prefix option: a non-empty string of at most 200 characters without `{`, `}` or white space. */
export function readPrefix(r: OptionsReader, fallback: string): string {
  return r.string('prefix', {
    pattern: /^[^{}\s]{1,200}$/,
    rule: 'a non-empty string of at most 200 characters without braces or spaces',
    default: fallback,
  });
}
