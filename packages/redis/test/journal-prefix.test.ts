import { randomBytes } from 'node:crypto';
import type { JournalEntry } from '@failover/storage';
import { type RedisLocalServer, startRedisServer } from '@failover/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisJournal } from '../src/index.js';
import { type Client, connectClient, raw } from './redis-helpers.js';

let redis: RedisLocalServer;
let client: Client;

beforeAll(async () => {
  redis = await startRedisServer();
  client = await connectClient(redis.url);
});
afterAll(async () => {
  await client?.quit();
  await redis?.stop();
});

const put = (i: number, key: string): JournalEntry => ({
  id: `p${i}`,
  op: 'put',
  key,
  version: `v${String(i).padStart(8, '0')}`,
  sha256: 'a'.repeat(64),
  size: 3,
  holders: ['a'],
  missing: ['b'],
  at: 1_700_000_000_000,
});

describe('RedisJournal lookups over a backlog bigger than one step', () => {
  it('names every entry of the prefix once, in several short steps (a script call each)', async () => {
    const prefix = `prefix-test:${randomBytes(6).toString('hex')}`;
    // Patient: a busy machine may take more than the default second for a batch of appends.
    const journal = createRedisJournal({ client, prefix, timeoutMs: 60_000 });
    // 12,000 keys: HSCAN reads the key hash in steps of 5,000, so the lookup takes several.
    for (let batch = 0; batch < 12; batch++) {
      const appends: Promise<void>[] = [];
      for (let i = batch * 1000; i < (batch + 1) * 1000; i++) {
        appends.push(journal.append(put(i, `${i % 3 === 0 ? 'a' : 'b'}/${i}`)));
      }
      await Promise.all(appends);
    }
    await journal.pendingWithPrefix('none/'); // the script is in Redis's cache from here on
    const calls = Number(
      String(await raw(client, ['INFO', 'commandstats'])).match(/cmdstat_evalsha:calls=(\d+)/)?.[1] ?? 0,
    );
    const under = await journal.pendingWithPrefix('a/');
    const callsAfter = Number(
      String(await raw(client, ['INFO', 'commandstats'])).match(/cmdstat_evalsha:calls=(\d+)/)?.[1] ?? 0,
    );
    expect(under.length).toBe(4000);
    expect(new Set(under.map((e) => e.id)).size).toBe(4000);
    expect(under.every((e) => e.key.startsWith('a/'))).toBe(true);
    // More than one step (Redis may scan more than COUNT per step, never the whole hash at once
    // for a hash this size), and the same answer as pending() filtered.
    expect(callsAfter - calls).toBeGreaterThan(1);
    const all = (await journal.pending()).filter((e) => e.key.startsWith('a/'));
    expect(under.map((e) => e.id).sort()).toEqual(all.map((e) => e.id).sort());
    expect(journal.backlog()).toBe(12_000);
    // pending() reads in pages too (2,000 entries a script), oldest first, each entry once.
    const before = Number(
      String(await raw(client, ['INFO', 'commandstats'])).match(/cmdstat_evalsha:calls=(\d+)/)?.[1] ?? 0,
    );
    const every = await journal.pending();
    const after = Number(
      String(await raw(client, ['INFO', 'commandstats'])).match(/cmdstat_evalsha:calls=(\d+)/)?.[1] ?? 0,
    );
    expect(every.map((e) => e.id)).toEqual(Array.from({ length: 12_000 }, (_, i) => `p${i}`));
    expect(after - before).toBeGreaterThanOrEqual(6);
    // An entry appended again under its id (a new place in the order) is named once, at its new place.
    await journal.append(put(5, 'b/5'));
    const again = await journal.pending();
    expect(again.length).toBe(12_000);
    expect(again.at(-1)?.id).toBe('p5');
    await journal.close();
  });
});
