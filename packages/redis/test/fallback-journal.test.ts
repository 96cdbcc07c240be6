import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileJournal, type JournalEntry } from '@failover/storage';
import { type RedisLocalServer, startRedisServer } from '@failover/testkit';
import { journalContract } from '@failover/testkit/contract';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedisJournal, withLocalFallback } from '../src/index.js';
import {
  type AnyClient,
  CLIENT_KINDS,
  clientOf,
  connectAny,
  destroy,
  isReady,
  later,
  listing,
  client as nodeRedisClient,
  redisServer,
  useCleanups,
} from './redis-helpers.js';

let shared: RedisLocalServer;
const sharedClients = new Map<string, AnyClient>();

beforeAll(async () => {
  shared = await startRedisServer();
  for (const kind of CLIENT_KINDS) sharedClients.set(kind, await connectAny(kind, shared.url));
});
afterAll(async () => {
  for (const c of sharedClients.values()) destroy(c);
  await shared?.stop();
});

for (const kind of CLIENT_KINDS) {
  journalContract(`redis (${kind}) with a local file fallback`, async () => {
    const prefix = `fallback:${randomBytes(6).toString('hex')}`;
    const dir = await mkdtemp(join(tmpdir(), 'failover-fallback-'));
    const client = sharedClients.get(kind);
    if (client === undefined) throw new Error(`no ${kind} client`);
    const make = () =>
      withLocalFallback(createRedisJournal({ client, prefix }), createFileJournal({ dir, fsync: false }));
    return { journal: make(), reopen: make, cleanup: () => rm(dir, { recursive: true, force: true }) };
  });
}

useCleanups();
afterEach(() => {
  vi.useRealTimers();
});

function entry(i: number): JournalEntry {
  return {
    id: `e${i}`,
    op: 'put',
    key: `k${i % 20}`,
    version: String(i).padStart(4, '0'),
    holders: ['gcp'],
    missing: ['aws'],
    at: 1,
  };
}

