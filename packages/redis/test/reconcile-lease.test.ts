import { randomBytes } from 'node:crypto';
import {
  type BlobStore,
  createMultiCloudStore,
  getText,
  type ListEntry,
  type ListOptions,
  type MultiCloudStore,
} from '@failover/storage';
import { describe, expect, it, vi } from 'vitest';
import { createRedisJournal } from '../src/index.js';
import { type Client, client, downableCloud, later, raw, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

// A Redis without persistence that restarts loses the journal for the whole fleet at once: every
// instance finds the reset. One reconciles (it holds the fleet-wide lease on the reconcile); the
// others wait and end the reset once it confirmed the new id, or take over when it died.

/** Gates and counts one store's listings (a reconcile lists every cloud). */
class Lists {
  count = 0;
  #open: Promise<void> = Promise.resolve();
  #release: () => void = () => undefined;

  /** Listings wait from now on until {@link Lists.open}. */
  hold(): void {
    this.#open = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  open(): void {
    this.#release();
  }

  /** `store` as seen by one instance: its listings counted and gated. */
  wrap(store: BlobStore): BlobStore {
    const lists = this;
    return {
      ...store,
      list(options?: ListOptions): AsyncIterable<ListEntry> {
        lists.count++;
        return (async function* () {
          await lists.#open;
          yield* store.list(options);
        })();
      },
    };
  }
}

async function fleet() {
  const redis = await redisServer();
  const prefix = `lease:${randomBytes(6).toString('hex')}`;
  const clouds = ['aws', 'gcp', 'azure'].map(downableCloud);
  const admin = await client(redis.url);
  /** An instance with its own Redis connection (its death is the connection's loss). */
  const open = async (): Promise<{ store: MultiCloudStore; lists: Lists; redis: Client }> => {
    const lists = new Lists();
    const c = await client(redis.url);
    const store = createMultiCloudStore({
      targets: clouds.map((t) => lists.wrap(t)),
      journal: createRedisJournal({ client: c, prefix }),
      failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100 } },
      amnesia: { journalLeaseMs: 600 },
      // An application's store (it repairs by itself; an interval far beyond the test): its reset's
      // reconcile runs in the background while the test holds its listings. A store with every
      // trigger off would run it within repair(), which would then wait for the held listings.
      repair: { intervalMs: 3_600_000, delayMs: false, settleMs: 0, onRecovery: false },
    });
    later(async () => {
      lists.open();
      await store.close();
    });
    return { store, lists, redis: c };
  };
  /** Two instances, `k` at v2 on gcp and azure only (aws journaled as missing), then Redis loses its data. */
  const lostJournal = async () => {
    const a = await open();
    const b = await open();
    await a.store.put('k', 'v1');
    await b.store.exists('other'); // b opens: the markers carry the shared journal's id
    await vi.waitFor(async () =>
      expect((await clouds[0]!.head('_failover/epoch'))?.metadata.fo_journal).toBeDefined(),
    );
    clouds[0]!.down = true;
    await a.store.put('k', 'v2');
    clouds[0]!.down = false;
    expect(await getText(clouds[0]!, 'k')).toBe('v1');
    await raw(admin, ['FLUSHALL']); // Redis restarted without persistence
    return { a, b };
  };
  /** Every cloud holds v2 and its marker the journal's new id. */
  const consistent = async (current: string) => {
    for (const c of clouds) {
      expect(await getText(c, 'k')).toBe('v2');
      expect((await c.head('_failover/epoch'))?.metadata.fo_journal).toBe(current);
    }
  };
  return { lostJournal, consistent, clouds, open, admin };
}

