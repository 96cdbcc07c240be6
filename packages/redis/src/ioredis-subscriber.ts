import type { RedisSubscriber } from './fleet-types.js';
import type { IoredisClient } from './ioredis-types.js';

/**
 * The pub/sub connection over an ioredis client, shaped like node-redis's (what the fleet and the
 * pending-keys watch use): a duplicate of `client` made with `lazyConnect`, so it connects when
 * asked, with `autoResubscribe` off.
 *
 * - `connect()` resolves on the first `ready` (ioredis keeps reconnecting after a failed first
 *   attempt; its own `connect()` promise would reject then) and rejects only if the connection
 *   ends for good.
 * - After a reconnect, the channels are subscribed again here (ioredis's `autoResubscribe` is
 *   off) and `ready` is passed on only once that is done, so a listener that catches up on what
 *   it missed (the fleet's resync, the watch's snapshot) misses nothing after it.
 * - `end` is passed on for ioredis's `close` too (a lost connection), like node-redis's.
 */
export function ioredisSubscriber(client: IoredisClient): RedisSubscriber {
  // Channels are subscribed again here after a reconnect, not by ioredis: its own resubscription
  // is a promise nobody handles, which rejects (unhandled) when the connection closes meanwhile.
  const sub = client.duplicate({ lazyConnect: true, autoResubscribe: false });
  const listeners = new Map<string, (message: string, channel: string) => unknown>();
  sub.on('message', (channel: string, message: string) => {
    listeners.get(channel)?.(message, channel);
  });
  let ended = false;
  sub.on('end', () => {
    ended = true;
  });

  return {
    connect: () =>
      new Promise<void>((resolve, reject) => {
        if (ended) {
          reject(new Error('the subscriber connection was closed'));
          return;
        }
        const onReady = (): void => {
          sub.off('end', onEnd);
          resolve();
        };
        const onEnd = (): void => {
          sub.off('ready', onReady);
          reject(new Error('the subscriber connection was closed'));
        };
        // The `connect()` promise rejects on a failed first attempt while ioredis keeps trying.
        sub.connect().catch(() => undefined);
        sub.on('ready', onReady);
        sub.on('end', onEnd);
      }),
    subscribe: async (channel, listener) => {
      listeners.set(channel, listener);
      await sub.subscribe(channel);
    },
    on(event, listener) {
      if (event === 'ready') {
        sub.on('ready', () => {
          if (listeners.size === 0) {
            listener();
            return;
          }
          sub.subscribe(...listeners.keys()).then(
            () => listener(),
            () => undefined, // Lost again: the next `ready` tries again.
          );
        });
      } else if (event === 'end') {
        sub.on('close', listener);
        sub.on('end', listener);
      } else {
        sub.on('error', listener);
      }
      return undefined;
    },
    destroy: () => {
      ended = true;
      sub.disconnect();
    },
    get isReady() {
      return sub.status === 'ready';
    },
  };
}
