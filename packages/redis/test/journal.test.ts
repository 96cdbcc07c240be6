import { randomBytes } from 'node:crypto';
import type { JournalEntry } from '@failover/storage';
import { startTcpProxy } from '@failover/testkit';
import { describe, expect, it } from 'vitest';
import { createRedisJournal } from '../src/index.js';
import { CLIENT_KINDS, clientOf, later, raw, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

const prefix = () => `t:${randomBytes(6).toString('hex')}`;

function entry(fields: Partial<JournalEntry> & Pick<JournalEntry, 'id'>): JournalEntry {
  return { op: 'put', key: 'k', version: 'v1', holders: ['a'], missing: ['b'], at: 1, ...fields };
}

describe.each(CLIENT_KINDS)('createRedisJournal (%s)', (kind) => {
  const client = (url: string) => clientOf(kind, url);

  it('keeps every acknowledged entry across a SIGKILL of Redis with appendfsync always', async () => {
    const redis = await redisServer({ persistence: 'aof-always' });
    const c = await client(redis.url);
    const p = prefix();
    const journal = createRedisJournal({ client: c, prefix: p });
    for (let i = 0; i < 100; i++) {
      await journal.append(entry({ id: `e${i}`, key: `k${i}`, missing: ['b', 'c'] }));
    }
    await journal.resolve('e0', 'b');
    await redis.kill();
    await redis.restart();
    const again = createRedisJournal({ client: await client(redis.url), prefix: p });
    await again.open?.();
    expect(again.backlog()).toBe(199);
    const pending = await again.pending();
    expect(pending.map((e) => e.id)).toEqual(Array.from({ length: 100 }, (_, i) => `e${i}`));
    expect(pending[0]?.missing).toEqual(['c']);
  });

  it('is shared: what one instance appends another sees, repairs and resolves', async () => {
    const redis = await redisServer();
    const p = prefix();
    const a = createRedisJournal({ client: await client(redis.url), prefix: p });
    const b = createRedisJournal({ client: await client(redis.url), prefix: p });
    await a.append(entry({ id: 'x', key: 'photo.jpg', holders: ['aws'], missing: ['gcs', 'azure'] }));
    expect((await b.pendingOf('photo.jpg')).map((e) => [...e.missing].sort())).toEqual([['azure', 'gcs']]);
    expect(await b.pendingOf('other')).toEqual([]);
    await b.resolve('x', 'gcs');
    await b.resolve('x', 'azure');
    expect(await a.pending()).toEqual([]);
    expect(await a.refreshBacklog()).toBe(0);
    // Two prefixes are two journals.
    const other = createRedisJournal({ client: await client(redis.url), prefix: prefix() });
    await other.append(entry({ id: 'y' }));
    expect(await a.pending()).toEqual([]);
  });

  it('newestVersion: the newest version any instance appended, settled or not, confirmed intents included', async () => {
    const redis = await redisServer();
    const p = prefix();
    const a = createRedisJournal({ client: await client(redis.url), prefix: p });
    const b = createRedisJournal({ client: await client(redis.url), prefix: p });
    expect(await a.newestVersion()).toBeUndefined();
    await a.append(entry({ id: 'x', version: '005', holders: ['a', 'b'], missing: [] })); // never pending
    await b.append(entry({ id: 'y', key: 'j', version: '003' }));
    expect(await b.newestVersion()).toBe('005');
    await b.append(
      entry({ id: 'z', key: 'm', version: '007', holders: [], missing: ['a', 'b'], intent: true }),
    );
    expect(await b.settleIntent?.('z', 'withdraw')).toBe(true);
    expect(await a.newestVersion()).toBe('007'); // a withdrawn intent's version was stamped too
    await a.append(entry({ id: 'w', key: 'm', version: '006', holders: [], missing: ['a'], intent: true }));
    expect(await a.settleIntent?.('w', 'confirm')).toBe(true);
    expect(await a.newestVersion()).toBe('007');
  });

  it('journalId: one id for every instance of a prefix, another for another prefix, a new one once Redis lost the data', async () => {
    const redis = await redisServer();
    const p = prefix();
    const c = await client(redis.url);
    const a = createRedisJournal({ client: c, prefix: p });
    const b = createRedisJournal({ client: await client(redis.url), prefix: p });
    const id = await a.journalId();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(await b.journalId()).toBe(id);
    await a.append(entry({ id: 'x', version: '005' }));
    expect(await b.journalId()).toBe(id);
    expect(await createRedisJournal({ client: c, prefix: prefix() }).journalId()).not.toBe(id);
    // A Redis without persistence restarted (or a failover to a replica that never had the data).
    await raw(c, ['FLUSHALL']);
    await b.append(entry({ id: 'y', version: '006' })); // recreates the meta hash, without an id
    const fresh = await b.journalId();
    expect(fresh).not.toBe(id);
    expect(await a.journalId()).toBe(fresh);
  });

  it('converges to the newest version of each key whatever the interleaving of two instances', async () => {
    const redis = await redisServer();
    const p = prefix();
    const journals = [
      createRedisJournal({ client: await client(redis.url), prefix: p }),
      createRedisJournal({ client: await client(redis.url), prefix: p }),
    ];
    const targets = ['a', 'b', 'c'];
    const writes: Promise<void>[] = [];
    // Versions 000..199 over 10 keys, appended by alternating instances in a shuffled order.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const order = Array.from({ length: 200 }, (_, i) => i).sort(() => random() - 0.5);
    for (const [n, i] of order.entries()) {
      const holder = targets[i % 3] as string;
      writes.push(
        (journals[n % 2] as (typeof journals)[0]).append(
          entry({
            id: `v${i}`,
            key: `k${i % 10}`,
            version: String(i).padStart(3, '0'),
            holders: [holder],
            missing: targets.filter((t) => t !== holder),
          }),
        ),
      );
    }
    await Promise.all(writes);
    const pending = await journals[0]?.pending();
    expect(pending?.map((e) => e.id).sort()).toEqual(
      Array.from({ length: 10 }, (_, k) => `v${190 + k}`).sort(),
    );
    expect(journals[0]?.backlog()).toBe(20);
  });

  it('an older entry appended after a newer recorded write of its key settled (a late merge) needs none of its targets', async () => {
    const redis = await redisServer();
    const j = createRedisJournal({ client: await client(redis.url), prefix: prefix() });
    const all = ['a', 'b', 'c'];
    // v3 is written everywhere (nothing pending), v5 reaches a and b and is repaired to c.
    await j.append(entry({ id: 'p3', key: 'x', version: 'v3', holders: all, missing: [] }));
    await j.append(entry({ id: 'p5', key: 'y', version: 'v5', holders: ['a', 'b'], missing: ['c'] }));
    await j.resolve('p5', 'c');
    expect(await j.pending()).toEqual([]);
    // Another instance's older delete of each, kept locally while Redis was away, merges now.
    await j.append(
      entry({ id: 'd2', op: 'delete', key: 'x', version: 'v2', holders: ['a'], missing: ['b', 'c'] }),
    );
    await j.append(entry({ id: 'd4', op: 'delete', key: 'y', version: 'v4', holders: [], missing: all }));
    expect(await j.pending()).toEqual([]);
    // A newer intent (one that may be withdrawn) does not hide the newest recorded write.
    await j.append(
      entry({ id: 'i6', key: 'y', version: 'v6', holders: ['a'], missing: ['b', 'c'], intent: true }),
    );
    await j.append(entry({ id: 'd45', op: 'delete', key: 'y', version: 'v45', holders: [], missing: all }));
    expect((await j.pending()).map((e) => e.id)).toEqual(['i6']);
    expect((await j.highWater('y'))?.id).toBe('i6');
    // The mark, an intent, says which version was recorded before it.
    expect((await j.highWater('y'))?.recorded).toBe('v5');
    // An entry older than only an intent keeps its targets: the intent may never take effect.
    await j.append(
      entry({ id: 'i8', key: 'z', version: 'v8', holders: ['a'], missing: ['b', 'c'], intent: true }),
    );
    await j.append(entry({ id: 'd7', op: 'delete', key: 'z', version: 'v7', holders: [], missing: all }));
    expect((await j.pending()).map((e) => e.id).sort()).toEqual(['d7', 'i6', 'i8']);
    // A newer write of the key after that is appended as usual.
    await j.append(entry({ id: 'p9', key: 'x', version: 'v9', holders: ['a'], missing: ['b', 'c'] }));
    expect((await j.pendingOf('x')).map((e) => e.id)).toEqual(['p9']);
  });

  it('keeps calls in order when Redis lost its scripts (NOSCRIPT, then EVAL)', async () => {
    const redis = await redisServer();
    const c = await client(redis.url);
    const journal = createRedisJournal({ client: c, prefix: prefix() });
    await journal.append(entry({ id: 'warm', key: 'warm' }));
    await raw(c, ['SCRIPT', 'FLUSH']);
    const calls = [
      journal.append(entry({ id: 'v1', version: 'v1', holders: ['a'], missing: ['b', 'c'] })),
      journal.resolve('v1', 'b'),
      journal.append(entry({ id: 'v2', version: 'v2', holders: ['a'], missing: ['c'] })),
      journal.append(entry({ id: 'w', key: 'w', missing: ['b'] })),
      journal.resolve('w', 'b'),
    ];
    await Promise.all(calls);
    expect((await journal.pending()).map((e) => [e.id, [...e.missing]])).toEqual([
      ['warm', ['b']],
      ['v2', ['c']],
    ]);
  });

  it('a paused Redis makes calls reject with kind timeout; nothing hangs', async () => {
    const redis = await redisServer();
    const c = await client(redis.url);
    const p = prefix();
    // Warm up with the default timeout (a loaded machine may take more than 50 ms).
    await createRedisJournal({ client: c, prefix: p }).open?.();
    const journal = createRedisJournal({ client: c, prefix: p, timeoutMs: 50 });
    await redis.pause();
    later(() => redis.resume());
    const error = await journal
      .append(entry({ id: 'secret-key-id', key: 'secret/key' }))
      .catch((err: unknown) => err);
    expect(error).toMatchObject({ name: 'JournalError', kind: 'timeout' });
    expect(String((error as Error).message)).not.toMatch(/secret/);
    await expect(journal.pending()).rejects.toMatchObject({ kind: 'timeout' });
    redis.resume();
  });

  it('a stalled network and a dead Redis reject with timeout or unavailable', async () => {
    const redis = await redisServer();
    const proxy = await startTcpProxy({ target: redis.port });
    later(() => proxy.close());
    const c = await client(`redis://127.0.0.1:${proxy.port}`);
    const p = prefix();
    await createRedisJournal({ client: c, prefix: p }).append(entry({ id: 'before' }));
    const journal = createRedisJournal({ client: c, prefix: p, timeoutMs: 50 });
    proxy.setFault({ kind: 'stall' });
    await expect(journal.append(entry({ id: 'stalled' }))).rejects.toMatchObject({ kind: 'timeout' });
    proxy.setFault({ kind: 'reset' });
    const error = (await journal.append(entry({ id: 'reset' })).catch((err: unknown) => err)) as {
      kind: string;
    };
    expect(['timeout', 'unavailable']).toContain(error.kind);
  });

  it('rejects bad options with the option path', async () => {
    expect(() => createRedisJournal({ client: {} as never })).toThrow(/"client"/);
    const redis = await redisServer();
    const c = await client(redis.url);
    expect(() => createRedisJournal({ client: c, prefix: 'a{b}' })).toThrow(/"prefix"/);
    expect(() => createRedisJournal({ client: c, timeoutMs: 0 })).toThrow(/"timeoutMs"/);
    const journal = createRedisJournal({ client: c });
    await expect(journal.pendingOf('')).rejects.toMatchObject({ kind: 'invalid' });
  });
});
