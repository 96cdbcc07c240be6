import {
  type BlobBody,
  type BlobStore,
  createMemoryJournal,
  createMultiCloudStore,
  type DeleteOptions,
  getBytes,
  type MultiCloudStore,
  type PutOptions,
  type ReconcileReport,
  type RepairReport,
} from '@failover/storage';
import { faults } from '@failover/testkit';
import { expect } from 'vitest';
import { type Buckets, type CloudsFixture, freshBuckets, multiStore, testFailover } from './harness.js';

// What the conditional-copies and conditional-deletes tests share: a store whose next write runs
// something first (what lands between repair's look at a cloud and its write there), a multi-cloud
// store with one cloud behind, another writer, and the ground truth read straight from the servers.

export const CLOUDS = ['aws', 'gcp', 'azure'] as const;

/**
 * A store whose next `put` or `delete` of a user key first runs `interpose` (once): what lands
 * between a look and a write. The store's own objects (epoch markers under `_failover/`) pass by.
 */
export interface Interposed extends BlobStore {
  interpose: (() => Promise<unknown>) | undefined;
}

export function interposed(store: BlobStore): Interposed {
  const before = async (key: string): Promise<void> => {
    const run = key.startsWith('_failover/') ? undefined : s.interpose;
    if (run !== undefined) s.interpose = undefined;
    await run?.();
  };
  const s: Interposed = {
    name: store.name,
    interpose: undefined,
    put: async (key: string, body: BlobBody, options?: PutOptions) => {
      await before(key);
      return store.put(key, body, options);
    },
    get: (key, options) => store.get(key, options),
    head: (key, options) => store.head(key, options),
    exists: (key, options) => store.exists(key, options),
    delete: async (key: string, options?: DeleteOptions) => {
      await before(key);
      return store.delete(key, options);
    },
    list: (options) => store.list(options),
    copy: (from, to, options) => store.copy(from, to, options),
  };
  return s;
}

/** A multi-cloud store with one cloud behind: over interposed proxied stores, repair only when asked. */
export interface BehindCloud {
  readonly store: MultiCloudStore;
  readonly targets: Interposed[];
  readonly buckets: Buckets;
  readonly key: string;
}

/**
 * A store over interposed proxied stores (mirror writes, no repair of its own, breakers that do not
 * trip) on fresh buckets, every cloud holding the store's epoch marker; then `write` runs while
 * cloud `behind` refuses connections (its journal then owes that cloud something) and the cloud
 * comes back. `before` runs first, with every cloud up.
 */
export async function behindCloud(
  env: CloudsFixture,
  label: string,
  behind: number,
  steps: {
    readonly before?: (store: MultiCloudStore, key: string) => Promise<unknown>;
    readonly during: (store: MultiCloudStore, key: string) => Promise<unknown>;
  },
): Promise<BehindCloud> {
  const buckets = await freshBuckets(env.clouds, `${label}-${CLOUDS[behind]}`);
  const targets = buckets.viaProxy.map(interposed);
  const { store } = await multiStore(env.clouds, buckets, {
    targets,
    writes: 'mirror',
    failover: testFailover(),
    repair: { intervalMs: false, delayMs: false, onRecovery: false, settleMs: 0 },
  });
  env.stores.push(store);
  const key = 'k/receipt.bin';
  // Every cloud gets the store's epoch marker first (a cloud without one is checked for lost data).
  await store.put('warm-up', 'w');
  await steps.before?.(store, key);
  await env.clouds.proxies[behind]!.setFault(faults.refuse());
  await steps.during(store, key);
  await env.clouds.proxies[behind]!.setFault(faults.pass());
  expect(store.status().journal.backlog).toBeGreaterThan(0);
  await untilAvailable(store, behind);
  return { store, targets, buckets, key };
}

/**
 * Runs `run` again while its report says something was skipped (the recovering target's half-open
 * breaker busy with another call's probe, seen on a loaded machine), as the store itself does in
 * the background (probe-retry.ts), at most 200 more times; `add` sums the reports.
 */
async function untilNoneSkipped<R>(
  run: () => Promise<R>,
  skipped: (report: R) => boolean,
  add: (total: R, report: R) => R,
): Promise<R> {
  let total: R | undefined;
  for (let i = 0; ; i++) {
    const report = await run();
    total = total === undefined ? report : add(total, report);
    if (!skipped(report) || i >= 200) return total;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Repair until no pair was skipped; the counts add up over the passes (a pass may repair one pair
 * and skip another whose target's probe was busy: the test wants every pair's outcome).
 */
export function repairOnce(store: MultiCloudStore): Promise<RepairReport> {
  return untilNoneSkipped(
    () => store.repair(),
    (report) => report.skipped > 0,
    (total, report) => ({
      ...report,
      attempted: total.attempted + report.attempted - total.skipped,
      repaired: total.repaired + report.repaired,
      conflicts: total.conflicts + report.conflicts,
      lost: total.lost + report.lost,
      deferred: total.deferred + report.deferred,
      failed: [...total.failed, ...report.failed],
    }),
  );
}

/** Reconcile until no target was skipped (it could not be listed); the counts add up over the runs. */
export function reconcileOnce(store: MultiCloudStore): Promise<ReconcileReport> {
  return untilNoneSkipped(
    () => store.reconcile(),
    (report) => report.skippedTargets.length > 0,
    (total, report) => ({
      ...report,
      copied: total.copied + report.copied,
      deleted: total.deleted + report.deleted,
      conflicts: total.conflicts + report.conflicts,
      corrupt: total.corrupt + report.corrupt,
      lost: total.lost + report.lost,
      errors: [...total.errors, ...report.errors],
      changes: [...total.changes, ...report.changes],
    }),
  );
}

/** Waits until the target's breaker lets calls through again (it opened during the outage). */
export async function untilAvailable(store: MultiCloudStore, target: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!store.status().targets[target]!.available) {
    if (Date.now() > deadline) throw new Error(`${CLOUDS[target]} stayed unavailable`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Another writer (own process: own journal, own clock) straight to the servers, the behind cloud
 * last; with `skipBehind`, over the other two clouds only (its write to the behind cloud is a
 * request that lands late, replayed by the test).
 */
export function otherWriter(
  env: CloudsFixture,
  buckets: Buckets,
  behind: number,
  skipBehind = false,
): MultiCloudStore {
  const direct = [...buckets.direct];
  const [late] = direct.splice(behind, 1);
  const store = createMultiCloudStore({
    targets: skipBehind ? direct : [...direct, late!],
    journal: createMemoryJournal(),
    writes: 'mirror',
    amnesia: false,
    failover: testFailover(),
    repair: { intervalMs: false, delayMs: false, settleMs: 0 },
  });
  env.stores.push(store);
  return store;
}

/** Ground truth: every server holds `text` for `key`, under one version. */
export async function expectEverywhere(buckets: Buckets, key: string, text: string): Promise<void> {
  const versions = new Set<string | undefined>();
  for (const store of buckets.direct) {
    expect((await getBytes(store, key)).toString(), `${key} on ${store.name}`).toBe(text);
    versions.add((await store.head(key))?.metadata.fo_version);
  }
  expect(versions.size).toBe(1);
}

/** Ground truth: no server holds `key`. */
export async function expectNowhere(buckets: Buckets, key: string): Promise<void> {
  for (const store of buckets.direct) expect(await store.head(key), `${key} on ${store.name}`).toBeNull();
}
