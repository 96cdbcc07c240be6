import { randomBytes } from 'node:crypto';
import { createMultiCloudStore, type StorageError } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { WriterClaim } from '../../storage/src/multi/writer-claim.js';
import { switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal } from '../src/index.js';
import { clientOf, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * Short leases, so a test sees in 2 s what takes 40 s with the store's own (long enough that a
 * loaded machine's stalls do not let a live holder's lease lapse).
 */
const TIMES = { leaseMs: 1500, renewMs: 300 };

describe('a writer id claimed in a journal a fleet shares (Redis)', () => {
  const journalOf = async (url: string, prefix: string, instanceId: string) =>
    createRedisJournal({ client: await clientOf('node-redis', url), prefix, instanceId });

  it('two live processes given the same writerId: the second finds it shared and reports it once; the first keeps it', async () => {
    const redis = await redisServer();
    const prefix = `w:${randomBytes(6).toString('hex')}`;
    const reports: StorageError[] = [];
    const first = new WriterClaim(await journalOf(redis.url, prefix, 'p1'), 'web', () => undefined, TIMES);
    first.start();
    await until(() => first.holding);
    const second = new WriterClaim(
      await journalOf(redis.url, prefix, 'p2'),
      'web',
      (e) => reports.push(e),
      TIMES,
    );
    second.start();
    await until(() => second.shared);
    expect(first.shared).toBe(false);
    expect(first.holding).toBe(true);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ kind: 'invalid' });
    expect(reports[0]!.message).toContain('writerId "web"');
    await second.close();
    await first.close();
  });

  it('a restart with the same writerId (the predecessor died holding the lease) is not reported: the lease is granted once it ends', async () => {
    const redis = await redisServer();
    const prefix = `w:${randomBytes(6).toString('hex')}`;
    // The predecessor's last renewal, never renewed again (it was killed).
    const dead = await journalOf(redis.url, prefix, 'dead');
    expect(await dead.lease(['_failover/writer/web'], TIMES.leaseMs)).toEqual(['_failover/writer/web']);
    const reports: StorageError[] = [];
    const next = new WriterClaim(
      await journalOf(redis.url, prefix, 'next'),
      'web',
      (e) => reports.push(e),
      TIMES,
    );
    next.start();
    await until(() => next.holding);
    expect(next.shared).toBe(false);
    expect(reports).toEqual([]);
    await next.close();
    // Given back on close: another process may take the id at once.
    expect(await dead.lease(['_failover/writer/web'], TIMES.leaseMs)).toEqual(['_failover/writer/web']);
  });

  it('a multi-cloud store on a fleet journal holds a lease on its writerId while open, gives it back on close, and reports none shared', async () => {
    const redis = await redisServer();
    const prefix = `w:${randomBytes(6).toString('hex')}`;
    const store = createMultiCloudStore({
      targets: [switchable('aws'), switchable('gcs')],
      journal: await journalOf(redis.url, prefix, 'store'),
      writerId: 'orders-1',
      amnesia: false,
    });
    await store.put('k', Buffer.from('x'));
    const other = await journalOf(redis.url, prefix, 'other');
    // Asked right after the store's first load.
    let held = false;
    while (!held) {
      held = await other.repairLeased('_failover/writer/orders-1');
      if (!held) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(store.status().writerIdShared).toBe(false);
    await store.close();
    expect(await other.repairLeased('_failover/writer/orders-1')).toBe(false);
  });
});
