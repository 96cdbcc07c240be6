import type { WriteMode } from '@failover/storage';
import { type Fault, faults } from '@failover/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Clouds,
  expectConverged,
  freshBuckets,
  multiStore,
  startClouds,
  testFailover,
  untilRepaired,
  Workload,
} from './harness.js';

/**
 * The primary (S3) fails in each way the October 2025 us-east-1 outage did, while an application
 * keeps working through the multi-cloud store: puts, gets, lists and deletes before, during and
 * after the outage. The application must see no error (the other clouds are healthy), read back
 * every acknowledged write byte for byte, and after repair every cloud must hold the same bytes
 * and versions, with deleted keys gone everywhere.
 */
interface Scenario {
  readonly name: string;
  readonly fault: Fault;
  readonly writes: WriteMode;
  /** Attempt time limit: needed where the primary hangs (blackhole) or is too slow. */
  readonly attemptTimeoutMs?: number;
}

const scenarios: Scenario[] = [
  { name: 'DNS failure (ENOTFOUND)', fault: faults.dns(), writes: 'mirror' },
  { name: 'connection refused', fault: faults.refuse(), writes: 'mirror' },
  { name: 'connection reset', fault: faults.reset(), writes: 'mirror' },
  { name: '503 SlowDown', fault: faults.slowDown(), writes: 'mirror' },
  { name: '429 with Retry-After', fault: faults.throttle(1), writes: 'mirror' },
  { name: 'blackhole', fault: faults.blackhole(), writes: 'mirror', attemptTimeoutMs: 1000 },
  {
    name: 'slow (past the attempt time limit)',
    fault: faults.latency(3000),
    writes: 'mirror',
    attemptTimeoutMs: 1000,
  },
  { name: 'DNS failure (ENOTFOUND)', fault: faults.dns(), writes: 'primary' },
  { name: '503 SlowDown', fault: faults.slowDown(), writes: 'primary' },
  { name: 'blackhole', fault: faults.blackhole(), writes: 'primary', attemptTimeoutMs: 1000 },
  { name: 'connection refused', fault: faults.refuse(), writes: { quorum: 2 } },
  { name: 'connection reset', fault: faults.reset(), writes: { quorum: 2 } },
  // The default write mode's path for a silent cloud: held, then left on its silence; repair
  // skips it while it is held with its breaker closed and catches it up once it answers again.
  { name: 'blackhole', fault: faults.blackhole(), writes: { quorum: 2 } },
  { name: 'blackhole', fault: faults.blackhole(), writes: { quorum: 2 }, attemptTimeoutMs: 1000 },
];

describe('multi-cloud store across a primary outage (S3, GCS, Azure through the fault proxy)', () => {
  let clouds: Clouds;
  beforeAll(async () => {
    clouds = await startClouds();
  });
  afterAll(async () => {
    await clouds?.stop();
  });

  for (const s of scenarios) {
    const mode = typeof s.writes === 'string' ? s.writes : `quorum ${s.writes.quorum}`;
    const label = s.attemptTimeoutMs === undefined ? '' : ` (attempts limited to ${s.attemptTimeoutMs} ms)`;
    it(`${s.name}${label}, writes ${mode}: no error, every write readable, converged after repair`, async () => {
      const buckets = await freshBuckets(clouds, 'fault');
      const { store } = await multiStore(clouds, buckets, {
        writes: s.writes,
        failover: testFailover(s.attemptTimeoutMs),
      });
      const primary = clouds.proxies[0];
      const failovers: string[] = [];
      const journaled: string[] = [];
      store.on('failover', (e) => failovers.push(`${e.from}->${e.to}`));
      // A read may also leave the sick cloud by a hedge (on by default for idempotent calls).
      store.on('hedge', (e) => failovers.push(`${e.from}->${e.to}`));
      // Or before any read reached it: its breaker opened (a silent cloud is left on its writes'
      // silence), and reads skip it.
      store.on('open', (e) => failovers.push(`${e.target}->(open)`));
      store.on('journaled', (e) => journaled.push(e.key));
      try {
        const w = new Workload(store);
        await w.round('before', 4);
        // In 'primary' mode the other clouds get writes shortly after (asynchronous replication):
        // wait for it, or writes only the primary holds would be unreadable during its outage.
        await untilRepaired(store);

        await primary.setFault(s.fault);
        await w.round('during', 5);
        expect(failovers.some((f) => f.startsWith('aws->'))).toBe(true);
        expect(journaled.length).toBeGreaterThan(0);
        expect(store.status().targets[0]!.state).not.toBe('closed');

        await primary.setFault(faults.pass());
        await w.round('after', 2);
        await untilRepaired(store);
        await w.verifyReads();
        await w.verifyList();
        await expectConverged(buckets.direct, w);
        // Back on the primary once its breaker has closed.
        expect(store.status().targets[0]!.state).toBe('closed');
        // A target that lost hedge races while it was slow stays demoted for one reset timeout:
        // reads come back to it when that ends (looked at until then, not timed).
        const key = [...w.expected.keys()][0]!;
        let servedBy: string | undefined;
        for (let i = 0; i < 400 && servedBy !== 'aws'; i++) {
          servedBy = (await store.head(key))?.target;
          if (servedBy !== 'aws') await new Promise((r) => setTimeout(r, 25));
        }
        expect(servedBy).toBe('aws');
      } finally {
        await primary.setFault(faults.pass());
        await store.close();
      }
    });
  }
});
