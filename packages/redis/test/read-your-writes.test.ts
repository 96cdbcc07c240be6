import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { JournalEntry } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { createRedisJournal, watchPendingKeys } from '../src/index.js';
import { CLIENT_KINDS, clientOf, later, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

function entry(i: number, missing: string[]): JournalEntry {
  return { id: `v2:k${i}`, op: 'put', key: `k${i}`, version: 'v2', holders: ['gcs'], missing, at: 1 };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await nextTurn();
}

describe.each(CLIENT_KINDS)('fleet-wide pending state for read-your-writes (%s)', (kind) => {
  const client = (url: string) => clientOf(kind, url);

  it('a write acknowledged on one instance is seen as pending by another at once (hasPending, pendingOf)', async () => {
    const redis = await redisServer();
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const writer = createRedisJournal({ client: await client(redis.url), prefix });
    const reader = createRedisJournal({ client: await client(redis.url), prefix });
    let stale = 0;
    for (let i = 0; i < 1000; i++) {
      // The writer acknowledges v2 while AWS lacks it; the reader would read AWS first.
      await writer.append(entry(i, ['aws']));
      const pending = (await reader.hasPending(`k${i}`)) ? await reader.pendingOf(`k${i}`) : [];
      const avoidAws = pending.some((e) => e.missing.includes('aws'));
      if (!avoidAws) stale++;
    }
    expect(stale).toBe(0);
    expect(await reader.hasPending('never-written')).toBe(false);
  });

  it('watchPendingKeys follows keys gaining and losing pending entries on any instance', async () => {
    const redis = await redisServer();
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const writer = createRedisJournal({ client: await client(redis.url), prefix });
    await writer.append(entry(0, ['aws'])); // before the watch: comes from the snapshot
    const watch = watchPendingKeys({ client: await client(redis.url), prefix });
    later(() => watch.close());
    await watch.ready;
    expect(watch.connected).toBe(true);
    expect(watch.has('k0')).toBe(true);
    expect(watch.has('k1')).toBe(false);
    await writer.append(entry(1, ['aws', 'azure']));
    await until(() => watch.has('k1') === true);
    await writer.resolve('v2:k1', 'aws');
    expect(watch.has('k1')).toBe(true);
    await writer.resolve('v2:k1', 'azure');
    await until(() => watch.has('k1') === false);
    expect(watch.size).toBe(1);
  });

  it('the watch says "unknown" while Redis is down and catches up after it returns', async () => {
    const redis = await redisServer({ persistence: 'aof-always' });
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const watch = watchPendingKeys({ client: await client(redis.url), prefix });
    later(() => watch.close());
    await watch.ready;
    await redis.kill();
    await until(() => watch.has('k0') === undefined);
    await redis.restart();
    const writer = createRedisJournal({ client: await client(redis.url), prefix });
    await writer.append(entry(0, ['aws']));
    await until(() => watch.has('k0') === true);
  });
});
