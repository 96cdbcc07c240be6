import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedisJournal, type FallbackJournal, withLocalFallback } from '@failover/redis';
import {
  createFileJournal,
  createMultiCloudStore,
  getText,
  isPrefixEntry,
  type Journal,
  type MultiCloudStore,
  type MultiCloudStoreOptions,
} from '@failover/storage';
import { faults, type RedisLocalServer, startRedisServer } from '@failover/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cloudStores, startTargetOrderClouds, type TargetOrderClouds } from '../support/clouds.js';
import { connectRedis } from './fleet-instance.js';
import { testFailover } from './test-failover.js';

/**
 * A listing on an instance whose fallback journal still keeps, unmerged, an older write of a key
 * that another instance has since overwritten (found while chasing the fleet soak's unexplained
 * stale listing: docs/benchmarks.md, stop 43). Entries are kept locally while an instance takes
 * Redis for away; they stay kept after Redis answers again until the fallback's merge has moved
 * them (a restarted instance merges its predecessor's as it opens; a running one within
 * `mergeIntervalMs`). A key's lookup (`pendingOf`, reads) leaves out a kept entry that the key's
 * high-water mark in Redis shows superseded; the whole backlog (`pending()`, a listing's lookup)
 * did not, so the older delete hid the newer put from listings while reads returned it.
 *
 * Real servers: the three local clouds (AWS refused through its fault proxy) and redis-server,
 * paused with SIGSTOP while the first instance deletes. No timing is asserted: the merge is held
 * at its first append to Redis (a gate on the instance's own journal calls) while the listing
 * runs.
 */

let clouds: TargetOrderClouds;
let tmp: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  clouds = await startTargetOrderClouds();
  tmp = await mkdtemp(join(tmpdir(), 'failover-kept-listing-'));
}, 120_000);

afterAll(async () => {
  await clouds?.stop();
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** The store options of every instance here: no repair by itself, no epoch markers. */
function storeOptions(bucket: string, journal: Journal): MultiCloudStoreOptions {
  return {
    targets: cloudStores(bucket, clouds.app),
    journal,
    failover: testFailover(),
    amnesia: false,
    // No settle window: a write every cloud took leaves nothing pending.
    repair: { intervalMs: false, delayMs: false, onRecovery: false, settleMs: 0 },
    spool: { memoryBytes: 64 * 1024, dir: tmp },
  };
}

/** One instance: the Redis journal (`gate` wraps it) with a local file journal as its fallback. */
async function instance(
  redis: RedisLocalServer,
  bucket: string,
  id: string,
  journalDir: string,
  gate: (j: Journal) => Journal = (j) => j,
  writes?: MultiCloudStoreOptions['writes'],
): Promise<{ store: MultiCloudStore; journal: FallbackJournal }> {
  const client = await connectRedis(redis.url);
  const shared = createRedisJournal({ client, prefix: `kept:${bucket}`, instanceId: id, timeoutMs: 300 });
  // The merge runs only when the test says (`merge()`) or as the journal opens.
  const journal = withLocalFallback(gate(shared), createFileJournal({ dir: journalDir }), {
    mergeIntervalMs: 3_600_000,
    checkIntervalMs: 3_600_000,
  });
  const store = createMultiCloudStore({
    ...storeOptions(bucket, journal),
    writerId: id,
    ...(writes === undefined ? {} : { writes }),
  });
  cleanups.push(async () => {
    await store.close();
    if (client.isOpen) client.destroy();
  });
  return { store, journal };
}

async function keysOf(store: MultiCloudStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const e of store.list({ prefix })) if (!isPrefixEntry(e)) keys.push(e.key);
  return keys;
}

describe('a listing on an instance with an older delete kept in its local fallback', () => {
  it("lists another instance's newer put of the key, as its reads return it", async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const bucket = `kept-${Date.now().toString(36)}`;
    await Promise.all([
      clouds.s3.createBucket(bucket),
      clouds.gcs.createBucket(bucket),
      clouds.azure.createBucket(bucket),
    ]);
    const key = 'jk/k8';
    const dirA = await mkdtemp(join(tmp, 'journal-a-'));
    // Its writes answer once every cloud took them.
    const other = await instance(
      redis,
      bucket,
      'instance-1',
      await mkdtemp(join(tmp, 'journal-b-')),
      undefined,
      'mirror',
    );
    await other.store.put(key, Buffer.from('put #1'));

    // Instance 0 deletes the key while it cannot reach Redis and AWS refuses: acknowledged by GCP
    // and Azure, recorded in its local fallback as missing on AWS, which still holds put #1.
    const first = await instance(redis, bucket, 'instance-0', dirA);
    expect(await getText(first.store, key)).toBe('put #1');
    await clouds.proxies[0].setFault(faults.refuse());
    await redis.pause();
    try {
      await first.store.delete(key);
    } finally {
      redis.resume();
    }
    expect(first.journal.primaryAway()).toBe(true);
    expect(first.journal.localBacklog).toBeGreaterThan(0);
    // It is killed: its journal directory as it is on disk now (a close would merge them).
    const killed = await mkdtemp(join(tmp, 'killed-'));
    await cp(join(dirA, 'journal.jsonl'), join(killed, 'journal.jsonl'));
    await clouds.proxies[0].setFault(faults.pass());

    // The other instance puts the key again, on every cloud: nothing pending in Redis for it.
    await other.store.put(key, Buffer.from('put #2'));
    expect(await other.journal.pending()).toEqual([]);

    // Instance 0 restarts on its directory with Redis answering; the merge of what its
    // predecessor kept is held at its first append to Redis while it lists and reads.
    let release: () => void = () => undefined;
    const door = new Promise<void>((r) => {
      release = r;
    });
    const gate = (j: Journal): Journal =>
      new Proxy(j, {
        get(target, prop, receiver) {
          if (prop === 'append') {
            return async (...args: Parameters<Journal['append']>) => {
              await door;
              return target.append(...args);
            };
          }
          const value = Reflect.get(target, prop, receiver) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const restarted = await instance(redis, bucket, 'instance-0', killed, gate);
    cleanups.push(async () => release()); // first: its close waits for the merge
    expect(await keysOf(restarted.store, 'jk/')).toEqual([key]);
    expect(restarted.journal.primaryAway()).toBe(false);
    expect(restarted.journal.localBacklog).toBeGreaterThan(0); // the delete still kept, unmerged
    expect(await getText(restarted.store, key)).toBe('put #2');
    release();
    await restarted.journal.merge();
    expect(restarted.journal.localBacklog).toBe(0);
    expect(await keysOf(restarted.store, 'jk/')).toEqual([key]);
    expect(await getText(restarted.store, key)).toBe('put #2');
  }, 60_000);
});
