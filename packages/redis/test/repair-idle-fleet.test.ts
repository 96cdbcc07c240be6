import { randomBytes } from 'node:crypto';
import { createMultiCloudStore, getText } from '@failover/storage';
import { describe, expect, it, vi } from 'vitest';
import { createRedisJournal } from '../src/index.js';
import { client, downableCloud, later, overriding, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

// A cloud down for hours with a fleet's journal: each instance's automatic repair pass (one a
// second while it writes) used to read the whole backlog from Redis, and lease every pending key,
// to find that every pair was for the cloud that is down. Once a pass that read it found nothing it
// could copy, the automatic passes skip reading it until a target begins to take calls, a pair
// this instance knows of is for one that does, or 30 s passed.

describe('automatic repair passes on a fleet journal during a long outage', () => {
  it('read the backlog once while every target that lacks writes is down, and again as soon as one comes back', async () => {
    const redis = await redisServer();
    const c = await client(redis.url);
    let reads = 0;
    const base = createRedisJournal({ client: c, prefix: `idle:${randomBytes(6).toString('hex')}` });
    const journal = overriding(base, {
      pending: () => {
        reads++;
        return base.pending();
      },
    });
    const clouds = ['aws', 'gcp', 'azure'].map(downableCloud);
    const store = createMultiCloudStore({
      targets: clouds,
      journal,
      failover: {
        retry: { maxAttempts: 1 },
        budget: false,
        breaker: { volumeThreshold: 1, resetTimeoutMs: 600_000 },
      },
      amnesia: false,
      repair: { intervalMs: false, delayMs: 1, settleMs: 0, onRecovery: false },
    });
    later(() => store.close());
    const passes = () => store.status().counts.repairPasses;
    clouds[2]!.down = true;
    await store.put('k0', 'v');
    expect(store.status().targets[2]).toMatchObject({ name: 'azure', state: 'open' });
    // The first automatic pass reads the journal and finds only pairs for azure.
    await vi.waitFor(() => expect(passes()).toBeGreaterThanOrEqual(1));
    await vi.waitFor(() => expect(store.status().repair.running).toBe(false));
    const readsAfterFirst = reads;
    expect(readsAfterFirst).toBeGreaterThanOrEqual(1);
    for (let i = 1; i <= 10; i++) {
      const before = passes();
      await store.put(`k${i}`, 'v');
      await vi.waitFor(() => expect(passes()).toBeGreaterThan(before)); // each write asks for a pass
    }
    expect(store.status().journal.backlog).toBe(11);
    expect(reads).toBe(readsAfterFirst); // ten passes, no read of the backlog
    // azure is back: the next pass reads the journal and copies everything.
    clouds[2]!.down = false;
    store.recover('azure');
    await store.put('k11', 'v');
    await vi.waitFor(() => expect(store.status().journal.backlog).toBe(0));
    expect(reads).toBeGreaterThan(readsAfterFirst);
    expect(await getText(clouds[2]!, 'k7')).toBe('v');
  });
});
