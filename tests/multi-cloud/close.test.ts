import { text } from 'node:stream/consumers';
import { faults } from '@failover/testkit';
import { expect, it } from 'vitest';
import { freshBuckets, multiStore, testFailover, useClouds } from './harness.js';

/**
 * `close()` of a multi-cloud store whose default quorum write was acknowledged by two clouds while
 * the third's copy is still on its way: close waits for that copy, so nothing the store sent lands
 * after it returned (and after whatever the application does next, such as deleting a copy
 * behind the store's back).
 */
const fixture = useClouds();

it('close() returns only once the copies a quorum write was acknowledged without have ended', async () => {
  const { clouds } = fixture;
  const buckets = await freshBuckets(clouds, 'close');
  const { store } = await multiStore(clouds, buckets, { failover: testFailover(5_000) });
  await store.put('warm', 'x'); // connections open, versions known
  await clouds.proxies[2].setFault(faults.latency(400)); // Azure answers late
  await store.put('late/1', 'hello'); // acknowledged by S3 and GCS with Azure's copy on its way
  await store.close();
  await clouds.proxies[2].setFault(faults.pass());
  // Ground truth, straight from each server: every copy is there now, none still on its way.
  for (const direct of buckets.direct) {
    expect(await text((await direct.get('late/1')).body)).toBe('hello');
  }
});
