import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { classifyFailure, isAvailabilityKind, redact } from '@failover/core';
import { type BlobStore, createFileJournal, createMultiCloudStore, getBytes } from '@failover/storage';
import { type Fault, faults } from '@failover/testkit';
import { BUCKET, withClouds } from './storage-clouds.js';

/** Which cloud is sick: its proxy gets the fault and its store goes first in the target order. */
export type SickCloud = 'aws' | 'gcp' | 'azure';

/** One row of the "time to fail over" table. */
export interface FailoverSpec {
  readonly name: string;
  readonly sick: SickCloud;
  readonly fault: () => Fault;
}

/** Only body-carrying answers are cut: object downloads of each cloud. */
const DOWNLOADS: Readonly<Record<SickCloud, RegExp>> = {
  aws: /^\/bench\/f\//,
  gcp: /alt=media/,
  azure: /\/bench\/f\//,
};

const cut = (sick: SickCloud): FailoverSpec => ({
  name: `cut mid-body (${sick === 'aws' ? 'S3' : sick === 'gcp' ? 'GCS' : 'Azure'})`,
  sick,
  fault: () => faults.cut({ afterBytes: 5, match: { method: 'GET', path: DOWNLOADS[sick] } }),
});

/** The faults of issue 10, each on the first cloud of the target order. */
export const FAILOVER_SPECS: readonly FailoverSpec[] = [
  { name: 'dns (ENOTFOUND)', sick: 'aws', fault: () => faults.dns() },
  { name: 'refuse (ECONNREFUSED)', sick: 'aws', fault: () => faults.refuse() },
  { name: 'reset (ECONNRESET)', sick: 'aws', fault: () => faults.reset() },
  { name: '503 SlowDown', sick: 'aws', fault: () => faults.slowDown() },
  { name: '429 + Retry-After: 1', sick: 'aws', fault: () => faults.throttle(1) },
  cut('aws'),
  cut('gcp'),
  cut('azure'),
  { name: 'blackhole', sick: 'aws', fault: () => faults.blackhole() },
  { name: '300 ms latency', sick: 'aws', fault: () => faults.latency(300) },
];

/** What one "time to fail over" case measured. */
export interface FailoverRun {
  readonly type: 'failover';
  readonly concurrency: number;
  /** App calls (each a put or a get) offered while the fault was on. */
  readonly calls: number;
  /** App calls that failed (or did not settle within `HUNG_MS`). */
  readonly errors: number;
  readonly hung: number;
  readonly errorSamples: string[];
  /** App calls started before the sick cloud's breaker opened; `null`: it never opened. */
  readonly callsUntilLeft: number | null;
  /**
   * App calls started when the sick cloud's first availability failure came back; `null`: none
   * did. With 8 in flight, the first 8 calls are offered before any answer can come back.
   */
  readonly callsAtFirstFailure: number | null;
  /**
   * App calls started when the sick cloud received its last request with the fault on (app calls,
   * the store's own, repair copies): after that call, nothing more reached it. `0`: nothing did.
   */
  readonly callsUntilLastReached: number;
  /** App calls started when the store first put the sick cloud on hold; `null`: it never did. */
  readonly callsUntilHeld: number | null;
  /** Times a target went on hold before the fault (a healthy cloud held: a wrong guess). */
  readonly holdsWithoutFault: number;
  /** Times a healthy target went on hold with the fault on. */
  readonly healthyHolds: number;
  /** App calls offered before it was left (all of them when it never was). */
  readonly offeredBeforeLeft: number;
  /** Adapter calls the router sent to the sick cloud in that time (attempts, probes included). */
  readonly sickAttemptsBeforeLeft: number;
  /** The same, by adapter method (`put`, `get`, `head`...). */
  readonly sickByMethodBeforeLeft: Record<string, number>;
  /** Latency of the settled gets alone with the fault on, ms. */
  readonly getLatencies: number[];
  /** The same with no fault. */
  readonly getBaseline: number[];
  /** Latency of every settled app call with the fault on, ms. */
  readonly latencies: number[];
  /** The same with no fault, just before it (the healthy baseline). */
  readonly baseline: number[];
}

