import { readOptions } from '@failover/core';
import { type RedisCaller, redisCaller } from './client.js';
import { FleetError } from './fleet-options.js';
import type { RedisFleetClient, RedisSubscriber } from './fleet-types.js';
import type { IoredisClient } from './ioredis-types.js';
import {
  DEFAULT_JOURNAL_PREFIX,
  DEFAULT_REDIS_TIMEOUT_MS,
  readClient,
  readPrefix,
} from './journal-options.js';

/** Options of {@link watchPendingKeys}. */
export interface PendingKeysWatchOptions {
  /**
   * A connected node-redis or ioredis client (as for `createRedisJournal`); the watch makes its own
   * subscriber with `client.duplicate()`.
   */
  client: RedisFleetClient | IoredisClient;
  /** The Redis journal's prefix (the same as `createRedisJournal`'s). Default `failover:journal`. */
  prefix?: string;
  /** Timeout of the snapshot read, in milliseconds. Default 1000. */
  timeoutMs?: number;
}

/**
 * The set of keys that have a pending journal entry anywhere in the fleet, kept in this process
 * and updated by Redis pub/sub; see {@link watchPendingKeys}.
 */
export interface PendingKeysWatch {
  /**
   * `true` when some instance has an acknowledged write of `key` that a target still lacks (read
   * it with `journal.pendingOf(key)` before trusting a target), `false` when none has, `undefined`
   * while the watch is not connected (Redis down, reconnecting): fall back to local knowledge.
   * Synchronous, no Redis call: the common path (no pending entry) costs a Set lookup.
   */
  has(key: string): boolean | undefined;
  /** Whether the watch is connected and up to date. */
  readonly connected: boolean;
  /** How many keys have pending entries, as the watch knows. */
  readonly size: number;
  /** Resolves once the first snapshot is loaded (never rejects; check `connected`). */
  readonly ready: Promise<void>;
  /** Closes the subscriber. */
  close(): Promise<void>;
}

/** First wait (ms) before a failed snapshot is read again; doubles up to {@link SNAPSHOT_RETRY_MAX_MS}. */
const SNAPSHOT_RETRY_MS = 100;
const SNAPSHOT_RETRY_MAX_MS = 5_000;

/**
 * Watches which keys of a Redis journal have pending entries, fleet-wide: a snapshot (HKEYS)
 * taken after subscribing to the journal's key events (`+key` when a key gets its first pending
 * entry, `-key` when it loses its last), then every event in order. A store uses it for
 * read-your-writes across instances: only a key the watch reports costs a Redis lookup.
 *
 * @example
 * const watch = watchPendingKeys({ client, prefix: 'photos-app:journal' });
 * await watch.ready;
 * if (watch.has('photos/cat.jpg') !== false) {
 *   // ask the journal which targets lack the newest version
 * }
 */
export function watchPendingKeys(options: PendingKeysWatchOptions): PendingKeysWatch {
  const r = readOptions(options);
  const client = readClient(r, true);
  const prefix = readPrefix(r, DEFAULT_JOURNAL_PREFIX);
  const timeoutMs = r.ms('timeoutMs', { min: 1, max: 60_000, default: DEFAULT_REDIS_TIMEOUT_MS });
  r.done();
  const bykey = `{${prefix}}:bykey`;
  const redis: RedisCaller = redisCaller(
    client,
    timeoutMs,
    'Pending keys watch',
    (kind, message, cause) => new FleetError(kind, message, { cause }),
  );
  const keys = new Set<string>();
  let connected = false;
  let closed = false;
  /** Events received while a snapshot is being read; applied after it, in order. */
  let buffered: string[] | undefined;
  let subscriber: RedisSubscriber | undefined;

  const applyEvent = (message: string): void => {
    if (message.startsWith('+')) keys.add(message.slice(1));
    else if (message.startsWith('-')) keys.delete(message.slice(1));
  };
  const onEvent = (message: string): void => {
    if (buffered !== undefined) buffered.push(message);
    else applyEvent(message);
  };
  let retry: NodeJS.Timeout | undefined;
  let retryMs = SNAPSHOT_RETRY_MS;
  const snapshot = async (): Promise<void> => {
    clearTimeout(retry);
    retry = undefined;
    connected = false;
    buffered = [];
    try {
      const all = await redis.call<unknown[]>(['HKEYS', bykey]);
      keys.clear();
      for (const key of all) keys.add(String(key));
      for (const message of buffered) applyEvent(message);
      connected = !closed && subscriber?.isReady === true;
      retryMs = SNAPSHOT_RETRY_MS;
    } catch {
      connected = false;
      // The subscriber is back but the command connection not yet (it reconnects on its own
      // schedule): read the snapshot again soon, or the watch would stay "unknown" for good.
      if (!closed && subscriber?.isReady === true) {
        retry = setTimeout(() => void snapshot(), retryMs);
        retry.unref?.();
        retryMs = Math.min(retryMs * 2, SNAPSHOT_RETRY_MAX_MS);
      }
    } finally {
      buffered = undefined;
    }
  };

  let started = false;
  const ready = (async () => {
    try {
      subscriber = client.duplicate();
      subscriber.on('error', () => {
        connected = false;
      });
      subscriber.on('end', () => {
        connected = false;
      });
      subscriber.on('ready', () => {
        if (started && !closed) void snapshot();
      });
      await subscriber.connect();
      await subscriber.subscribe(`${bykey}:events`, onEvent);
      started = true;
      if (closed) subscriber.destroy();
      else await snapshot();
    } catch {
      connected = false;
    }
  })();

  return {
    has: (key) => (connected ? keys.has(key) : undefined),
    get connected() {
      return connected;
    },
    get size() {
      return keys.size;
    },
    ready,
    close: async () => {
      closed = true;
      clearTimeout(retry);
      connected = false;
      subscriber?.destroy();
    },
  };
}
