import { randomBytes } from 'node:crypto';
import { isPrefixEntry } from '@failover/storage';
import { faults } from '@failover/testkit';
import { BENCH_FAILOVER, NO_AUTO_REPAIR, withClouds } from './storage-clouds.js';
import type { BenchWriteMode } from './storage-faults.js';

/** One repair case: the write mode during the outage and repair's concurrency. */
export interface RepairSpec {
  readonly writes: BenchWriteMode;
  readonly concurrency: number;
}

/** What one repair run measured. */
export interface RepairRun {
  readonly type: 'repair';
  /** Objects written during the outage. */
  readonly objects: number;
  /** (entry, target) pairs the timed pass looked at. */
  readonly attempted: number;
  readonly repaired: number;
  readonly failed: number;
  /** Pairs still pending after the pass (expected 0). */
  readonly backlog: number;
  /** Wall time of `store.repair()`, ms. */
  readonly ms: number;
  /** Objects of the outage found on the primary after the pass (expected `objects`). */
  readonly onPrimary: number;
}

const OBJECTS = Number(process.env.BENCH_REPAIR_OBJECTS ?? 200);
const OBJECT_BYTES = 1024;
const RESET_MS = 500;

/**
 * Writes `OBJECTS` 1 KiB objects while the primary refuses connections, restores it, lets one
 * call close its breaker, then times `store.repair()` (automatic repair is off) and checks that
 * the primary holds every object.
 */
export function runRepairCase(spec: RepairSpec): Promise<RepairRun> {
  return withClouds(async (clouds) => {
    const store = clouds.multi({
      writes: spec.writes,
      repair: { ...NO_AUTO_REPAIR, concurrency: spec.concurrency },
      failover: { ...BENCH_FAILOVER, breaker: { resetTimeoutMs: RESET_MS } },
    });
    const [primary] = clouds.proxies;
    for (let i = 0; i < 20; i++) await store.put(`warm/${i}`, randomBytes(OBJECT_BYTES));
    await store.repair();

    await primary.setFault(faults.refuse());
    try {
      for (let i = 0; i < OBJECTS; i++) await store.put(`outage/${i}`, randomBytes(OBJECT_BYTES));
    } finally {
      await primary.setFault(faults.pass());
    }
    // The breaker lets a probe through after its reset timeout; a read of a missing key is one.
    while (!store.status().targets[0]?.available) await sleep(20);
    await store.exists('probe/none');
    const state = store.status().targets[0]?.state;
    if (state !== 'closed') throw new Error(`the primary's breaker is ${state} after a successful probe`);

    const start = performance.now();
    const report = await store.repair();
    const ms = performance.now() - start;

    let onPrimary = 0;
    for await (const e of clouds.targets[0].list({ prefix: 'outage/' })) if (!isPrefixEntry(e)) onPrimary++;
    return {
      type: 'repair',
      objects: OBJECTS,
      attempted: report.attempted,
      repaired: report.repaired,
      failed: report.failed.length,
      backlog: report.backlog,
      ms,
      onPrimary,
    };
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
