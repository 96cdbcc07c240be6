/**
 * The part of an ioredis client (`new Redis()` from the `ioredis` package, v5 or v6) this package
 * uses. A connected (or connecting) `Redis` instance fits as it is: pass it as `client` wherever a
 * node-redis client is accepted. Written out here so that this package's types need neither
 * `ioredis` nor `redis` installed.
 *
 * Commands go through `call()` and are only handed to the client while its connection is ready:
 * nothing this package sends ever waits in ioredis's offline queue (see docs/fleet.md). The client
 * must not have a `keyPrefix` (the `prefix` option of this package does that job).
 */
export interface IoredisClient {
  /** ioredis's generic command: `call('EVALSHA', [sha, ...])`. */
  call(command: string, args: (string | number)[]): Promise<unknown>;
  /** The connection state: `wait`, `connecting`, `connect`, `ready`, `close`, `reconnecting`, `end`. */
  readonly status: string;
  /** The client's options; only `keyPrefix` is read (it must be empty). */
  readonly options: { readonly keyPrefix?: string | undefined };
  /** A new connection with the same options: the subscriber of the fleet and the pending-keys watch. */
  duplicate(override?: { lazyConnect?: boolean; autoResubscribe?: boolean }): IoredisClient;
  /** Connects a client made with `lazyConnect` (the subscriber). */
  connect(): Promise<void>;
  /** Subscribes the (subscriber) connection to channels. */
  subscribe(...channels: string[]): Promise<unknown>;
  /** Closes the connection at once, without reconnecting (the subscriber). */
  disconnect(): void;
  /** Connection events (`ready`, `close`, `end`, `error`) and pub/sub messages (`message`). */
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'ready' | 'close' | 'end' | 'error', listener: (...args: unknown[]) => void): unknown;
  /** Removes a listener added with `on`. */
  off(event: 'ready' | 'close' | 'end', listener: (...args: unknown[]) => void): unknown;
}
