import type { RedisFleetClient } from './fleet-types.js';
import { ReadyGate } from './ioredis-gate.js';
import { ioredisSubscriber } from './ioredis-subscriber.js';
import type { IoredisClient } from './ioredis-types.js';

/**
 * Whether `value` looks like an ioredis client (`new Redis()`): `call`, `duplicate` and a string
 * `status`. node-redis clients have no `call` and no `status`.
 */
export function isIoredisClient(value: unknown): value is IoredisClient {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<Record<keyof IoredisClient, unknown>>;
  return (
    typeof v.call === 'function' &&
    typeof v.duplicate === 'function' &&
    typeof v.status === 'string' &&
    typeof v.on === 'function' &&
    typeof v.off === 'function'
  );
}

/** The ioredis client's `keyPrefix`, `''` when it has none. */
export function keyPrefixOf(client: IoredisClient): string {
  const prefix = (client.options as { keyPrefix?: unknown } | undefined)?.keyPrefix;
  return typeof prefix === 'string' ? prefix : '';
}

const adapters = new WeakMap<IoredisClient, RedisFleetClient>();

/**
 * The ioredis client as the node-redis shape the rest of the package talks to: `sendCommand`
 * through a {@link ReadyGate} (one per client, so commands keep the order they were made in) and
 * `duplicate()` as a {@link ioredisSubscriber}.
 */
export function adaptIoredis(client: IoredisClient): RedisFleetClient {
  let adapted = adapters.get(client);
  if (adapted === undefined) {
    const gate = new ReadyGate(client);
    adapted = {
      sendCommand: <T>(args: readonly string[], options?: { abortSignal?: AbortSignal }) =>
        gate.send(args, options?.abortSignal) as Promise<T>,
      duplicate: () => ioredisSubscriber(client),
    };
    adapters.set(client, adapted);
  }
  return adapted;
}
