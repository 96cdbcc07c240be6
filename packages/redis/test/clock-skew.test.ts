import { randomBytes } from 'node:crypto';
import {
  type BlobStore,
  createMemoryStore,
  createMultiCloudStore,
  getText,
  type MultiCloudStore,
  parseVersion,
  VERSION_KEY,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { createRedisJournal } from '../src/index.js';
import { client, later, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

// Two instances of a fleet share a Redis journal and three clouds; one's clock is a minute behind.
// Versions follow each writer's clock, so a blind overwrite (no read of the key first) from the
// slow instance used to get an older version than the write it replaced: that earlier write then
// won (reads and repair brought it back over the later, acknowledged one).

const SKEW_MS = 60_000;

async function fleetOfTwo(): Promise<{ fast: MultiCloudStore; slow: MultiCloudStore; clouds: BlobStore[] }> {
  const redis = await redisServer();
  const prefix = `skew:${randomBytes(6).toString('hex')}`;
  const clouds = ['aws', 'gcp', 'azure'].map((name) => createMemoryStore({ name }));
  const open = async (now?: () => number) => {
    const store = createMultiCloudStore({
      targets: clouds,
      journal: createRedisJournal({ client: await client(redis.url), prefix }),
      failover: { retry: { maxAttempts: 1 }, budget: false },
      amnesia: false,
      repair: { intervalMs: false, delayMs: false, settleMs: 0, onRecovery: false },
      ...(now === undefined ? {} : { now }),
    });
    later(() => store.close());
    return store;
  };
  return { fast: await open(), slow: await open(() => Date.now() - SKEW_MS), clouds };
}

/** The wall-clock part of the version `store` holds for `key`. */
async function versionMs(store: BlobStore, key: string): Promise<number | undefined> {
  const info = await store.head(key);
  const version = info?.metadata[VERSION_KEY];
  return version === undefined ? undefined : parseVersion(version)?.ms;
}

describe('clock skew between the instances of a fleet', () => {
  it('a blind overwrite from an instance whose clock is behind gets a newer version than the write it replaces, and wins', async () => {
    const { fast, slow, clouds } = await fleetOfTwo();
    await fast.put('k', 'v1');
    await slow.put('k', 'v2');
    for (const store of [fast, slow]) expect(await getText(store, 'k')).toBe('v2');
    await fast.repair();
    await slow.repair();
    for (const cloud of clouds) expect(await getText(cloud, 'k')).toBe('v2');
    for (const store of [fast, slow]) expect(await getText(store, 'k')).toBe('v2');
    // The slow instance's version moved past the fast one's (its own clock is a minute behind).
    expect(await versionMs(clouds[0]!, 'k')).toBeGreaterThan(Date.now() - SKEW_MS / 2);
  });

  it('a delete from the instance whose clock is behind sticks, and a put after it from the other wins', async () => {
    const { fast, slow, clouds } = await fleetOfTwo();
    await fast.put('k', 'v1');
    await slow.delete('k');
    for (const store of [fast, slow]) expect(await store.head('k')).toBeNull();
    await fast.repair();
    await slow.repair();
    for (const cloud of clouds) expect(await cloud.head('k')).toBeNull();
    for (const store of [fast, slow]) expect(await store.head('k')).toBeNull();
    await slow.put('k', 'v3');
    await fast.put('k', 'v4');
    await fast.repair();
    await slow.repair();
    for (const cloud of clouds) expect(await getText(cloud, 'k')).toBe('v4');
    for (const store of [fast, slow]) expect(await getText(store, 'k')).toBe('v4');
  });
});
