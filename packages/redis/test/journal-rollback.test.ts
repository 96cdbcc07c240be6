import { randomBytes } from 'node:crypto';
import { getText, type MultiCloudEvents, type MultiCloudStore } from '@failover/storage';
import { describe, expect, it, vi } from 'vitest';
import { createRedisJournal } from '../src/index.js';
import { client, downableCloud, raw, redisServer, storeOf, useCleanups } from './redis-helpers.js';

useCleanups();

// A Redis restarted from an older RDB snapshot (or a failover to a replica that had not received
// the latest writes) keeps the journal's id, which is in the snapshot, but forgets the entries
// appended after it: which clouds lack those writes. A process that appended some of them notices
// at its next repair pass (the journal's newest version is older than its own newest append) and
// reconciles.

describe('a Redis journal restarted from an older snapshot', () => {
  it('the instance that appended the lost entries reports journalReset (rolledBack) and reconciles every target', async () => {
    const redis = await redisServer(); // no AOF: a restart loads the last RDB snapshot (SAVE below)
    const prefix = `rollback:${randomBytes(6).toString('hex')}`;
    const clouds = ['aws', 'gcp', 'azure'].map(downableCloud);
    const c = await client(redis.url);
    const open = (): MultiCloudStore => {
      return storeOf(clouds, createRedisJournal({ client: c, prefix }), {});
    };
    const a = open();
    const resets: MultiCloudEvents['journalReset'][] = [];
    a.on('journalReset', (e) => resets.push(e));
    await a.put('k', 'v1');
    await a.put('other', 'o1');
    await vi.waitFor(async () =>
      expect((await clouds[0]!.head('_failover/epoch'))?.metadata.fo_journal).toBeDefined(),
    );
    await a.repair();
    expect(resets).toEqual([]); // nothing lost: no false alarm

    await raw(c, ['SAVE']); // the snapshot the restart will load
    clouds[0]!.down = true;
    await a.put('k', 'v2'); // gcp + azure; aws journaled as missing v2, in Redis only
    await a.put('fresh', 'f1'); // a new key: aws journaled as missing it
    expect(await getText(clouds[0]!, 'k')).toBe('v1');
    expect(a.status().journal.backlog).toBe(2);

    await redis.kill();
    await redis.restart(); // the entries appended after SAVE are gone; the journal's id is not
    clouds[0]!.down = false;
    await vi.waitFor(() => expect(c.isReady).toBe(true), { timeout: 10_000 });

    await a.repair(); // the journal holds nothing to repair; the check finds the rollback
    expect(resets).toHaveLength(1);
    expect(resets[0]!.previous).toBe(resets[0]!.current);
    expect(resets[0]!.rolledBack?.appended).toBeDefined();
    await vi.waitFor(() => expect(a.status().journalReset).toBeUndefined(), { timeout: 10_000 });
    for (const cl of clouds) {
      expect(await getText(cl, 'k'), cl.name).toBe('v2');
      expect(await getText(cl, 'fresh'), cl.name).toBe('f1');
    }
    expect(await getText(a, 'k')).toBe('v2');
    // Once per rollback: the next pass compares with the journal's newest as it is now.
    await a.repair();
    await a.put('k', 'v3');
    await a.repair();
    expect(resets).toHaveLength(1);
    expect(a.status().counts.journalResets).toBe(1);
  });

  it('two instances that both appended lost entries: each finds the rollback, they reconcile in turn (the lease), every cloud ends on the newest', async () => {
    const redis = await redisServer();
    const prefix = `rollback2:${randomBytes(6).toString('hex')}`;
    const clouds = ['aws', 'gcp', 'azure'].map(downableCloud);
    const open = async (): Promise<MultiCloudStore> => {
      return storeOf(clouds, createRedisJournal({ client: await client(redis.url), prefix }), {});
    };
    const a = await open();
    const b = await open();
    const resets = { a: 0, b: 0 };
    a.on('journalReset', (e) => (resets.a += e.rolledBack === undefined ? 100 : 1));
    b.on('journalReset', (e) => (resets.b += e.rolledBack === undefined ? 100 : 1));
    await a.put('x', 'x1');
    await b.put('y', 'y1');
    await vi.waitFor(async () =>
      expect((await clouds[0]!.head('_failover/epoch'))?.metadata.fo_journal).toBeDefined(),
    );
    await raw(await client(redis.url), ['SAVE']);
    clouds[2]!.down = true;
    await a.put('x', 'x2'); // azure journaled as missing x2 (lost with the restart)
    await b.put('y', 'y2'); // azure journaled as missing y2 (lost with the restart)
    await redis.kill();
    await redis.restart();
    clouds[2]!.down = false;

    await Promise.all([a.repair(), b.repair()]);
    expect(resets).toEqual({ a: 1, b: 1 });
    await vi.waitFor(
      async () => {
        await Promise.all([a.repair(), b.repair()]);
        expect(a.status().journalReset).toBeUndefined();
        expect(b.status().journalReset).toBeUndefined();
      },
      { timeout: 20_000, interval: 200 },
    );
    for (const cl of clouds) {
      expect(await getText(cl, 'x'), cl.name).toBe('x2');
      expect(await getText(cl, 'y'), cl.name).toBe('y2');
    }
    expect(await getText(b, 'x')).toBe('x2');
    expect(await getText(a, 'y')).toBe('y2');
  });
});
