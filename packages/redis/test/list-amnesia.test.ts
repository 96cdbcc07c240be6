import { randomBytes } from 'node:crypto';
import { createMultiCloudStore } from '@failover/storage';
import { expect, it } from 'vitest';
import { switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal } from '../src/index.js';
import { client, keysOf, later, overriding, redisServer, signal, useCleanups } from './redis-helpers.js';

useCleanups();

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
  const reached = signal();
  const released = signal();
  // The listing's lookup of the shared pending entries waits until released.
  const journal = overriding(shared, {
    pending: async () => {
      if (armed) {
        armed = false;
        reached.resolve();
        await released.promise;
      }
      return shared.pending();
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
  await reached.promise;
  // A read meanwhile: aws's "not found" is trusted once its marker is seen (now).
  expect(await store.head('absent')).toBeNull();
  // Then aws loses its data, its marker with it.
  for (const key of await keysOf(targets[0]!.inner)) await targets[0]!.inner.delete(key);
  released.resolve();
  expect(await listing).toEqual(['k']);
});