describe.each(CLIENT_KINDS)('withLocalFallback (%s)', (kind) => {
  const client = (url: string) => clientOf(kind, url);
  /** A fallback journal over a Redis journal (100 ms calls) and a file journal in a temp dir. */
  const fallbackOn = async (
    url: string,
    options: { mergeIntervalMs?: number; checkIntervalMs?: number } = {},
  ) => {
    const dir = await mkdtemp(join(tmpdir(), 'failover-fallback-'));
    later(() => rm(dir, { recursive: true, force: true }));
    const prefix = `fallback:${randomBytes(6).toString('hex')}`;
    const c = await client(url);
    const journal = withLocalFallback(
      createRedisJournal({ client: c, prefix, timeoutMs: 100 }),
      createFileJournal({ dir, fsync: false }),
      options,
    );
    later(() => journal.close());
    return { c, prefix, journal };
  };

  it('keeps acknowledging writes while Redis is down, then merges them back; nothing lost', async () => {
    const redis = await redisServer({ persistence: 'aof-always' });
    const { c, prefix, journal } = await fallbackOn(redis.url);
    for (let i = 0; i < 50; i++) await journal.append(entry(i));
    await redis.kill();
    for (let i = 50; i < 100; i++) await journal.append(entry(i)); // no error: written locally
    expect(journal.localBacklog).toBeGreaterThan(0);
    // While Redis is down, pending() is what the local journal knows.
    expect((await journal.pending()).length).toBeGreaterThan(0);
    await redis.restart();
    while (!isReady(c)) await new Promise((resolve) => setTimeout(resolve, 10));
    await journal.merge();
    expect(journal.localBacklog).toBe(0);
    const other = createRedisJournal({ client: await nodeRedisClient(redis.url), prefix });
    const pending = await other.pending();
    // One entry per key: the newest version acknowledged (80..99 for keys k0..k19).
    expect(pending.map((e) => e.id).sort()).toEqual(
      Array.from({ length: 20 }, (_, k) => `e${80 + k}`).sort(),
    );
  });

  it('newestVersion: the newer of both journals; the local one alone while Redis is down', async () => {
    const redis = await redisServer({ persistence: 'aof-always' });
    const { c, prefix, journal } = await fallbackOn(redis.url, {
      mergeIntervalMs: 3_600_000,
      checkIntervalMs: 3_600_000,
    });
    await journal.append(entry(5));
    expect(await journal.newestVersion?.()).toBe('0005');
    await redis.kill();
    await journal.append(entry(7)); // kept locally
    expect(journal.localBacklog).toBe(1);
    expect(await journal.newestVersion?.()).toBe('0007');
    await redis.restart();
    while (!isReady(c)) await new Promise((resolve) => setTimeout(resolve, 10));
    await journal.merge();
    expect(await journal.newestVersion?.()).toBe('0007');
    const other = createRedisJournal({ client: await nodeRedisClient(redis.url), prefix });
    expect(await other.newestVersion()).toBe('0007');
  });

  it('close() moves what was kept locally to Redis first: an instance shut down for good strands nothing', async () => {
    const redis = await redisServer({ persistence: 'aof-always' });
    // The periodic merge never runs here: only close() can move the entries.
    const { c, prefix, journal } = await fallbackOn(redis.url, {
      mergeIntervalMs: 3_600_000,
      checkIntervalMs: 3_600_000,
    });
    await redis.kill();
    for (let i = 0; i < 30; i++) await journal.append(entry(i)); // kept locally
    expect(journal.localBacklog).toBe(20);
    await redis.restart();
    while (!isReady(c)) await new Promise((resolve) => setTimeout(resolve, 10));
    await journal.close();
    const other = createRedisJournal({ client: await nodeRedisClient(redis.url), prefix });
    expect((await other.pending()).map((e) => e.id).sort()).toEqual(
      Array.from({ length: 20 }, (_, k) => `e${10 + k}`).sort(),
    );
  });

  it('settleIntent: an intent kept locally while Redis is away is withdrawn there; one in Redis cannot be settled while it is away, and is once it is back', async () => {
    const redis = await redisServer();
    const { prefix, journal } = await fallbackOn(redis.url);
    const intent = (id: string, key: string): JournalEntry => ({
      id,
      op: 'delete',
      key,
      version: '0009',
      holders: [],
      missing: ['aws', 'gcp'],
      intent: true,
      at: 1,
    });
    await journal.append(intent('shared', 'k-shared'));
    await redis.pause();
    try {
      await journal.append(intent('local', 'k-local'));
      expect(journal.primaryAway()).toBe(true);
      // Its own intent, which no other process can see: confirm has nothing to race, withdraw drops it.
      expect(await journal.settleIntent?.('local', 'confirm')).toBe(false);
      expect(await journal.settleIntent?.('local', 'withdraw')).toBe(true);
      expect(journal.localBacklog).toBe(0);
      // The shared one cannot be settled atomically now: a typed outage, nothing changed.
      await expect(journal.settleIntent?.('shared', 'withdraw')).rejects.toMatchObject({
        kind: 'unavailable',
      });
    } finally {
      redis.resume();
    }
    await journal.merge();
    expect(journal.primaryAway()).toBe(false);
    expect(await journal.settleIntent?.('shared', 'withdraw')).toBe(true);
    const other = createRedisJournal({ client: await nodeRedisClient(redis.url), prefix });
    expect(await other.pending()).toEqual([]);
  });

  it('this process stalled across a lookup, the stall ending just after its time limit: Redis is not taken for away', async () => {
    // The fleet soak's stale listing (seed 20261204, Redis up, a writer SIGSTOPped for 924 ms):
    // lookups made just before the stall timed out as it ended, their timers under 100 ms late,
    // and the instance's fallback journal took the live Redis for away. Here the stall is this
    // process's own event loop, blocked from before the lookup's question is sent until just
    // after its limit.
    const redis = await redisServer();
    const dir = await mkdtemp(join(tmpdir(), 'failover-fallback-'));
    later(() => rm(dir, { recursive: true, force: true }));
    const prefix = `fallback:${randomBytes(6).toString('hex')}`;
    const journal = withLocalFallback(
      createRedisJournal({ client: await nodeRedisClient(redis.url), prefix, timeoutMs: 200 }),
      createFileJournal({ dir, fsync: false }),
    );
    later(() => journal.close());
    await journal.append(entry(3));
    const lookup = journal.pendingOf!('k3');
    const end = performance.now() + 210; // the stall ends 10 ms after the limit
    while (performance.now() < end) {
      // stalled
    }
    expect((await lookup).map((e) => e.id)).toEqual(['e3']);
    expect(journal.primaryAway()).toBe(false);
  });

  it('Redis paused (SIGSTOP): once a call timed out, appends and lookups go local without waiting for Redis', async () => {
    const redis = await redisServer();
    const dir = await mkdtemp(join(tmpdir(), 'failover-fallback-'));
    later(() => rm(dir, { recursive: true, force: true }));
    const prefix = `fallback:${randomBytes(6).toString('hex')}`;
    const c = listing(await nodeRedisClient(redis.url));
    const journal = withLocalFallback(
      createRedisJournal({ client: c.client, prefix, timeoutMs: 50 }),
      createFileJournal({ dir, fsync: false }),
    );
    later(() => journal.close());
    await journal.append(entry(0));
    // On a loaded machine the first append can outlast its 50 ms and be kept locally: merged
    // first, so the pause below is what sends the journal local.
    await vi.waitFor(async () => {
      await journal.merge();
      expect(journal.primaryAway()).toBe(false);
      expect(journal.localBacklog).toBe(0);
    });
    await redis.pause();
    try {
      // The first append waits for its timeout, then is kept locally; the journal marks Redis away.
      await journal.append(entry(1));
      expect(journal.primaryAway()).toBe(true);
      const before = c.sent.length;
      for (let i = 2; i < 12; i++) await journal.append(entry(i));
      await expect(journal.pendingOf?.('k3')).rejects.toMatchObject({ kind: 'unavailable' });
      // Nothing reached Redis meanwhile but the journal's own checks (a lookup of its probe key).
      const others = c.sent.slice(before).filter((args) => !args.includes('failover/fallback-journal-probe'));
      expect(others).toEqual([]);
      expect(journal.localBacklog).toBe(11);
    } finally {
      redis.resume();
    }
    await journal.merge();
    expect(journal.primaryAway()).toBe(false);
    expect(journal.localBacklog).toBe(0);
    const other = createRedisJournal({ client: await nodeRedisClient(redis.url), prefix });
    expect((await other.pending()).map((e) => e.id).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `e${i}`).sort(),
    );
  });
});