describe('a fleet whose Redis journal lost its data', () => {
  it('one instance reconciles, the other waits and ends the reset once it confirmed', async () => {
    const { lostJournal, consistent } = await fleet();
    const { a, b } = await lostJournal();
    for (const i of [a, b]) i.lists.hold();
    const resets: { previous: string; current: string }[] = [];
    for (const i of [a, b]) i.store.on('journalReset', (e) => resets.push(e));
    await Promise.all([a.store.repair(), b.store.repair()]); // both find the reset
    expect(resets).toHaveLength(2);
    const current = resets[0]!.current;
    expect(resets[1]!.current).toBe(current);

    // One holds the lease and reconciles (its listings wait); the other waits for it.
    await vi.waitFor(
      () => {
        const states = [a, b].map((i) => i.store.status().journalReset);
        expect(states.filter((s) => s?.reconciling === true)).toHaveLength(1);
        expect(states.filter((s) => s?.reconcilingElsewhere === true)).toHaveLength(1);
      },
      { timeout: 10_000 },
    );
    const winner = a.store.status().journalReset?.reconciling === true ? a : b;
    const waiting = winner === a ? b : a;
    expect(waiting.store.status().journalReset).toMatchObject({ reconciling: false, current });
    await waiting.store.repair(); // asks again while the winner still holds the lease: waits
    expect(waiting.store.status().journalReset?.reconcilingElsewhere).toBe(true);
    // A reconcile that runs longer than the lease's TTL (600 ms) keeps it: the winner renews it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await waiting.store.repair();
    expect(waiting.store.status().journalReset?.reconcilingElsewhere).toBe(true);
    expect(waiting.lists.count).toBe(0);
    for (const i of [a, b]) i.lists.open();

    await vi.waitFor(() => expect(winner.store.status().journalReset).toBeUndefined(), { timeout: 10_000 });
    // The next pass of the waiting one reads the markers: the winner confirmed the new id.
    await waiting.store.repair();
    expect(waiting.store.status().journalReset).toBeUndefined();
    expect(winner.lists.count).toBe(6); // one reconcile: every cloud listed once (and its tombstones)
    expect(waiting.lists.count).toBe(0);
    await consistent(current);
    for (const i of [a, b]) expect(await getText(i.store, 'k')).toBe('v2');
    // Over for good: a later pass finds the same id and starts nothing.
    await Promise.all([a.store.repair(), b.store.repair()]);
    expect(resets).toHaveLength(2);
    expect(waiting.lists.count).toBe(0);
  });

  it('the lease of an instance that died expires and another instance takes the reconcile over', async () => {
    const { lostJournal, consistent } = await fleet();
    const { a, b } = await lostJournal();
    a.lists.hold(); // a's reconcile hangs in its listings: it never finishes
    const resets: { current: string }[] = [];
    a.store.on('journalReset', (e) => resets.push(e));
    await a.store.repair();
    await vi.waitFor(() => expect(a.store.status().journalReset?.reconciling).toBe(true), {
      timeout: 10_000,
    });
    const current = resets[0]!.current;
    await b.store.repair(); // a holds the lease (and renews it): b waits
    expect(b.store.status().journalReset).toMatchObject({
      current,
      reconciling: false,
      reconcilingElsewhere: true,
    });
    expect(b.lists.count).toBe(0);

    // a dies: its connection to Redis is gone, it neither renews nor releases its lease.
    a.redis.destroy();
    const diedAt = Date.now();
    // b's passes wait while the lease lives on, then b takes the reconcile over.
    await vi.waitFor(
      async () => {
        await b.store.repair();
        expect(b.store.status().journalReset).toBeUndefined();
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(Date.now() - diedAt).toBeGreaterThanOrEqual(200); // not before the lease expired
    expect(b.lists.count).toBe(6); // every cloud: its tombstones, its keys
    await consistent(current);
    expect(await getText(b.store, 'k')).toBe('v2');
  });

  // A delete aws missed (down), then Redis loses the journal: aws's copy is the only one left and
  // the reconcile after the reset took it for the newest version, copying it back everywhere. The
  // delete's tombstones on gcp and azure keep it deleted.
  it("a delete a cloud missed stays done after the reset's reconcile", async () => {
    const { clouds, open, admin } = await fleet();
    const a = await open();
    const b = await open();
    await a.store.put('k', 'v1');
    await b.store.exists('other');
    await vi.waitFor(async () =>
      expect((await clouds[0]!.head('_failover/epoch'))?.metadata.fo_journal).toBeDefined(),
    );
    clouds[0]!.down = true;
    await a.store.delete('k');
    clouds[0]!.down = false;
    // The tombstones are written once every cloud answered the delete.
    await vi.waitFor(async () => {
      for (const c of clouds.slice(1)) {
        const names: string[] = [];
        for await (const e of c.list({ prefix: '_failover/tombstones/' })) if ('key' in e) names.push(e.key);
        expect(names).toHaveLength(1);
      }
    });
    expect(await getText(clouds[0]!, 'k')).toBe('v1');
    await raw(admin, ['FLUSHALL']); // Redis restarted without persistence
    await Promise.all([a.store.repair(), b.store.repair()]);
    await vi.waitFor(
      async () => {
        await Promise.all([a.store.repair(), b.store.repair()]);
        for (const i of [a, b]) expect(i.store.status().journalReset).toBeUndefined();
      },
      { timeout: 10_000, interval: 100 },
    );
    for (const c of clouds) expect(await c.exists('k')).toBe(false);
    for (const i of [a, b]) await expect(getText(i.store, 'k')).rejects.toMatchObject({ kind: 'not_found' });
  });
});
