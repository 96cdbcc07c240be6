import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileJournal, createMultiCloudStore, getBytes } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal, withLocalFallback } from '../src/index.js';
import { CLIENT_KINDS, clientOf, isReady, later, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe.each(CLIENT_KINDS)('a multi-cloud store on the Redis journal (%s)', (kind) => {
  it('keeps serving reads and writes while Redis is paused, then killed; merges back; nothing lost or stale', async () => {
    const redis = await redisServer({ persistence: 'aof-always' });
    const c = await clientOf(kind, redis.url);
    const dir = await mkdtemp(join(tmpdir(), 'failover-store-outage-'));
    later(() => rm(dir, { recursive: true, force: true }));
    const prefix = `outage:${randomBytes(6).toString('hex')}`;
    const journal = withLocalFallback(
      createRedisJournal({ client: c, prefix, timeoutMs: 100 }),
      createFileJournal({ dir, fsync: false }),
    );
    const aws = switchable('aws');
    const gcs = switchable('gcs');
    const store = createMultiCloudStore({
      targets: [aws, gcs],
      journal,
      failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100 } },
      amnesia: false,
      repair: { intervalMs: false, delayMs: false, settleMs: 0, onRecovery: false },
    });
    later(() => store.close());
    const written = new Map<string, Buffer>();
    const writeAll = async (round: number): Promise<void> => {
      for (let i = 0; i < 10; i++) {
        const body = Buffer.from(`k${i}: round ${round}`);
        await store.put(`k${i}`, body);
        written.set(`k${i}`, body);
      }
    };
    const readAll = async (): Promise<void> => {
      for (const [key, body] of written) expect((await getBytes(store, key)).equals(body), key).toBe(true);
    };

    // AWS is down for the whole outage: every write is journaled as "AWS lacks it".
    aws.down = 'network';
    await writeAll(0);
    // Redis hangs (SIGSTOP): each journal call gives up after 100 ms, the local journal takes it.
    await redis.pause();
    later(() => redis.resume());
    await writeAll(1);
    await readAll();
    redis.resume();
    // Redis dies: the client knows it at once, the local journal takes every write.
    await redis.kill();
    await writeAll(2);
    await readAll();
    expect(journal.localBacklog).toBeGreaterThan(0);

    await redis.restart();
    await until(() => isReady(c));
    // A merge whose Redis call outlived the 100 ms limit (a loaded machine, scripts loaded again
    // after the restart) fails and is tried again, as the journal's own merge on recovery would be.
    for (let attempt = 1; ; attempt++) {
      try {
        await journal.merge();
        break;
      } catch (err) {
        if (attempt >= 20 || (err as { kind?: string }).kind !== 'timeout') throw err;
      }
    }
    expect(journal.localBacklog).toBe(0);
    // Another instance sees, in Redis, that AWS lacks the newest version of every key.
    const other = createRedisJournal({ client: await clientOf(kind, redis.url), prefix });
    const lacking = new Set(
      (await other.pending()).filter((e) => e.missing.includes('aws')).map((e) => e.key),
    );
    expect([...lacking].sort()).toEqual([...written.keys()].sort());

    // AWS returns (its breaker, opened by the outage, is closed as a probe would); repair copies
    // the newest version of every key there and nothing is left.
    aws.down = undefined;
    store.recover('aws');
    expect(await store.repair()).toMatchObject({ repaired: written.size, failed: [] });
    expect(await other.pending()).toEqual([]);
    for (const [key, body] of written) {
      expect((await getBytes(aws.inner, key)).equals(body), key).toBe(true);
    }
    await readAll();
  });
});
