import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidOptionError } from '@failover/core';
import {
  createMemoryJournal,
  createMultiCloudStore,
  getBytes,
  type MultiCloudStore,
  type MultiCloudStoreOptions,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { type SwitchableStore, switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal, type RedisJournal, withLocalFallback } from '../src/index.js';
import { type AnyClient, clientOf, later, raw, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

/**
 * The write lease of a fleet (`writeLease`, on by default with a Redis journal): the writes of one
 * key by two instances are made one after the other. What each rule costs when the other writer
 * cannot answer: a holder that died blocks the key's writes until its lease lapses (`ttlMs`), a
 * live one at most `waitMs`, a Redis that does not answer not at all (the write goes on without).
 */
describe('a fleet on Redis: the write lease of a key', () => {
  it('waits for a lease whose holder died (it lapses after ttlMs), and sends nothing before', async () => {
    const f = await fleet();
    // A write of another instance that took the lease and died: never renewed, never released.
    const dead = await f.journal.leaseWrite('k', 'dead-writer', 300);
    expect(dead.granted).toBe(true);
    const store = await f.open('w', { writeLease: { ttlMs: 1000 } });
    await store.put('k', Buffer.from('v1'));
    // Every copy was sent once the dead writer's lease had lapsed.
    expect(f.leaseAtPut.length).toBe(3);
    expect(f.leaseAtPut).not.toContain('dead-writer');
    expect(store.status().counts).toMatchObject({ writeLeaseWaits: 1, writeLeaseSkipped: 0 });
    expect((await getBytes(store, 'k')).toString()).toBe('v1');
    // Given back once every copy settled.
    await store.close();
    expect(await raw(f.client, ['EXISTS', `{${f.prefix}}:wlease:k`])).toBe(0);
  });

  it('is renewed while a long write runs: the other instance waits for every copy, then writes after it', async () => {
    const f = await fleet();
    const a = await f.open('a', { writeLease: { ttlMs: 2000 } });
    const b = await f.open('b', { writeLease: { ttlMs: 2000 } });
    // A's copy to azure is held 1.5 times as long as the lease lasts unrenewed (a quorum straggler).
    const held = f.hold(f.targets[2]!);
    await a.put('k', Buffer.from('from-a'));
    const bPut = b.put('k', Buffer.from('from-b'));
    await sleep(3000);
    // B sent nothing while A's straggler ran.
    expect(f.sentBy('b')).toBe(0);
    held.open();
    await bPut;
    await a.close();
    await b.close();
    for (const t of f.targets) expect((await getBytes(t.inner, 'k')).toString(), t.name).toBe('from-b');
    expect(b.status().counts.writeLeaseWaits).toBe(1);
  });

  it('goes on without it after waitMs when a live write holds it, and counts it', async () => {
    const f = await fleet();
    await f.journal.leaseWrite('k', 'live-writer', 60_000);
    const store = await f.open('w', { writeLease: { waitMs: 0 } });
    await store.put('k', Buffer.from('v1'));
    expect(store.status().counts).toMatchObject({ writeLeaseWaits: 0, writeLeaseSkipped: 1 });
    expect((await getBytes(store, 'k')).toString()).toBe('v1');
  });

  it('a write aborted while it waits rejects `aborted` and holds up no later write of this process', async () => {
    const f = await fleet();
    await f.journal.leaseWrite('k', 'other-writer', 60_000);
    const store = await f.open('w', {});
    const controller = new AbortController();
    const first = store.put('k', Buffer.from('v1'), { signal: controller.signal });
    const second = store.put('k', Buffer.from('v2'));
    await sleep(50);
    controller.abort();
    await expect(first).rejects.toMatchObject({ kind: 'aborted' });
    expect(f.sentBy('w')).toBe(0);
    await f.journal.releaseWrite('k', 'other-writer');
    await second;
    expect((await getBytes(store, 'k')).toString()).toBe('v2');
  });

  it('writes without it while Redis does not answer, and takes it again once Redis is back', async () => {
    const f = await fleet();
    // A lease that would outlast the test: the one the paused Redis takes late must be given back.
    const store = await f.open('w', { writeLease: { ttlMs: 600_000 } }, true);
    await store.put('k', Buffer.from('v1'));
    // Its lease given back (the release follows the write's last copy; it also loads the script).
    const leased = () => raw(f.client, ['EXISTS', `{${f.prefix}}:wlease:k`]);
    await expect.poll(leased, { timeout: 10_000, interval: 5 }).toBe(0);
    await f.pause();
    try {
      await store.put('k', Buffer.from('v2'));
    } finally {
      await f.resume();
    }
    expect(store.status().counts.writeLeaseSkipped).toBe(1);
    expect((await getBytes(store, 'k')).toString()).toBe('v2');
    // The lease call that timed out while Redis was paused takes the lease once Redis runs again;
    // the release sent behind it gives it back (else the key's writes would wait for its ttl).
    await expect.poll(leased, { timeout: 10_000, interval: 20 }).toBe(0);
    // Once the fallback journal finds Redis back (its next check), writes take the lease again.
    let n = 3;
    let tookIt = false;
    for (; n < 200 && !tookIt; n++) {
      const skipped = store.status().counts.writeLeaseSkipped;
      await store.put('k', Buffer.from(`v${n}`));
      tookIt = store.status().counts.writeLeaseSkipped === skipped;
      if (!tookIt) await sleep(50);
    }
    expect(tookIt).toBe(true);
    expect(f.leaseAtPut.at(-1)).toEqual(expect.any(String));
    expect((await getBytes(store, 'k')).toString()).toBe(`v${n - 1}`);
    expect(store.status().counts.writeLeaseWaits).toBe(0);
  });

  it('refuses a bad writeLease option with its path', async () => {
    const f = await fleet();
    await expect(f.open('w', { writeLease: { ttlMs: 50 } })).rejects.toThrow(InvalidOptionError);
    await expect(f.open('w', { writeLease: { ttlMs: 50 } })).rejects.toThrow(/writeLease\.ttlMs/);
    await expect(f.open('w', { writeLease: { waitMs: -1 } })).rejects.toThrow(/writeLease\.waitMs/);
    await expect(f.open('w', { writeLease: { other: 1 } as never })).rejects.toThrow(/writeLease\.other/);
  });
});

/** One Redis, three in-memory clouds that note the key's write lease holder at each put. */
async function fleet() {
  const redis = await redisServer();
  const prefix = `write-lease:${randomBytes(6).toString('hex')}`;
  const client: AnyClient = await clientOf('node-redis', redis.url);
  const journal: RedisJournal = createRedisJournal({ client, prefix, timeoutMs: 500 });
  later(() => journal.close());
  const targets = [switchable('aws'), switchable('gcs'), switchable('azure')];
  const leaseAtPut: (string | null)[] = [];
  const writers: string[] = [];
  const state = { paused: false };
  const gates = new Map<SwitchableStore, Promise<void>>();
  for (const t of targets) {
    const put = t.put;
    t.put = async (key, body, options) => {
      writers.push(String(options?.metadata?.fo_version).split('-').at(-1)!);
      if (!state.paused) {
        leaseAtPut.push(
          (await raw(client, ['GET', `{${prefix}}:wlease:${key}`]).catch(() => null)) as string | null,
        );
      }
      await gates.get(t);
      return put(key, body, options);
    };
  }
  return {
    redis,
    prefix,
    client,
    journal,
    targets,
    leaseAtPut,
    /** A store of the fleet, writer `writerId`. */
    open: async (
      writerId: string,
      options: Partial<MultiCloudStoreOptions>,
      fallback = false,
    ): Promise<MultiCloudStore> => {
      const shared = createRedisJournal({
        client: await clientOf('node-redis', redis.url),
        prefix,
        timeoutMs: 500,
      });
      const store = createMultiCloudStore({
        targets,
        journal: fallback ? withLocalFallback(shared, createMemoryJournal()) : shared,
        writerId,
        failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 1000 } },
        amnesia: false,
        repair: { intervalMs: false, delayMs: false, onRecovery: false },
        ...options,
      });
      later(() => store.close());
      return store;
    },
    /** Redis answers nothing until `resume()` (the clouds stop noting the lease holder). */
    pause: async () => {
      state.paused = true;
      await redis.pause();
    },
    resume: async () => {
      await redis.resume();
      state.paused = false;
    },
    /** Holds `t`'s next puts until `open()`. */
    hold: (t: SwitchableStore) => {
      let open!: () => void;
      gates.set(
        t,
        new Promise<void>((resolve) => {
          open = resolve;
        }),
      );
      return {
        open: () => {
          gates.delete(t);
          open();
        },
      };
    },
    /** How many copies writer `writerId` sent to the clouds. */
    sentBy: (writerId: string) => writers.filter((w) => w === writerId).length,
  };
}