const CALLS = Number(process.env.BENCH_FAILOVER_CALLS ?? 120);
const MAX_FAULT_MS = Number(process.env.BENCH_FAILOVER_MAX_MS ?? 30_000);
const WARMUP = Number(process.env.BENCH_FAILOVER_WARMUP ?? 40);
/** A call still pending after this long counts as hung (and as an app error). */
const HUNG_MS = 60_000;

/** What reached the sick cloud: every call, and by method; and a hook for its failures. */
interface SickCount {
  n: number;
  byMethod: Record<string, number>;
  /** Called when one of its calls fails with an availability kind. */
  onFailure?: () => void;
  /** Called when it receives a call. */
  onCall?: () => void;
}

/** A store that counts the calls it receives (the router's attempts on it). */
function counted(store: BlobStore, count: SickCount): BlobStore {
  const wrap =
    <A extends unknown[], R>(method: string, fn: (...args: A) => R) =>
    (...args: A): R => {
      count.n++;
      count.onCall?.();
      count.byMethod[method] = (count.byMethod[method] ?? 0) + 1;
      const result = fn(...args);
      if (result instanceof Promise) {
        const failed = (err: unknown) => {
          if (isAvailabilityKind(classifyFailure(err))) count.onFailure?.();
        };
        result.then((value: unknown) => {
          // A download cut mid-body fails after `get` returned: on its body stream.
          const body = method === 'get' ? (value as { body?: unknown } | null)?.body : undefined;
          if (body instanceof Readable) body.once('error', failed);
        }, failed);
      }
      return result;
    };
  return {
    name: store.name,
    put: wrap('put', store.put.bind(store)),
    get: wrap('get', store.get.bind(store)),
    head: wrap('head', store.head.bind(store)),
    exists: wrap('exists', store.exists.bind(store)),
    delete: wrap('delete', store.delete.bind(store)),
    list: wrap('list', store.list.bind(store)),
    copy: wrap('copy', store.copy.bind(store)),
  };
}

/**
 * One case on **default options** (a multi-cloud store given only its targets and a journal):
 * a warm-up with no fault, then the fault on the sick cloud (first in the target order) and
 * `CALLS` app calls, or until `MAX_FAULT_MS` passed: `concurrency` workers, each putting a fresh
 * 1 KiB object and reading it back (two calls; the get is skipped when the put failed).
 */
