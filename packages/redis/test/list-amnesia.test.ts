import { randomBytes } from 'node:crypto';
import { type BlobStore, createMultiCloudStore, type Journal } from '@failover/storage';
import { expect, it } from 'vitest';
import { switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal } from '../src/index.js';
import { client, later, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

async function keysOf(store: BlobStore, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const e of store.list({ prefix })) if ('key' in e) out.push(e.key);
  return out;
}

/**
 * A listing with a shared journal first looks up every instance's pending entries (up to a second
 * when Redis is slow or away), then lists a target whose epoch marker it has seen. A marker seen
 * during that lookup proves nothing about the target's data at its listing: fleet soak seed 119
 * listed a cloud wiped while the lookup waited on a paused Redis (a read had seen its marker just
 * before), and left out every key.
 */
it('a listing trusts only a marker seen after its shared journal lookup: a cloud wiped while the lookup waited is not listed', async () => {
  const redis = await redisServer();
  const shared = createRedisJournal({
    client: await client(redis.url),
    prefix: `t:${randomBytes(6).toString('hex')}`,
  });
  let armed = false;
  let reach = () => {};
  let release = () => {};
  const reached = new Promise<void>((r) => {
    reach = r;
  });
  const released = new Promise<void>((r) => {
    release = r;
  });
  // The listing's lookup of the shared pending entries waits until released.
  const journal: Journal = new Proxy(shared, {
    get(target, prop, receiver) {
      if (prop === 'pending') {
        return async () => {
          if (armed) {
            armed = false;
            reach();
            await released;
          }
          return target.pending();
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const targets = ['aws', 'gcp', 'azure'].map((n) => switchable(n));
  const store = createMultiCloudStore({
    targets,
    journal,
    failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100 } },
    amnesia: { recheckMs: 60_000 },
    repair: { intervalMs: false, delayMs: false, settleMs: 0, onRecovery: false },
  });
  later(() => store.close());
  await store.put('k', 'v');
  armed = true;
  const listing = keysOf(store);
  await reached;
  // A read meanwhile: aws's "not found" is trusted once its marker is seen (now).
  expect(await store.head('absent')).toBeNull();
  // Then aws loses its data, its marker with it.
  for (const key of await keysOf(targets[0]!.inner)) await targets[0]!.inner.delete(key);
  release();
  expect(await listing).toEqual(['k']);
});
