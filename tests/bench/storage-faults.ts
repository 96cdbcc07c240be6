import { randomBytes } from 'node:crypto';
import { classifyFailure, redact } from '@failover/core';
import { type BlobStore, getBytes, type MultiCloudStore } from '@failover/storage';
import { type Fault, faults } from '@failover/testkit';
import { BENCH_FAILOVER, withClouds } from './storage-clouds.js';

/** A fault put on the primary's (S3's) proxy. */
export interface FaultSpec {
  readonly name: string;
  readonly fault: () => Fault;
}

/** The faults of the October 2025 us-east-1 outage, and two controls (none, and slow but in time). */
export const FAULT_SPECS: readonly FaultSpec[] = [
  { name: 'none (control)', fault: () => faults.pass() },
  { name: 'dns (ENOTFOUND)', fault: () => faults.dns() },
  { name: 'refuse (ECONNREFUSED)', fault: () => faults.refuse() },
  { name: 'reset (ECONNRESET)', fault: () => faults.reset() },
  { name: '503 SlowDown', fault: () => faults.slowDown() },
  { name: '429 + Retry-After: 1', fault: () => faults.throttle(1) },
  { name: 'blackhole', fault: () => faults.blackhole() },
  {
    name: `latency 3000 ms (past attemptTimeoutMs ${BENCH_FAILOVER.attemptTimeoutMs})`,
    fault: () => faults.latency(3000),
  },
  { name: 'latency 200 ms (within attemptTimeoutMs)', fault: () => faults.latency(200) },
];

/** The write modes the fault benchmark runs in. */
export type BenchWriteMode = 'primary' | 'mirror';

/** What one run of a fault case measured (latencies in ms, one per put+get pair). */
export interface FaultRun {
  readonly type: 'fault';
  /** Pairs with no fault, just before the fault was set. */
  readonly baseline: number[];
  /** Pairs with the fault on, started before the primary's breaker opened (they hit the fault). */
  readonly before: number[];
  /** Pairs started after the breaker opened (they skip the primary, except a half-open probe). */
  readonly after: number[];
  /** Pairs started before / after the breaker opened, failed ones included. */
  readonly beforeCalls: number;
  readonly afterCalls: number;
  /** Pairs that failed with no fault, warm-up included (expected 0). */
  readonly baselineErrors: number;
  /** Pairs that failed with the fault on (a rejected put or get, or wrong bytes read back): what the app saw. */
  readonly errors: number;
  /** A few of those errors, `kind: message`. */
  readonly errorSamples: string[];
  /** True when the primary's breaker opened during the fault. */
  readonly opened: boolean;
  /** Time from the fault to the breaker's opening, ms (`null` when it did not open). */
  readonly msToOpen: number | null;
  /** Half-open probes of the primary during the fault. */
  readonly probes: number;
}

/** Workload sizes, from the environment. */
const PAIRS = Number(process.env.BENCH_FAULT_PAIRS ?? 200);
/** The fault phase ends after this long (or this many pairs) if the breaker has not opened. */
const MAX_BEFORE_MS = Number(process.env.BENCH_FAULT_MAX_BEFORE_MS ?? 30_000);
const MAX_BEFORE_PAIRS = 1000;
const WARMUP = Number(process.env.BENCH_FAULT_WARMUP ?? 300);
const OBJECT_BYTES = 1024;

/**
 * One fault case: after a warm-up, `PAIRS` put+get pairs of 1 KiB objects with no fault (the
 * baseline); then the fault on the primary, and pairs until `PAIRS` have run after the breaker
 * opened (or for `MAX_BEFORE_MS` if it does not open). Every pair reads back and compares what it wrote.
 */
export function runFaultCase(spec: FaultSpec, writes: BenchWriteMode): Promise<FaultRun> {
  return withClouds(async (clouds) => {
    const store = clouds.multi({ writes });
    const primary = clouds.proxies[0];
    let opened = false;
    let openedAt = 0;
    let probes = 0;
    store.on('open', (e) => {
      if (e.target !== 'aws' || opened) return;
      opened = true;
      openedAt = performance.now();
    });
    store.on('halfOpen', (e) => {
      if (e.target === 'aws') probes++;
    });
    const errorSamples: string[] = [];
    let errors = 0;
    let n = 0;
    const timed = async (): Promise<number | undefined> => {
      const key = `f/${n++}`;
      const body = randomBytes(OBJECT_BYTES);
      const start = performance.now();
      try {
        await putThenGet(store, key, body);
        return performance.now() - start;
      } catch (err) {
        errors++;
        if (errorSamples.length < 3) {
          const text = redact(err instanceof Error ? err.message : String(err));
          errorSamples.push(`${classifyFailure(err)}: ${text} [${await whereIs(clouds.targets, key)}]`);
        }
        return undefined;
      }
    };

    for (let i = 0; i < WARMUP; i++) await timed();
    if (errors === WARMUP) throw new Error(`every warm-up pair failed: ${errorSamples.join('; ')}`);
    const baseline: number[] = [];
    for (let i = 0; i < PAIRS; i++) push(baseline, await timed());

    const before: number[] = [];
    const after: number[] = [];
    const baselineErrors = errors;
    let beforeCalls = 0;
    let afterCalls = 0;
    await primary.setFault(spec.fault());
    const faultAt = performance.now();
    const waiting = () => beforeCalls < MAX_BEFORE_PAIRS && performance.now() - faultAt < MAX_BEFORE_MS;
    try {
      while (afterCalls < PAIRS && (opened || waiting())) {
        // The phase is decided when the pair starts.
        if (opened) {
          afterCalls++;
          push(after, await timed());
        } else {
          beforeCalls++;
          push(before, await timed());
        }
      }
    } finally {
      await primary.setFault(faults.pass());
    }
    return {
      type: 'fault',
      baseline,
      before,
      after,
      beforeCalls,
      afterCalls,
      baselineErrors,
      errors: errors - baselineErrors,
      errorSamples,
      opened,
      msToOpen: opened ? openedAt - faultAt : null,
      probes,
    };
  });
}

/** The workload's unit: put an object, read it back, compare. */
async function putThenGet(store: MultiCloudStore, key: string, body: Buffer): Promise<void> {
  await store.put(key, body);
  const got = await getBytes(store, key);
  if (!got.equals(body)) throw new Error(`read back other bytes than were written for ${key}`);
}

/** Where a key is, asked of each target directly (for the error report). */
async function whereIs(targets: readonly BlobStore[], key: string): Promise<string> {
  const found = await Promise.all(
    targets.map(async (t) => {
      try {
        const info = await t.head(key);
        return `${t.name}: ${info === null ? 'missing' : `${info.size} B`}`;
      } catch (err) {
        return `${t.name}: ${classifyFailure(err)}`;
      }
    }),
  );
  return found.join(', ');
}

function push(into: number[], ms: number | undefined): void {
  if (ms !== undefined) into.push(ms);
}
