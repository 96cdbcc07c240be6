import { randomBytes } from 'node:crypto';
import { isPrefixEntry } from '@failover/storage';
import { faults } from '@failover/testkit';
import { BENCH_FAILOVER, NO_AUTO_REPAIR, withClouds } from './storage-clouds.js';
import type { BenchWriteMode } from './storage-faults.js';

/** One repair case: the write mode during the outage and repair's concurrency (its start and its most). */
export interface RepairSpec {
  readonly writes: BenchWriteMode;
  readonly concurrency: number;
  readonly maxConcurrency: number;
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
const LATENCY_MS = Number(process.env.BENCH_REPAIR_LATENCY_MS ?? 0);

/**
 * Writes `OBJECTS` 1 KiB objects while the primary refuses connections, restores it, lets one
 * call close its breaker, then times `store.repair()` (automatic repair is off) and checks that
 * the primary holds every object.
 */
export function runRepairCase(spec: RepairSpec): Promise<RepairRun> {
  return withClouds(async (clouds) => {
    const store = clouds.multi({
      writes: spec.writes,
      repair: { ...NO_AUTO_REPAIR, concurrency: spec.concurrency, maxConcurrency: spec.maxConcurrency },
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
    // The breaker lets a probe through after its reset timeout; a write is one (a read's probe can
    // lose a hedge race to a faster cloud and be cancelled, which proves nothing). The first may
    // still fail (a pooled connection the fault cut): then the next probe, a while later.
    const deadline = performance.now() + 30_000;
    for (let i = 0; store.status().targets[0]?.state !== 'closed'; i++) {
      if (performance.now() > deadline) {
        throw new Error(`the primary's breaker is ${store.status().targets[0]?.state} 30 s after its outage`);
      }
      while (!store.status().targets[0]?.available) await sleep(20);
      // BENCH_REPAIR_PROBE=read: probe with reads alone (a read of a missing key), as a read-only
      // application would.
      if (process.env.BENCH_REPAIR_PROBE === 'read') await store.exists(`probe/${i}`);
      else await store.put(`probe/${i}`, randomBytes(16));
    }

    // BENCH_REPAIR_LATENCY_MS: every request to S3 waits this long first (a cloud across a
    // network, where a copy's round trips, not the CPU, bound repair).
    if (LATENCY_MS > 0) await primary.setFault(faults.latency(LATENCY_MS));
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