/**
 * The race the fleet soak found (seeds 4004, 7005, loaded): a lookup of a process with an entry
 * kept locally read Redis's entries, then the key's mark; another instance acknowledged a newer
 * put of the key in between, so the mark left the kept entry out while the entries still showed
 * that put as an intent. Against a real Redis: the other instance's acknowledgement lands right
 * after the entries are read; every lookup still names the kept put.
 */
describe('withLocalFallback: a write acknowledged while a lookup reads', () => {
  it('never leaves out the entry kept locally for a write its answer shows as an intent (pending, pendingWithPrefix, pendingOf)', async () => {
    const client = sharedClients.get('ioredis');
    if (client === undefined) throw new Error('no ioredis client');
    const lookups = ['pending', 'pendingWithPrefix', 'pendingOf'] as const;
    for (const lookup of lookups) {
      const prefix = `fallback-race:${randomBytes(6).toString('hex')}`;
      const dir = await mkdtemp(join(tmpdir(), 'failover-fallback-'));
      later(() => rm(dir, { recursive: true, force: true }));
      const other = createRedisJournal({ client, prefix });
      const redis = createRedisJournal({ client, prefix });
      const at = (v: string, more: Partial<JournalEntry> = {}): JournalEntry => ({
        id: `${v}:k`,
        op: 'put',
        key: 'k',
        version: v,
        holders: ['gcp'],
        missing: ['aws'],
        at: 1,
        ...more,
      });
      // Another instance's older delete and newer put's intent in Redis; this one's put between
      // them kept locally (written while Redis was away), its merge held back.
      await other.append(at('0002', { op: 'delete' }));
      await other.append(at('0004', { intent: true, holders: [], missing: ['aws', 'gcp'] }));
      const file = createFileJournal({ dir, fsync: false });
      await file.open?.();
      await file.append(at('0003'));
      await file.close();
      let release = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let land: (() => Promise<void>) | undefined = () => other.append(at('0004')); // acknowledged
      const afterRead = async <T>(answer: T): Promise<T> => {
        const next = land;
        land = undefined;
        await next?.();
        return answer;
      };
      const primary = {
        ...redis,
        append: async (e: JournalEntry) => {
          await gate;
          return redis.append(e);
        },
        pending: async () => afterRead(await redis.pending()),
        pendingWithPrefix: async (p: string) => afterRead(await redis.pendingWithPrefix(p)),
        pendingOf: async (k: string) => afterRead(await redis.pendingOf(k)),
      };
      const journal = withLocalFallback(primary, createFileJournal({ dir, fsync: false }));
      await journal.open?.();
      const answer =
        lookup === 'pending'
          ? await journal.pending()
          : lookup === 'pendingWithPrefix'
            ? await journal.pendingWithPrefix!('k')
            : await journal.pendingOf!('k');
      expect({ lookup, ids: answer.map((e) => e.id).sort() }).toMatchObject({
        lookup,
        ids: expect.arrayContaining(['0003:k']),
      });
      release();
      await journal.close();
    }
  });
});
