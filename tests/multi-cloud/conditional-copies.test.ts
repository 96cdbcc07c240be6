import {
  type BlobBody,
  type BlobStore,
  createMemoryJournal,
  createMultiCloudStore,
  getBytes,
  getText,
  type MultiCloudStore,
  type PutOptions,
  type RepairReport,
} from '@failover/storage';
import { faults } from '@failover/testkit';
import { describe, expect, it } from 'vitest';
import { type Buckets, freshBuckets, multiStore, testFailover, useClouds } from './harness.js';

// Repair and reconcile copy a version to a cloud after looking at what it holds. Against the real
// servers (s3rver, the GCS emulator, Azurite) through the official SDKs: whatever lands on that
// cloud between the look and the copy (another writer's newer version, a late request of an older
// one) is never replaced by an older version, because the copy is a provider conditional write
// (S3 If-Match / If-None-Match, GCS ifGenerationMatch, Azure If-Match) on what was seen.

/**
 * A store whose next `put` of a user key first runs `interpose` (once): what lands between a look
 * and a write. The store's own objects (epoch markers under `_failover/`) pass by.
 */
interface Interposed extends BlobStore {
  interpose: (() => Promise<unknown>) | undefined;
}

function interposed(store: BlobStore): Interposed {
  const s: Interposed = {
    name: store.name,
    interpose: undefined,
    put: async (key: string, body: BlobBody, options?: PutOptions) => {
      const before = key.startsWith('_failover/') ? undefined : s.interpose;
      if (before !== undefined) s.interpose = undefined;
      await before?.();
      return store.put(key, body, options);
    },
    get: (key, options) => store.get(key, options),
    head: (key, options) => store.head(key, options),
    exists: (key, options) => store.exists(key, options),
    delete: (key, options) => store.delete(key, options),
    list: (options) => store.list(options),
    copy: (from, to, options) => store.copy(from, to, options),
  };
  return s;
}

const CLOUDS = ['aws', 'gcp', 'azure'] as const;

describe('multi-cloud store: conditional copies on the real servers', () => {
  const env = useClouds();
  const { stores } = env;

  /**
   * A store over interposed proxied stores (mirror writes, no repair of its own, breakers that do
   * not trip), `key` at v1 everywhere (unless `behindHoldsV1` is false), then v2 acknowledged
   * while cloud `behind` refused connections: its journal owes that cloud v2.
   */
  async function behindCloud(behind: number, behindHoldsV1: boolean) {
    const buckets = await freshBuckets(env.clouds, `cond-${CLOUDS[behind]}`);
    const targets = buckets.viaProxy.map(interposed);
    const { store } = await multiStore(env.clouds, buckets, {
      targets,
      writes: 'mirror',
      failover: testFailover(),
      repair: { intervalMs: false, delayMs: false, onRecovery: false, settleMs: 0 },
    });
    stores.push(store);
    const key = 'k/receipt.bin';
    // Every cloud gets the store's epoch marker first (a cloud without one is checked for lost data).
    await store.put('warm-up', 'w');
    if (behindHoldsV1) await store.put(key, 'v1');
    await env.clouds.proxies[behind]!.setFault(faults.refuse());
    if (!behindHoldsV1) await store.put(key, 'v1');
    await store.put(key, 'v2');
    await env.clouds.proxies[behind]!.setFault(faults.pass());
    expect(store.status().journal.backlog).toBeGreaterThan(0);
    await untilAvailable(store, behind);
    return { store, targets, buckets, key };
  }

  /**
   * One repair pass that ran: a pass whose pairs were all skipped (the recovering target's
   * half-open breaker busy with another call's probe, seen on a loaded machine) is run again, as
   * the store's next pass would.
   */
  async function repairOnce(store: MultiCloudStore): Promise<RepairReport> {
    for (let i = 0; ; i++) {
      const report = await store.repair();
      if (report.skipped === 0 || report.skipped < report.attempted || i >= 200) return report;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Waits until the target's breaker lets calls through again (it opened during the outage). */
  async function untilAvailable(store: MultiCloudStore, target: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!store.status().targets[target]!.available) {
      if (Date.now() > deadline) throw new Error(`${CLOUDS[target]} stayed unavailable`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Another writer (own process, own journal) straight to the servers, the behind cloud last. */
  function otherWriter(buckets: Buckets, behind: number): MultiCloudStore {
    const direct = [...buckets.direct];
    const [late] = direct.splice(behind, 1);
    const store = createMultiCloudStore({
      targets: [...direct, late!],
      journal: createMemoryJournal(),
      writes: 'mirror',
      amnesia: false,
      failover: testFailover(),
      repair: { intervalMs: false, delayMs: false, settleMs: 0 },
    });
    stores.push(store);
    return store;
  }

  /** Ground truth: every server holds `text` for `key`, under one version. */
  async function expectEverywhere(buckets: Buckets, key: string, text: string): Promise<void> {
    const versions = new Set<string | undefined>();
    for (const store of buckets.direct) {
      expect((await getBytes(store, key)).toString(), `${key} on ${store.name}`).toBe(text);
      versions.add((await store.head(key))?.metadata.fo_version);
    }
    expect(versions.size).toBe(1);
  }

  describe.each(CLOUDS.map((name, i) => [name, i] as const))('the cloud behind is %s', (_name, behind) => {
    for (const during of ['repair', 'reconcile'] as const) {
      for (const holdsV1 of [true, false]) {
        it(`${during}: another writer's newer version landing before the copy stays (the cloud held ${holdsV1 ? 'v1' : 'nothing'})`, async () => {
          const { store, targets, buckets, key } = await behindCloud(behind, holdsV1);
          const other = otherWriter(buckets, behind);
          targets[behind]!.interpose = async () => {
            expect(await getText(other, key)).toBe('v2');
            await other.put(key, 'v3');
          };
          if (during === 'repair') {
            const report = await repairOnce(store);
            expect(report.failed).toEqual([]);
            expect(report.conflicts).toBe(1);
          } else {
            const report = await store.reconcile();
            expect(report.errors).toEqual([]);
            expect(report.copied).toBe(0);
            expect(report.conflicts).toBe(1);
          }
          expect(targets[behind]!.interpose).toBeUndefined(); // it ran
          expect(store.status().journal.backlog).toBe(0);
          await expectEverywhere(buckets, key, 'v3');
          expect(await getText(store, key)).toBe('v3');
        });
      }

      it(`${during}: a late request of v1 landing again before the copy: it looks again and copies v2`, async () => {
        const { store, targets, buckets, key } = await behindCloud(behind, true);
        const direct = buckets.direct[behind]!;
        const v1 = await direct.head(key);
        targets[behind]!.interpose = () =>
          direct.put(key, 'v1', { contentType: v1!.contentType!, metadata: v1!.metadata });
        if (during === 'repair') {
          const report = await repairOnce(store);
          expect(report.failed).toEqual([]);
          expect(report.repaired).toBe(1);
        } else {
          const report = await store.reconcile();
          expect(report.errors).toEqual([]);
          expect(report.copied).toBe(1);
        }
        expect(targets[behind]!.interpose).toBeUndefined();
        expect(store.status().journal.backlog).toBe(0);
        await expectEverywhere(buckets, key, 'v2');
      });
    }
  });
});
