import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createFileJournal, StorageError } from '@failover/storage';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type SwitchableStore, switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal, withLocalFallback } from '../src/index.js';
import {
  client,
  keysOf,
  later,
  overriding,
  redisServer,
  signal,
  storeOf,
  useCleanups,
} from './redis-helpers.js';

useCleanups();
afterEach(() => {
  vi.useRealTimers();
});

/**
 * Fleet-wide read-your-writes for listings (found by the fleet-mode Jepsen soak: lists on one
 * instance missed keys another had written, and showed keys it had deleted, while the listed cloud
 * lacked those writes). Two instances share the clouds and a Redis journal; the writer writes while
 * AWS is down and closes; the reader, whose own index knows nothing of it, lists AWS first.
 */
describe('a listing on another instance of the fleet', () => {
  it('shows a put and hides a delete that the listed cloud lacks, from the shared journal', async () => {
    const redis = await redisServer();
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const aws = switchable('aws');
    const gcs = switchable('gcs');
    const writer = storeOf([aws, gcs], createRedisJournal({ client: await client(redis.url), prefix }));
    const reader = storeOf([aws, gcs], createRedisJournal({ client: await client(redis.url), prefix }));
    await writer.put('a/k1', Buffer.from('one'));
    await writer.put('a/k2', Buffer.from('two'));
    await writer.put('b/k9', Buffer.from('other prefix'));
    expect(await keysOf(reader, 'a/')).toEqual(['a/k1', 'a/k2']);
    aws.down = 'network';
    await writer.put('a/k3', Buffer.from('three')); // AWS lacks it
    await writer.delete('a/k2'); // AWS still holds it
    await writer.put('a/sub/k4', Buffer.from('four')); // under a common prefix
    await writer.close();
    aws.down = undefined;
    expect((await aws.inner.head('a/k2')) !== null).toBe(true);
    expect(await aws.inner.head('a/k3')).toBeNull();
    // The shared lookup's time cap is held by fake timers: never reached, whatever the load.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const calls = aws.calls.list ?? 0;
    expect(await keysOf(reader, 'a/')).toEqual(['a/k1', 'a/k3', 'a/sub/k4']);
    expect(await keysOf(reader, 'a/', '/')).toEqual(['a/k1', 'a/k3', 'a/sub/']);
    expect(aws.calls.list ?? 0).toBeGreaterThan(calls); // AWS was the cloud listed
    vi.useRealTimers();
  });
});

/**
 * A listing's lookup in the shared journal reads the prefix's keys, not the whole backlog (a long
 * outage leaves hundreds of thousands of pending entries in Redis: reading them all for each
 * listing took 230 ms at 30,000 and more than the lookup's 1 s cap beyond, and the listing then
 * went on with this instance's own view).
 */
describe('a listing with a big shared backlog elsewhere', () => {
  it("asks the shared journal for the listing's prefix only, and still shows the writes AWS lacks", async () => {
    const redis = await redisServer();
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const aws = switchable('aws');
    const gcs = switchable('gcs');
    const writer = storeOf([aws, gcs], createRedisJournal({ client: await client(redis.url), prefix }));
    aws.down = 'network';
    for (let i = 0; i < 50; i++) await writer.put(`other/${i}`, Buffer.from('x'));
    await writer.put('a/k1', Buffer.from('one'));
    await writer.close();
    aws.down = undefined;
    const asked: string[] = [];
    const shared = createRedisJournal({ client: await client(redis.url), prefix });
    const reader = storeOf(
      [aws, gcs],
      overriding(shared, {
        pending: () => {
          asked.push('pending()');
          return shared.pending();
        },
        pendingWithPrefix: (p: string) => {
          asked.push(`pendingWithPrefix(${p})`);
          return shared.pendingWithPrefix(p);
        },
      }),
    );
    await reader.head('a/none'); // opened: its index loaded from the whole journal, once
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    asked.length = 0;
    expect(await keysOf(reader, 'a/')).toEqual(['a/k1']);
    expect(asked).toEqual(['pendingWithPrefix(a/)']);
    vi.useRealTimers();
  });
});

/**
 * A write every cloud took answers before its record is durable only when nothing older of the key
 * is pending. With a shared journal, another instance's pending entries are not in the writer's
 * index (found by the fleet-mode Jepsen soak: a put answered, then a listing on the other instance
 * left the key out, by a pending delete the put's record had not yet superseded in Redis).
 */
