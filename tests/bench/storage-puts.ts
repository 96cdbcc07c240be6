import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { MultiCloudStore } from '@failover/storage';
import { faults } from '@failover/testkit';
import { BENCH_FAILOVER, BUCKET, withClouds } from './storage-clouds.js';
import { RAW_AZURE, RAW_GCS, RAW_SDK } from './storage-throughput.js';

/** One put case: object size, calls in flight, and latency added by every cloud's proxy. */
export interface PutSpec {
  readonly bytes: number;
  readonly concurrency: number;
  /** Added by each proxy to every request (raw SDKs and stores alike): a model of remote clouds. */
  readonly latencyMs: number;
}

/** What one variant measured, round by round. */
export interface PutVariantRun {
  readonly name: string;
  readonly putsPerSecond: number[];
  /** CPU time this process spent per put (the GCS emulator and the proxies run in it too). */
  readonly cpuMsPerPut: number[];
  /** Median time of one put in each round (ms). */
  readonly p50Ms: number[];
  /** 90th percentile time of one put in each round (ms). */
  readonly p90Ms: number[];
  /** For the multi-cloud stores: the successful calls per target over the measured rounds. */
  readonly landed?: Record<string, number>;
}

export interface PutRun {
  readonly type: 'puts';
  readonly latencyMs: number;
  readonly variants: PutVariantRun[];
}

/** The multi-cloud store's rows. */
export const PRIMARY = "writes: 'primary'";
export const PRIMARY_NO_HEDGE = "writes: 'primary', failover.hedge: false";
export const DEFAULT = 'default ({ quorum: 2, minimum: 1 })';
export const QUORUM3 = '{ quorum: 3 }';
export const MIRROR = "writes: 'mirror'";

const ROUNDS = Number(process.env.BENCH_PUT_ROUNDS ?? 5);
/** `BENCH_PUT_ONLY=raw,primary`: only the variants whose name contains one of these. */
const only = process.env.BENCH_PUT_ONLY?.split(',').map((s) => s.trim());

function callsPerRound(bytes: number, latencyMs: number): number {
  if (bytes > 64 * 1024) return 32;
  return latencyMs > 0 ? 100 : 200;
}

interface Variant {
  readonly name: string;
  put(key: string, body: Buffer): Promise<unknown>;
  /** A multi-cloud store's successful calls per target so far. */
  successes?(): Record<string, number>;
}

function successesOf(store: MultiCloudStore): () => Record<string, number> {
  return () => Object.fromEntries(store.status().targets.map((t) => [t.name, t.successes]));
}

/**
 * Puts alone (issue 9's and issue 13's bounds): each cloud's raw SDK and the multi-cloud store
 * in each write mode, through the same proxies to the same servers, taking turns in each round
 * (a different one first each round) so that a round compares calls made under the same load.
 * Records puts per second, CPU time per put and the median and p90 time of one put. With
 * `latencyMs`, every proxy delays every request by that much before forwarding it.
 */
export function runPutCase(spec: PutSpec): Promise<PutRun> {
  return withClouds(
    async (clouds) => {
      if (spec.latencyMs > 0) {
        for (const p of clouds.proxies) await p.setFault(faults.latency(spec.latencyMs));
      }
      const gcsBucket = clouds.gcsClient.bucket(BUCKET);
      const container = clouds.azureClient.getContainerClient(BUCKET);
      const primary = clouds.multi({ writes: 'primary' });
      // Without hedging the router never demotes the primary (S3) for a faster cloud: every put goes
      // to S3, as the raw SDK's does.
      const primaryNoHedge = clouds.multi({
        writes: 'primary',
        failover: { ...BENCH_FAILOVER, hedge: false },
      });
      const quorum = clouds.multi();
      const quorum3 = clouds.multi({ writes: { quorum: 3 } });
      const mirror = clouds.multi({ writes: 'mirror' });
      const all: Variant[] = [
        {
          name: RAW_SDK,
          put: (key, body) =>
            clouds.s3Client.send(
              new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: body.length }),
            ),
        },
        { name: RAW_GCS, put: (key, body) => gcsBucket.file(key).save(body, { resumable: false }) },
        { name: RAW_AZURE, put: (key, body) => container.getBlockBlobClient(key).uploadData(body) },
        { name: PRIMARY, put: (key, body) => primary.put(key, body), successes: successesOf(primary) },
        {
          name: PRIMARY_NO_HEDGE,
          put: (key, body) => primaryNoHedge.put(key, body),
          successes: successesOf(primaryNoHedge),
        },
        { name: DEFAULT, put: (key, body) => quorum.put(key, body), successes: successesOf(quorum) },
        { name: QUORUM3, put: (key, body) => quorum3.put(key, body), successes: successesOf(quorum3) },
        { name: MIRROR, put: (key, body) => mirror.put(key, body), successes: successesOf(mirror) },
      ];
      const variants = all.filter((v) => only === undefined || only.some((o) => v.name.includes(o)));
      const calls = callsPerRound(spec.bytes, spec.latencyMs);
      const bodies = Array.from({ length: calls }, () => randomBytes(spec.bytes));
      const results: PutVariantRun[] = variants.map((v) => ({
        name: v.name,
        putsPerSecond: [],
        cpuMsPerPut: [],
        p50Ms: [],
        p90Ms: [],
        ...(v.successes === undefined ? {} : { landed: {} }),
      }));
      for (let round = 0; round <= ROUNDS; round++) {
        for (let turn = 0; turn < variants.length; turn++) {
          const i = (turn + round) % variants.length;
          const v = variants[i]!;
          const keys = bodies.map((_, k) => `p/${i}/${round}/${k}`);
          const before = v.successes?.();
          const cpu = process.cpuUsage();
          const m = await measure(calls, spec.concurrency, (k) => v.put(keys[k]!, bodies[k]!));
          const used = process.cpuUsage(cpu);
          if (round === 0) continue; // warm-up
          const r = results[i]!;
          if (before !== undefined && r.landed !== undefined) {
            for (const [name, n] of Object.entries(v.successes!())) {
              r.landed[name] = (r.landed[name] ?? 0) + n - (before[name] ?? 0);
            }
          }
          r.putsPerSecond.push(m.rate);
          r.cpuMsPerPut.push((used.user + used.system) / 1000 / calls);
          r.p50Ms.push(m.p50);
          r.p90Ms.push(m.p90);
        }
      }
      return { type: 'puts', latencyMs: spec.latencyMs, variants: results };
    },
    { gcsInChild: process.env.BENCH_GCS_CHILD === '1' },
  );
}

/** Runs `fn(0..calls-1)` with `concurrency` calls in flight: calls per second and call times. */
async function measure(
  calls: number,
  concurrency: number,
  fn: (k: number) => Promise<unknown>,
): Promise<{ rate: number; p50: number; p90: number }> {
  let next = 0;
  const times: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, calls) }, async () => {
      while (next < calls) {
        const k = next++;
        const t = performance.now();
        await fn(k);
        times.push(performance.now() - t);
      }
    }),
  );
  const elapsed = performance.now() - start;
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { rate: (calls / elapsed) * 1000, p50: at(0.5), p90: at(0.9) };
}
