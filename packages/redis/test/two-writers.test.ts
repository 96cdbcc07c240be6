import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BlobStore,
  createMultiCloudStore,
  getBytes,
  type MultiCloudStore,
  NotFoundError,
  PreconditionFailedError,
  StorageError,
} from '@failover/storage';
import { seededRandom } from '@failover/testkit';
import { describe, expect, it } from 'vitest';
import { type SwitchableStore, switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal } from '../src/index.js';
import { clientOf, later, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

/**
 * Two instances of a fleet writing the same keys at the same moment. Each cloud keeps whichever
 * copy reached it last, so without an order between the two writes the newer one can be
 * overwritten by the older one everywhere (its reads then fail `unavailable` until repair settles
 * it as a conflict) and the clouds can disagree until `reconcile` (measured without the write
 * lease: 8 of 120 rounds read `unavailable` right after both puts; after repair one key still
 * differed between clouds, and the two instances read different versions of it). With the lease
 * (the default, `writeLease`), the writes of one key are made one after the other: the second has
 * the newer version, both instances read it right after both puts, and once the copies settled
 * every cloud holds it, with no repair or reconcile. Without the lease, what must still hold: no
 * read returns bytes neither instance wrote, and after `reconcile` one version everywhere.
 */
describe('a fleet on Redis: two instances overwrite the same keys at once', () => {
  it('with the write lease: both read the later write at once, and every cloud holds it', async () => {
    const fleet = await twoWriters(undefined);
    const last = new Map<string, string>();
    for (let i = 0; i < 60; i++) {
      const key = `k${i % 3}`;
      await fleet.round(i, key);
      const got = [await fleet.read(fleet.a, key), await fleet.read(fleet.b, key)];
      expect(got[0], `round ${i}`).not.toBe('unavailable');
      expect(got[1], `round ${i}`).toBe(got[0]);
      last.set(key, got[0]!);
    }
    // close() waits for every copy still uploading (a quorum's stragglers).
    await fleet.a.close();
    await fleet.b.close();
    for (const [key, value] of last) expect([...(await fleet.onClouds(key))], key).toEqual([value]);
  });

  it('with the write lease: a delete and a put of one key at once end the same on both instances and every cloud', async () => {
    const fleet = await twoWriters(undefined);
    const last = new Map<string, string>();
    for (let i = 0; i < 60; i++) {
      const key = `k${i % 3}`;
      await fleet.round(i, key, 'delete');
      const got = [await fleet.read(fleet.a, key), await fleet.read(fleet.b, key)];
      expect(got[0], `round ${i}`).not.toBe('unavailable');
      expect(got[1], `round ${i}`).toBe(got[0]);
      expect(['absent', `b-${i}`], `round ${i}`).toContain(got[0]);
      last.set(key, got[0]!);
    }
    await fleet.a.close();
    await fleet.b.close();
    for (const [key, value] of last) expect([...(await fleet.onClouds(key))], key).toEqual([value]);
  });

  it('with the write lease: three instances put and delete two keys at once while a cloud goes down at times; all read the same, and every cloud ends the same', async () => {
    const rand = seededRandom(20261208);
    const redis = await redisServer();
    const prefix = `three-writers:${randomBytes(6).toString('hex')}`;
    const targets = [switchable('aws'), switchable('gcs'), switchable('azure')];
    for (const t of targets) {
      const { put, delete: del } = t;
      t.put = async (key, body, options) => {
        await sleep(Math.floor(rand() * 12));
        return put(key, body, options);
      };
      t.delete = async (key, options) => {
        await sleep(Math.floor(rand() * 12));
        return del(key, options);
      };
    }
    const stores: MultiCloudStore[] = [];
    for (const id of ['a', 'b', 'c']) {
      const store = createMultiCloudStore({
        targets,
        journal: createRedisJournal({
          client: await clientOf('node-redis', redis.url),
          prefix,
          timeoutMs: 2000,
        }),
        writerId: id,
        failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 1000 } },
        amnesia: false,
        // The rounds check the lease's order, not ejections: a busy machine's silences eject nothing.
        unresponsive: false,
        repair: { intervalMs: false, delayMs: false, onRecovery: false },
      });
      later(() => store.close());
      stores.push(store);
    }
    const last = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const key = `k${i % 2}`;
      // A cloud down for the round now and then: the writes are journaled for it.
      const down = rand() < 0.3 ? targets[Math.floor(rand() * 3)]! : undefined;
      if (down !== undefined) down.down = 'unavailable';
      const ops = stores.map((_, n) => (rand() < 0.3 ? 'delete' : `${'abc'[n]}-${i}`));
      await Promise.all(
        stores.map(async (store, n) => {
          await sleep(Math.floor(rand() * 5));
          if (ops[n] === 'delete') await store.delete(key);
          else await store.put(key, Buffer.from(ops[n]!));
        }),
      );
      const got = await Promise.all(stores.map((store) => readOf(store, key)));
      expect(new Set(got).size, `round ${i}: ${got.join(', ')}`).toBe(1);
      expect(
        ops.map((o) => (o === 'delete' ? 'absent' : o)),
        `round ${i}`,
      ).toContain(got[0]);
      last.set(key, got[0]!);
      if (down !== undefined) {
        // Back: its breakers closed (as a probe would), so no later round finds every cloud skipped.
        down.down = undefined;
        for (const store of stores) store.recover(down.name);
      }
    }
    // Every cloud up: repair brings each up to date (the breakers closed first: a cloud down for a
    // round may have opened them).
    for (const store of stores) {
      for (const t of targets) store.recover(t.name);
      await store.repair();
    }
    for (const store of stores) await store.close();
    for (const [key, value] of last) expect([...(await onClouds(targets, key))], key).toEqual([value]);
  });

  it("with the write lease: of two instances' puts of a new key with ifNoneMatch at once, exactly one wins, everywhere", async () => {
    const fleet = await twoWriters(undefined);
    const rand = seededRandom(20261209);
    for (let i = 0; i < 40; i++) {
      const key = `new/${i}`;
      const results = await Promise.allSettled(
        [fleet.a, fleet.b].map(async (store, n) => {
          await sleep(Math.floor(rand() * 5));
          await store.put(key, Buffer.from(`${'ab'[n]}-${i}`), { ifNoneMatch: '*' });
          return `${'ab'[n]}-${i}`;
        }),
      );
      const won = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
      expect(won.length, `round ${i}`).toBe(1);
      const lost = results.find((r) => r.status === 'rejected');
      expect(lost?.reason, `round ${i}`).toBeInstanceOf(PreconditionFailedError);
      expect(await fleet.read(fleet.a, key), `round ${i}`).toBe(won[0]);
      expect(await fleet.read(fleet.b, key), `round ${i}`).toBe(won[0]);
    }
    await fleet.a.close();
    await fleet.b.close();
    for (let i = 0; i < 40; i++) expect((await fleet.onClouds(`new/${i}`)).size, `new/${i}`).toBe(1);
  });

  it('without it (`writeLease: false`): no read returns other bytes, and reconcile makes them agree', async () => {
    const fleet = await twoWriters(false);
    for (let i = 0; i < 60; i++) {
      const key = `k${i % 3}`;
      const bodies = await fleet.round(i, key);
      for (const s of [fleet.a, fleet.b]) {
        const got = await fleet.read(s, key);
        if (got !== 'unavailable') expect(bodies).toContain(got);
      }
    }
    const { a, b } = fleet;
    await a.repair();
    await b.repair();
    const report = await a.reconcile();
    expect(report.errors).toEqual([]);
    for (const key of fleet.written.keys()) {
      const onClouds = await fleet.onClouds(key);
      expect(onClouds.size, key).toBe(1);
      const [held] = onClouds;
      expect(fleet.written.get(key)).toContain(held);
      expect(await fleet.read(a, key)).toBe(held);
      expect(await fleet.read(b, key)).toBe(held);
    }
  });
});

