import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createRedisJournal } from '../src/index.js';
import { CLIENT_KINDS, clientOf, destroy, raw, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

describe.each(CLIENT_KINDS)('repair leases (%s)', (kind) => {
  const client = (url: string) => clientOf(kind, url);

  it('two instances leasing overlapping batches at once never get the same key', async () => {
    const redis = await redisServer();
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const a = createRedisJournal({ client: await client(redis.url), prefix, instanceId: 'a' });
    const b = createRedisJournal({ client: await client(redis.url), prefix, instanceId: 'b' });
    const keys = Array.from({ length: 500 }, (_, i) => `photos/${i}.jpg`);
    const batches = Array.from({ length: 10 }, (_, i) => keys.slice(i * 40, i * 40 + 100));
    const results = await Promise.all(batches.flatMap((batch) => [a.lease(batch), b.lease(batch)]));
    const gotA = new Set(results.filter((_, i) => i % 2 === 0).flat());
    const gotB = new Set(results.filter((_, i) => i % 2 === 1).flat());
    expect([...gotA].filter((k) => gotB.has(k))).toEqual([]);
    expect(gotA.size + gotB.size).toBe(new Set(batches.flat()).size);
    // Leasing again extends one's own lease; the other still cannot take it.
    const mine = [...gotA].slice(0, 5);
    expect(await a.lease(mine)).toEqual(mine);
    expect(await b.lease(mine)).toEqual([]);
    // Released keys can be taken by the other instance.
    await b.release(mine); // not b's: no effect
    expect(await b.lease(mine)).toEqual([]);
    await a.release(mine);
    expect(await b.lease(mine)).toEqual(mine);
  });

  it('a holder that dies loses its leases when they expire, and another instance takes them', async () => {
    const redis = await redisServer();
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const dying = await client(redis.url);
    const a = createRedisJournal({ client: dying, prefix, instanceId: 'a' });
    const b = createRedisJournal({ client: await client(redis.url), prefix, instanceId: 'b' });
    expect(await a.lease(['k1', 'k2'], 50)).toEqual(['k1', 'k2']);
    destroy(dying);
    expect(await b.lease(['k1', 'k2'])).toEqual([]);
    const probe = await client(redis.url);
    // Wait for Redis to expire the lease (polled, no timing assumption).
    while (Number(await raw(probe, ['PTTL', `{${prefix}}:lease:k1`])) > 0) await nextTurn();
    while (Number(await raw(probe, ['EXISTS', `{${prefix}}:lease:k2`])) > 0) await nextTurn();
    expect(await b.lease(['k1', 'k2'])).toEqual(['k1', 'k2']);
  });

  it('refuses bad keys and ttl', async () => {
    const redis = await redisServer();
    const j = createRedisJournal({ client: await client(redis.url) });
    await expect(j.lease([''])).rejects.toMatchObject({ kind: 'invalid' });
    await expect(j.lease(['k'], 0)).rejects.toMatchObject({ kind: 'invalid' });
    expect(await j.lease([])).toEqual([]);
  });
});
