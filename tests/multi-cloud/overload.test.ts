import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileJournal, createMultiCloudStore, getBytes } from '@failover/storage';
import { faults } from '@failover/testkit';
import { describe, expect, it } from 'vitest';
import { simulateEventLoopLag } from '../../packages/core/src/stall.js';
import { bytesFor, countingCalls, freshBuckets, putAndReadUntil, useClouds } from './harness.js';

/**
 * Issue 10: "local stalls are not cloud failures" must not excuse a dead cloud. Under sustained
 * CPU overload of this process (simulated deterministically through the stall monitor's test seam:
 * every tick of its drift timer 150 ms late, as with two busy loops on a loaded machine, without
 * burning CPU), a blackholed S3 is still left, because GCS and Azure keep answering meanwhile, and
 * the healthy clouds are not. Real servers, real SDKs, the testkit's fault proxy; default options.
 */
describe('sustained CPU overload of the client (simulated) and a blackholed cloud', () => {
  const fx = useClouds();

  it('the blackholed cloud is left, the healthy ones are not, and no call fails', async () => {
    const { clouds } = fx;
    const buckets = await freshBuckets(clouds, 'overload');
    // Every call the router makes on S3's store (attempts, and reruns of excused timeouts), but
    // the store's own epoch marker's (its first write may come after the warm-up put).
    const counted = countingCalls(
      buckets.viaProxy[0],
      undefined,
      (args) => !String(args[0]).startsWith('_failover/'),
    );
    const aws = counted.store;
    const store = createMultiCloudStore({
      targets: [aws, buckets.viaProxy[1], buckets.viaProxy[2]],
      journal: createFileJournal({ dir: await mkdtemp(join(clouds.tmp, 'journal-')) }),
      repair: { intervalMs: false, delayMs: false, onRecovery: false },
      // This test is about the stall excuse of S3's timeouts: S3 must not be left on its silence
      // before they come back (tests/multi-cloud/unresponsive.test.ts covers that).
      unresponsive: false,
    });
    fx.stores.push(store);
    const opened: string[] = [];
    store.on('open', (e) => opened.push(e.target));
    await store.put('warm', bytesFor('warm', 0));

    simulateEventLoopLag(150);
    await clouds.proxies[0].setFault(faults.blackhole());
    counted.reset();
    let written: Map<string, Buffer>;
    try {
      // Sequential puts and gets (each put is copied to all three clouds at once, so GCS and Azure
      // answer while S3's copy waits for its 2 s response bound), until S3's breaker opens.
      written = await putAndReadUntil(store, () => opened.includes('aws'), 2000);
    } finally {
      simulateEventLoopLag(0);
    }
    expect(opened).toEqual(['aws']);
    const [s3, gcs, azure] = store.status().targets;
    expect(s3?.state).toBe('open');
    expect(s3?.lastFailure?.kind).toBe('timeout');
    expect([gcs?.state, azure?.state]).toEqual(['closed', 'closed']);
    // Its timeouts were counted, not excused as this process's stalls: no put's copy to S3 was run
    // again (an excused timeout is rerun up to twice), so S3 saw at most one call per put (the
    // gets read the clouds that hold each object).
    expect(counted.calls()).toBeLessThanOrEqual(written.size);
    expect(s3?.failures.timeout).toBeGreaterThanOrEqual(3);
    // Every acknowledged write reads back while S3 is still blackholed.
    for (const [key, bytes] of written) expect((await getBytes(store, key)).equals(bytes)).toBe(true);
  });
});
