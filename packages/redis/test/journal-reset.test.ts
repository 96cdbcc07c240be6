import { randomBytes } from 'node:crypto';
import { getText, type MultiCloudStore } from '@failover/storage';
import { describe, expect, it, vi } from 'vitest';
import { createRedisJournal } from '../src/index.js';
import { client, downableCloud, raw, redisServer, storeOf, useCleanups } from './redis-helpers.js';

useCleanups();

// A Redis without persistence that restarts (or a failover to a replica that never had the data)
// loses the whole journal: which clouds lack which writes is forgotten. The journal's id lives in
// the same Redis, so it comes back new, and the stores notice and reconcile.

async function fleet() {
  const redis = await redisServer();
  const prefix = `reset:${randomBytes(6).toString('hex')}`;
  const clouds = ['aws', 'gcp', 'azure'].map(downableCloud);
  const c = await client(redis.url);
  const open = (): MultiCloudStore => {
    return storeOf(clouds, createRedisJournal({ client: c, prefix }), {});
  };
  return { clouds, open, flush: () => raw(c, ['FLUSHALL']) };
}

describe('a Redis journal that lost its data', () => {
  it('a running instance notices at its next repair pass, reports journalReset and reconciles', async () => {
    const { clouds, open, flush } = await fleet();
    const a = open();
    const b = open();
    await a.put('k', 'v1');
    await b.exists('other'); // b opens: it reads the markers, which carry the shared journal's id
    await vi.waitFor(async () =>
      expect((await clouds[0]!.head('_failover/epoch'))?.metadata.fo_journal).toBeDefined(),
    );
    clouds[0]!.down = true;
    await a.put('k', 'v2'); // gcp + azure; aws journaled as missing, in Redis
    expect(await getText(clouds[0]!, 'k')).toBe('v1');
    await flush(); // Redis restarted without persistence
    clouds[0]!.down = false;

    const resets: { previous: string; current: string }[] = [];
    b.on('journalReset', (e) => resets.push(e));
    await b.repair(); // nothing in the journal to repair; its check finds the new id
    expect(resets).toHaveLength(1);
    expect(resets[0]!.previous).not.toBe(resets[0]!.current);
    await vi.waitFor(() => expect(b.status().journalReset).toBeUndefined(), { timeout: 10_000 });
    for (const c of clouds) expect(await getText(c, 'k')).toBe('v2');
    expect(await getText(b, 'k')).toBe('v2');
    // Once: the next pass finds the same id.
    await b.repair();
    expect(resets).toHaveLength(1);
    expect(b.status().counts.journalResets).toBe(1);
  });

  it('an instance started after the loss notices when it opens', async () => {
    const { clouds, open, flush } = await fleet();
    const a = open();
    await a.put('k', 'v1');
    clouds[0]!.down = true;
    await a.put('k', 'v2');
    await a.close();
    await flush();
    clouds[0]!.down = false;
    const b = open();
    const resets: unknown[] = [];
    b.on('journalReset', (e) => resets.push(e));
    await b.exists('other');
    await vi.waitFor(() => expect(resets).toHaveLength(1), { timeout: 10_000 });
    // These stores repair only when asked (`repair` all off): the reconcile waits for repair().
    expect(b.status().journalReset).toMatchObject({ reconciling: false });
    await b.repair();
    await vi.waitFor(() => expect(b.status().journalReset).toBeUndefined(), { timeout: 10_000 });
    expect(await getText(b, 'k')).toBe('v2');
    for (const c of clouds) expect(await getText(c, 'k')).toBe('v2');
  });
});
