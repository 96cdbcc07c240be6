import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileJournal, createMultiCloudStore, type MultiCloudStore } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal, type FallbackJournal, withLocalFallback } from '../src/index.js';
import { client, keysOf, later, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

/**
 * Fleet soak seed 320: while Redis was away, one instance's repair copied an older version to a
 * cloud that lacked it, after another instance had deleted the key there (a delete leaves nothing
 * to refuse the copy). The copy's check against the key's high-water mark used the local journal's
 * mark alone, found nothing newer, and trusted it: the deleted version was back for good, read by
 * the instance that deleted it. With the shared journal away, the mark is unknown: no copy is made.
 */
describe('repair while the shared journal is away (withLocalFallback over Redis)', () => {
  it("makes no copy another instance's delete could not stop; after Redis returns, the delete wins everywhere", async () => {
    const redis = await redisServer({ persistence: 'aof-always' });
    const prefix = `outage-repair:${randomBytes(6).toString('hex')}`;
    const aws = switchable('aws');
    const gcs = switchable('gcs');
    const azure = switchable('azure');
    const instance = async (): Promise<{ store: MultiCloudStore; journal: FallbackJournal }> => {
      const dir = await mkdtemp(join(tmpdir(), 'failover-outage-repair-'));
      later(() => rm(dir, { recursive: true, force: true }));
      const c = await client(redis.url);
      // An instance notices Redis is back only when the test merges (`mergeWhenBack`): no check
      // of its own runs between Redis's restart and A's repair, whatever the machine's load.
      const journal = withLocalFallback(
        createRedisJournal({ client: c, prefix, timeoutMs: 100 }),
        createFileJournal({ dir, fsync: false }),
        { checkIntervalMs: 3_600_000, mergeIntervalMs: 3_600_000 },
      );
      const store = createMultiCloudStore({
        targets: [aws, gcs, azure],
        journal,
        failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100 } },
        amnesia: false,
        repair: { intervalMs: false, delayMs: false, settleMs: 0, onRecovery: false },
      });
      later(() => store.close());
      return { store, journal };
    };
    const a = await instance();
    const b = await instance();
    const key = 'receipts/outage.bin';
    // A writes v1 while Redis is away for it: "Azure lacks v1" is in A's local journal only.
    await redis.kill();
    azure.down = 'unavailable';
    await a.store.put(key, 'v1'); // AWS and GCS
    azure.down = undefined;
    expect(a.journal.localBacklog).toBeGreaterThan(0);
    // Redis is back. A repairs before it has noticed: it reads v1 from AWS, and just before its
    // copy reaches Azure, B (which has not met the outage) deletes the key: journaled in Redis,
    // every cloud takes it (on Azure it deletes nothing).
    await redis.restart();
    let deleted = false;
    const deleteOnB = async (): Promise<void> => {
      deleted = true;
      await b.store.delete(key);
    };
    azure.interpose = deleteOnB;
    const report = await a.store.repair();
    azure.interpose = undefined;
    if (!deleted) await deleteOnB(); // no copy was sent: B deletes the key all the same
    expect(await azure.inner.head(key)).toBeNull();
    expect(report.repaired).toBe(0);
    // B reads its own delete, whichever cloud answers.
    for (const only of [aws, gcs, azure]) {
      for (const t of [aws, gcs, azure]) t.down = t === only ? undefined : 'unavailable';
      expect(await b.store.head(key)).toBeNull();
    }
    for (const t of [aws, gcs, azure]) t.down = undefined;

    for (const j of [a.journal, b.journal]) await mergeWhenBack(j);
    for (let i = 0; i < 5; i++) {
      const ra = await a.store.repair();
      const rb = await b.store.repair();
      if (ra.backlog === 0 && rb.backlog === 0) break;
    }
    for (const t of [aws, gcs, azure]) expect(await t.inner.head(key), t.name).toBeNull();
    for (const s of [a.store, b.store]) {
      expect(await s.head(key)).toBeNull();
      expect(await keysOf(s)).toEqual([]);
    }
  });
});

/** Merges the local journal back into Redis, trying again while Redis is not answering yet. */
async function mergeWhenBack(journal: FallbackJournal): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await journal.merge();
      return;
    } catch (err) {
      if (attempt >= 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