describe("a write every cloud took, over another instance's pending delete", () => {
  it('answers only once its record superseded that delete in the shared journal', async () => {
    const redis = await redisServer();
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const aws = switchable('aws');
    const gcs = switchable('gcs');
    const azure = switchable('azure');
    const other = storeOf([aws, gcs, azure], createRedisJournal({ client: await client(redis.url), prefix }));
    // The writer's records (not its intents) wait at the journal's door until released.
    const door = signal();
    const shared = createRedisJournal({ client: await client(redis.url), prefix });
    const gatedJournal = overriding(shared, {
      append: async (e) => {
        if (e.intent !== true) await door.promise;
        return shared.append(e);
      },
    });
    const writer = storeOf([aws, gcs, azure], gatedJournal);
    expect(await writer.head('warm-up')).toBeNull(); // open: its index loaded, nothing pending yet
    await other.put('k', Buffer.from('v1'));
    aws.down = 'network';
    await other.delete('k'); // pending in Redis only: AWS still holds v1
    await other.close();
    aws.down = undefined;
    // Azure's copy lands after the quorum, while the record of it as missing waits.
    let letAzure!: () => void;
    const azureDoor = new Promise<void>((resolve) => (letAzure = resolve));
    azure.interpose = () => azureDoor;
    let answered = false;
    const put = writer.put('k', Buffer.from('v2')).then(() => {
      answered = true;
    });
    const holdV2 = async (stores: SwitchableStore[]): Promise<void> => {
      for (;;) {
        const heads = await Promise.all(stores.map((s) => s.inner.head('k')));
        if (heads.every((h) => h !== null && h.size === 2)) return;
        await nextTurn();
      }
    };
    await holdV2([aws, gcs]);
    for (let i = 0; i < 20; i++) await nextTurn();
    letAzure();
    await holdV2([azure]);
    for (let i = 0; i < 20; i++) await nextTurn();
    expect(answered).toBe(false);
    door.resolve();
    await put;
    // Another instance, knowing nothing of either write in its own index, finds v2.
    const reader = storeOf(
      [aws, gcs, azure],
      createRedisJournal({ client: await client(redis.url), prefix }),
    );
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    expect(await keysOf(reader, '')).toEqual(['k']);
    const got = await reader.get('k');
    expect(got?.info.size).toBe(2);
    got?.body.destroy();
    vi.useRealTimers();
  });
});

describe('a listing while Redis is away', () => {
  it("keeps the instance's own pending writes: the fallback's local answer proves nothing of the others", async () => {
    const redis = await redisServer({ persistence: 'aof-always' });
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const dir = await mkdtemp(join(tmpdir(), 'failover-list-away-'));
    later(() => rm(dir, { recursive: true, force: true }));
    const aws = switchable('aws');
    const gcs = switchable('gcs');
    const journal = withLocalFallback(
      createRedisJournal({ client: await client(redis.url), prefix, timeoutMs: 200 }),
      createFileJournal({ dir, fsync: false }),
    );
    const store = storeOf([aws, gcs], journal);
    aws.down = 'network';
    await store.put('a/k1', Buffer.from('one')); // its record is in Redis: AWS lacks it
    aws.down = undefined;
    await redis.kill();
    await store.put('a/k2', Buffer.from('two')); // Redis refuses: the journal goes local
    expect(journal.primaryAway()).toBe(true);
    expect(await keysOf(store, 'a/')).toEqual(['a/k1', 'a/k2']);
    expect(await keysOf(store, 'a/')).toEqual(['a/k1', 'a/k2']); // and it was not forgotten
  });
});

/**
 * A listing that leaves a key out because another instance's delete is in flight confirms that
 * delete first (as a read does), so the key does not come back when the delete then fails on
 * every cloud: a key once left out stays out.
 */
describe("a listing over another instance's delete in flight", () => {
  it('leaves the key out only once the delete is confirmed: it then takes effect although it failed on every cloud', async () => {
    const redis = await redisServer();
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const targets = [switchable('aws'), switchable('gcs')];
    const writer = storeOf(targets, createRedisJournal({ client: await client(redis.url), prefix }));
    const reader = storeOf(targets, createRedisJournal({ client: await client(redis.url), prefix }));
    await writer.put('a/k1', Buffer.from('one'));
    await writer.put('a/k2', Buffer.from('two'));
    let listed: Promise<string[]> | undefined;
    const listFirst = async () => {
      listed ??= keysOf(reader, 'a/');
      await listed;
      throw new StorageError('unavailable', 'the delete failed after the listing');
    };
    for (const t of targets) t.interpose = listFirst;
    await expect(writer.delete('a/k2')).rejects.toThrow();
    expect(await listed).toEqual(['a/k1']);
    for (const t of targets) expect(await t.inner.head('a/k2')).not.toBeNull();
    // Left out once, out for good: on both instances, and after repair on every cloud.
    expect(await keysOf(reader, 'a/')).toEqual(['a/k1']);
    expect(await keysOf(writer, 'a/')).toEqual(['a/k1']);
    await reader.repair();
    for (const t of targets) expect(await t.inner.head('a/k2')).toBeNull();
    expect(await keysOf(writer, 'a/')).toEqual(['a/k1']);
  });
});
