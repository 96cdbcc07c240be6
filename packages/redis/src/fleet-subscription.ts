import type { RedisFleetClient, RedisSubscriber } from './fleet-types.js';

/** The fleet's pub/sub connection, as fleet.ts uses it. */
export interface FleetSubscription {
  /** Resolves once subscribed and caught up (never rejects; `live` says whether it worked). */
  readonly ready: Promise<void>;
  /** True while subscribed. */
  live(): boolean;
  /** Closes the connection (now, or as soon as it is made). */
  destroy(): void;
}

/**
 * Makes the subscriber connection (`client.duplicate()`), subscribes `onMessage` to `channel`,
 * then calls `catchUp` (read what is open fleet-wide now); after a lost connection comes back
 * (node-redis subscribes again by itself), `catchUp` runs again for what was missed. Connection
 * failures never throw: the subscription is simply not live.
 *
 * @internal
 */
export function subscribeFleet(
  client: RedisFleetClient,
  channel: string,
  onMessage: (message: string) => void,
  catchUp: () => Promise<void>,
): FleetSubscription {
  let subscriber: RedisSubscriber | undefined;
  let subscribed = false;
  let started = false;
  let destroyed = false;
  const ready = (async () => {
    try {
      subscriber = client.duplicate();
      // Without an 'error' listener node-redis would crash the process on a lost connection.
      subscriber.on('error', () => {
        subscribed = false;
      });
      subscriber.on('end', () => {
        subscribed = false;
      });
      subscriber.on('ready', () => {
        if (started && !subscribed && !destroyed) {
          subscribed = true;
          void catchUp();
        }
      });
      await subscriber.connect();
      await subscriber.subscribe(channel, (message) => onMessage(message));
      subscribed = true;
      started = true;
      if (destroyed) subscriber.destroy();
      await catchUp();
    } catch {
      subscribed = false;
    }
  })();
  return {
    ready,
    live: () => subscribed,
    destroy: () => {
      destroyed = true;
      subscriber?.destroy();
    },
  };
}