/** Two instances over one Redis and three clouds that take each write after 0 to 12 ms. */
async function twoWriters(writeLease: false | undefined) {
  const rand = seededRandom(20261207);
  const redis = await redisServer();
  const prefix = `two-writers:${randomBytes(6).toString('hex')}`;
  const targets = [switchable('aws'), switchable('gcs'), switchable('azure')];
  // Each cloud takes each write after a few ms: the two writes reach the clouds in any order.
  for (const t of targets) {
    const put = t.put;
    t.put = async (key, body, options) => {
      await sleep(Math.floor(rand() * 12));
      return put(key, body, options);
    };
  }
  const open = async (id: string): Promise<MultiCloudStore> => {
    const client = await clientOf('node-redis', redis.url);
    const store = createMultiCloudStore({
      targets,
      journal: createRedisJournal({ client, prefix, timeoutMs: 2000 }),
      writerId: id,
      failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 1000 } },
      amnesia: false,
      repair: { intervalMs: false, delayMs: false, onRecovery: false },
      ...(writeLease === false ? { writeLease } : {}),
    });
    later(() => store.close());
    return store;
  };
  const a = await open('a');
  const b = await open('b');
  const written = new Map<string, Set<string>>();
  return {
    a,
    b,
    written,
    /**
     * Both instances write `key` at once (each after 0 to 4 ms): `b` puts, `a` puts too (or
     * deletes, with `aOp: 'delete'`); returns the two bodies put (`a`'s is never read after a delete).
     */
    round: async (i: number, key: string, aOp: 'put' | 'delete' = 'put'): Promise<string[]> => {
      const bodies = [`a-${i}`, `b-${i}`];
      for (const body of bodies) written.set(key, (written.get(key) ?? new Set()).add(body));
      await Promise.all([
        sleep(Math.floor(rand() * 5)).then(async () => {
          if (aOp === 'put') await a.put(key, Buffer.from(bodies[0]!));
          else await a.delete(key);
        }),
        sleep(Math.floor(rand() * 5)).then(() => b.put(key, Buffer.from(bodies[1]!))),
      ]);
      return bodies;
    },
    read: (store: MultiCloudStore, key: string) => readOf(store, key),
    onClouds: (key: string) => onClouds(targets, key),
  };
}

/** What `store` reads of `key`: its bytes as text, `'absent'` (not found) or `'unavailable'`. */
function readOf(store: BlobStore, key: string): Promise<string> {
  return getBytes(store, key).then(
    (bytes) => bytes.toString(),
    (err: unknown) => {
      if (err instanceof StorageError && err.kind === 'unavailable') return 'unavailable';
      if (err instanceof NotFoundError) return 'absent';
      throw err;
    },
  );
}

/** What each cloud holds of `key` (`'absent'`: nothing). */
async function onClouds(targets: readonly SwitchableStore[], key: string): Promise<Set<string>> {
  const held = new Set<string>();
  for (const t of targets) held.add(await readOf(t.inner, key));
  return held;
}