export function runFailoverCase(spec: FailoverSpec, concurrency: number): Promise<FailoverRun> {
  return withClouds(async (clouds) => {
    const order: SickCloud[] = [
      spec.sick,
      ...(['aws', 'gcp', 'azure'] as const).filter((c) => c !== spec.sick),
    ];
    const index = { aws: 0, gcp: 1, azure: 2 } as const;
    const sickCount: SickCount = { n: 0, byMethod: {} };
    const targets = order.map((c) =>
      c === spec.sick ? counted(clouds.targets[index[c]], sickCount) : clouds.targets[index[c]],
    );
    const store = createMultiCloudStore({
      targets,
      journal: createFileJournal({ dir: join(clouds.tmp, 'journal-failover') }),
    });
    try {
      let leftAt: number | null = null;
      let firstFailureAt: number | null = null;
      let started = 0;
      let faultOn = false;
      sickCount.onFailure = () => {
        if (faultOn && firstFailureAt === null && leftAt === null) firstFailureAt = started;
      };
      let lastReached = 0;
      let heldAt: number | null = null;
      sickCount.onCall = () => {
        if (faultOn) lastReached = started;
      };
      let holdsWithoutFault = 0;
      let healthyHolds = 0;
      store.on('held', (e) => {
        if (!e.held) return;
        if (!faultOn) holdsWithoutFault++;
        else if (e.target !== spec.sick) healthyHolds++;
        else if (heldAt === null) heldAt = started;
      });
      let sickAtLeft = 0;
      let sickByMethodAtLeft: Record<string, number> = {};
      store.on('open', (e) => {
        if (e.target !== spec.sick || leftAt !== null) return;
        leftAt = started;
        sickAtLeft = sickCount.n;
        sickByMethodAtLeft = { ...sickCount.byMethod };
      });
      let seq = 0;
      const errorSamples: string[] = [];
      let errors = 0;
      let hung = 0;
      /** One app call, bounded by `HUNG_MS`; true when it succeeded. */
      const one = async (work: () => Promise<unknown>, into: number[]): Promise<boolean> => {
        started++;
        const start = performance.now();
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          work().then(
            () => 'ok' as const,
            (err: unknown) => err,
          ),
          new Promise<'hung'>((resolve) => {
            timer = setTimeout(() => resolve('hung'), HUNG_MS);
          }),
        ]);
        clearTimeout(timer);
        if (outcome === 'ok') {
          into.push(performance.now() - start);
          return true;
        }
        errors++;
        if (outcome === 'hung') hung++;
        if (errorSamples.length < 3) {
          const text =
            outcome === 'hung' ? 'still pending' : redact(String((outcome as Error)?.message ?? outcome));
          errorSamples.push(
            `${outcome === 'hung' ? 'hung' : classifyFailure(outcome)}: ${text.slice(0, 160)}`,
          );
        }
        return false;
      };
      /** `n` app calls, `concurrency` at a time: a put of a fresh 1 KiB object, then a get of it. */
      const run = async (n: number, into: number[], gets: number[], deadline: number): Promise<void> => {
        let issued = 0;
        const worker = async () => {
          while (issued < n && performance.now() < deadline) {
            issued++;
            const key = `f/${seq++}`;
            const body = randomBytes(1024);
            const put = await one(() => store.put(key, body), into);
            if (!put || issued >= n || performance.now() >= deadline) continue;
            issued++;
            const before = into.length;
            await one(async () => {
              const got = await getBytes(store, key);
              if (!got.equals(body)) throw new Error(`read back other bytes than were written for ${key}`);
            }, into);
            if (into.length > before) gets.push(into[into.length - 1]!);
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
      };

      const baseline: number[] = [];
      const getBaseline: number[] = [];
      await run(WARMUP, [], [], Number.POSITIVE_INFINITY);
      await run(WARMUP, baseline, getBaseline, Number.POSITIVE_INFINITY);
      if (errors > 0) throw new Error(`errors with no fault: ${errorSamples.join('; ')}`);
      const proxy = clouds.proxies[index[spec.sick]];
      started = 0;
      sickCount.n = 0;
      sickCount.byMethod = {};
      const latencies: number[] = [];
      const getLatencies: number[] = [];
      await proxy.setFault(spec.fault());
      faultOn = true;
      try {
        await run(CALLS, latencies, getLatencies, performance.now() + MAX_FAULT_MS);
      } finally {
        await proxy.setFault(faults.pass());
      }
      const left = leftAt as number | null;
      return {
        type: 'failover',
        concurrency,
        calls: started,
        errors,
        hung,
        errorSamples,
        callsUntilLeft: left,
        callsAtFirstFailure: firstFailureAt as number | null,
        callsUntilLastReached: lastReached,
        callsUntilHeld: heldAt as number | null,
        holdsWithoutFault,
        healthyHolds,
        offeredBeforeLeft: left ?? started,
        sickAttemptsBeforeLeft: left === null ? sickCount.n : sickAtLeft,
        sickByMethodBeforeLeft: left === null ? sickCount.byMethod : sickByMethodAtLeft,
        latencies,
        baseline,
        getLatencies,
        getBaseline,
      };
    } finally {
      await store.close();
    }
  });
}

export { BUCKET };
