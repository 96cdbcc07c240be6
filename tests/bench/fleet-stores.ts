import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  type BlobStore,
  createFileJournal,
  createMemoryJournal,
  createMultiCloudStore,
  type MultiCloudStore,
  readAll,
} from '@failover/storage';
import { faults, type RedisLocalServer, startRedisServer } from '@failover/testkit';
import { type FleetInstance, openFleetInstance } from '../multi-cloud/fleet-instance.js';
import {
  crossInstanceReads,
  type FleetWorld,
  redisOutageSoak,
  writerKilledWithBacklog,
} from '../multi-cloud/fleet-scenarios.js';
import { cloudStores, startTargetOrderClouds, type TargetOrderClouds } from '../support/clouds.js';
import type { FromTripChild, ToTripChild } from './fleet-trip-child.js';

/**
 * Fleet mode at the store level (`pnpm bench fleet/stores`, `fleet/scenarios`): multi-cloud stores
 * (each on its own Redis connection, in this process) over the three local clouds behind their
 * fault proxies, sharing one redis-server. AWS is "killed" by its proxy refusing connections.
 */
const tripChild = fileURLToPath(new URL('./fleet-trip-child.ts', import.meta.url));
const TRIPS = Number(process.env.BENCH_FLEET_TRIPS ?? 20);
const ROUNDS = Number(process.env.BENCH_FLEET_ROUNDS ?? 5);
const GETS = Number(process.env.BENCH_FLEET_GETS ?? 1500);

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** The library's default breaker and retry settings; only the reset timeout is long, so no probe runs while measuring. */
const BENCH_FAILOVER = { breaker: { resetTimeoutMs: 60_000, maxResetTimeoutMs: 60_000 } } as const;

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');

interface Env {
  readonly clouds: TargetOrderClouds;
  readonly redis: RedisLocalServer;
  readonly tmp: string;
  readonly bucket: string;
  /** Keys with a 1 KiB object on every cloud. */
  readonly keys: readonly string[];
}

/**
 * Counts the calls that reached an adapter (were not stopped by a breaker) and failed: with AWS
 * refusing connections, the calls that reached the dead cloud.
 */
function counted(store: BlobStore, count: { n: number }): BlobStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) {
          result.catch((err: unknown) => {
            if ((err as { kind?: string }).kind !== 'not_found') count.n++;
          });
        }
        return result;
      };
    },
  });
}

/** One instance: a fleet store (Redis) or, with `prefix` undefined, a store on its own. */
async function instance(
  env: Env,
  prefix: string | undefined,
  aws: { n: number },
  id: string,
): Promise<{ store: MultiCloudStore; close(): Promise<void>; fleet?: FleetInstance }> {
  const targets = cloudStores(env.bucket, env.clouds.app).map((s) =>
    s.name === 'aws' ? counted(s, aws) : s,
  );
  if (prefix === undefined) {
    const store = createMultiCloudStore({
      targets,
      journal: createMemoryJournal(),
      failover: BENCH_FAILOVER,
      repair: { intervalMs: false, delayMs: false, onRecovery: false },
      amnesia: false,
    });
    return { store, close: () => store.close() };
  }
  const fleet = await openFleetInstance(targets, {
    redisUrl: env.redis.url,
    journalPrefix: `${prefix}:journal`,
    fleetPrefix: `${prefix}:fleet`,
    journalDir: await mkdtemp(join(env.tmp, `j-${id}-`)),
    spoolDir: env.tmp,
    autoRepair: false,
    id,
    failover: BENCH_FAILOVER,
  });
  return { store: fleet.store, close: () => fleet.close(), fleet };
}

const awsUp = (s: MultiCloudStore): boolean => s.status().targets[0]?.available !== false;

async function get(store: MultiCloudStore, key: string): Promise<void> {
  await readAll((await store.get(key)).body);
}

/** A bench instance in a process of its own (fleet-trip-child.ts). */
class TripChild {
  readonly #proc: ChildProcess;
  readonly #waiting: ((m: FromTripChild) => void)[] = [];
  opened: Promise<number> = Promise.resolve(0);
  #resolveOpen: (at: number) => void = () => undefined;

  constructor() {
    this.#proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', tripChild], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    this.#proc.on('message', (m: FromTripChild) => {
      if (m.type === 'open') this.#resolveOpen(m.at);
      else this.#waiting.shift()?.(m);
    });
  }

  #ask(m: ToTripChild): Promise<FromTripChild> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#proc.send(m);
    });
  }

  async open(env: Env, prefix: string, id: string): Promise<void> {
    this.opened = new Promise((resolve) => {
      this.#resolveOpen = resolve;
    });
    const { clouds } = env;
    await this.#ask({
      type: 'open',
      prefix,
      id,
      redisUrl: env.redis.url,
      tmp: env.tmp,
      endpoints: {
        bucket: env.bucket,
        s3Endpoint: clouds.proxies[0].url,
        gcsEndpoint: clouds.proxies[1].url,
        azureConnectionString: clouds.azure.connectionStringFor(clouds.proxies[2].url),
      },
    });
  }

  async close(): Promise<void> {
    await this.#ask({ type: 'close' });
  }

  kill(): void {
    this.#proc.kill('SIGKILL');
  }
}

/**
 * 1. Trip propagation between processes: instance A (this process) reads until its aws breaker
 * opens; B and C (processes of their own) report when theirs opened on the fleet's word. From
 * the first opening anywhere to the last (wall clock, same machine).
 */
async function tripPropagation(env: Env): Promise<number[]> {
  const latencies: number[] = [];
  const proxy = env.clouds.proxies[0];
  const others = [new TripChild(), new TripChild()];
  try {
    for (let trip = 0; trip < TRIPS; trip++) {
      const prefix = `bench:${randomBytes(4).toString('hex')}`;
      const a = await instance(env, prefix, { n: 0 }, 'a');
      await Promise.all(others.map((o, i) => o.open(env, prefix, `o${i}`)));
      let aOpen = 0;
      const off = a.store.on('open', (e) => {
        if (e.target === 'aws' && aOpen === 0) aOpen = performance.timeOrigin + performance.now();
      });
      await proxy.setFault(faults.refuse());
      for (let k = 0; awsUp(a.store); k++) await get(a.store, env.keys[k % env.keys.length]!);
      const at = [aOpen, ...(await Promise.all(others.map((o) => o.opened)))];
      latencies.push(Math.max(...at) - Math.min(...at));
      off();
      await proxy.setFault(faults.pass());
      await a.close();
      for (const o of others) await o.close();
    }
  } finally {
    for (const o of others) o.kill();
  }
  return latencies;
}

/**
 * 2. Calls reaching the dead cloud until every instance has left it, under steady traffic: 4 loops
 * per instance, each a get then a 5 ms pause.
 */
async function deadCloudCalls(
  env: Env,
  instances: number,
  withFleet: boolean,
  loopsPer = 4,
): Promise<number> {
  const prefix = withFleet ? `bench:${randomBytes(4).toString('hex')}` : undefined;
  const counts = Array.from({ length: instances }, () => ({ n: 0 }));
  const fleet = [];
  for (let i = 0; i < instances; i++) fleet.push(await instance(env, prefix, counts[i]!, `i${i}`));
  // Warm: every instance has read through AWS (connections open, markers checked).
  for (const i of fleet) for (const key of env.keys.slice(0, 3)) await get(i.store, key);
  for (const c of counts) c.n = 0;
  let running = true;
  const loops = fleet.flatMap((i, n) =>
    Array.from({ length: loopsPer }, async (_, l) => {
      let k = n * loopsPer + l;
      while (running) {
        await get(i.store, env.keys[k++ % env.keys.length]!).catch(() => undefined);
        await sleep(5);
      }
    }),
  );
  await sleep(50);
  await env.clouds.proxies[0].setFault(faults.refuse());
  while (fleet.some((i) => awsUp(i.store))) await sleep(1);
  // Calls in flight when the last instance left AWS end (and fail) a moment later.
  await sleep(20);
  const total = counts.reduce((s, c) => s + c.n, 0);
  running = false;
  await Promise.all(loops);
  await env.clouds.proxies[0].setFault(faults.pass());
  for (const i of fleet) await i.close();
  return total;
}

/** 3. Get latency, empty backlog: a fleet store (Redis journal) vs a store on a file journal vs the raw adapter. */
async function getLatency(env: Env): Promise<Record<string, number[]>> {
  const fleet = await instance(env, `bench:${randomBytes(4).toString('hex')}`, { n: 0 }, 'lat');
  const fileStore = createMultiCloudStore({
    targets: cloudStores(env.bucket, env.clouds.app),
    journal: createFileJournal({ dir: await mkdtemp(join(env.tmp, 'file-')) }),
    failover: BENCH_FAILOVER,
    repair: { intervalMs: false, delayMs: false, onRecovery: false },
  });
  const raw = cloudStores(env.bucket, env.clouds.app)[0];
  const samples: Record<string, number[]> = { raw: [], file: [], redis: [], lookup: [] };
  const journal = fleet.fleet!.journal;
  for (const s of [fleet.store, fileStore]) for (const key of env.keys) await get(s, key);
  for (let i = 0; i < GETS; i++) {
    const key = env.keys[i % env.keys.length]!;
    // Turns rotate so that no variant always runs first.
    const turns: [string, () => Promise<unknown>][] = [
      ['raw', async () => readAll((await raw.get(key)).body)],
      ['file', () => get(fileStore, key)],
      ['redis', () => get(fleet.store, key)],
      ['lookup', () => journal.pendingOf!(key)],
    ];
    for (let t = 0; t < turns.length; t++) {
      const [name, run] = turns[(i + t) % turns.length]!;
      const t0 = performance.now();
      await run();
      samples[name]!.push(performance.now() - t0);
    }
  }
  await fileStore.close();
  await fleet.close();
  return samples;
}

async function setup(): Promise<Env> {
  const clouds = await startTargetOrderClouds();
  const redis = await startRedisServer();
  const tmp = await mkdtemp(join(tmpdir(), 'failover-bench-fleet-'));
  const bucket = `bench-fleet-${randomBytes(3).toString('hex')}`;
  await Promise.all([
    clouds.s3.createBucket(bucket),
    clouds.gcs.createBucket(bucket),
    clouds.azure.createBucket(bucket),
  ]);
  const keys = Array.from({ length: 40 }, (_, i) => `bench/${i}`);
  const seeder = createMultiCloudStore({
    targets: cloudStores(bucket, clouds.app),
    journal: createMemoryJournal(),
    writes: 'mirror',
    repair: { intervalMs: false, delayMs: false, onRecovery: false },
  });
  for (const key of keys) await seeder.put(key, randomBytes(1024));
  await seeder.close();
  return { clouds, redis, tmp, bucket, keys };
}

async function teardown(env: Env): Promise<void> {
  await env.redis.stop();
  await env.clouds.stop();
  await rm(env.tmp, { recursive: true, force: true });
}

/** `fleet/stores`: trip propagation, dead-cloud calls and get latency with multi-cloud stores. */
export async function runFleetStoresBench(
  parts: readonly string[] = ['trips', 'dead', 'latency'],
): Promise<void> {
  const env = await setup();
  try {
    console.log(`\nFleet mode, multi-cloud stores over the local clouds (load average ${load()})`);
    const trips = parts.includes('trips') ? sorted(await tripPropagation(env)) : [];
    if (parts.includes('trips'))
      console.log(
        `Trip propagation, 3 stores, ${TRIPS} trips (ms from the first instance's aws open to the last one's): p50 ${pct(trips, 50).toFixed(2)}  p99 ${pct(trips, 99).toFixed(2)}  max ${trips.at(-1)?.toFixed(2)}; over 100 ms: ${trips.filter((t) => t > 100).length} of ${trips.length}; all: ${trips.map((t) => t.toFixed(1)).join(' ')}  (load ${load()})`,
      );
    const med = (xs: number[]) => pct(sorted(xs), 50);
    for (const loops of parts.includes('dead') ? [4, 1] : []) {
      const alone: number[] = [];
      const three: number[] = [];
      const threeAlone: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        alone.push(await deadCloudCalls(env, 1, false, loops));
        three.push(await deadCloudCalls(env, 3, true, loops));
        threeAlone.push(await deadCloudCalls(env, 3, false, loops));
      }
      console.log(
        `Calls reaching dead AWS until every instance left it (median of ${ROUNDS}; ${loops} loop(s) per instance, a get then 5 ms): one instance ${med(alone)} [${alone.join(', ')}], 3 with fleet ${med(three)} [${three.join(', ')}] (${(med(three) / med(alone)).toFixed(2)}x), 3 without ${med(threeAlone)} [${threeAlone.join(', ')}] (${(med(threeAlone) / med(alone)).toFixed(2)}x)  (load ${load()})`,
      );
    }
    if (!parts.includes('latency')) return;
    const lat = await getLatency(env);
    const row = (name: string) => {
      const s = sorted(lat[name]!);
      return `p50 ${pct(s, 50).toFixed(3)}  p99 ${pct(s, 99).toFixed(3)}`;
    };
    const p50 = (name: string) => pct(sorted(lat[name]!), 50);
    console.log(
      `Get of a 1 KiB object, empty backlog, ${GETS} gets each, interleaved (ms)  (load ${load()}):`,
    );
    console.log(`  raw S3 adapter (no failover)             ${row('raw')}`);
    console.log(`  multi-cloud store, file journal          ${row('file')}`);
    console.log(`  multi-cloud store, Redis journal (fleet) ${row('redis')}`);
    console.log(`  the shared-journal lookup alone           ${row('lookup')}`);
    console.log(
      `  added by the fleet (p50 Redis - p50 file): ${(p50('redis') - p50('file')).toFixed(3)} ms; store vs raw: file ${(p50('file') / p50('raw')).toFixed(2)}x, Redis ${(p50('redis') / p50('raw')).toFixed(2)}x`,
    );
  } finally {
    await teardown(env);
  }
}

/** `fleet/scenarios`: the counts (500 backlog, 1,000 reads, Redis away 10 s). */
export async function runFleetScenariosBench(): Promise<void> {
  const clouds = await startTargetOrderClouds();
  const tmp = await mkdtemp(join(tmpdir(), 'failover-bench-fleet-'));
  const world = async (): Promise<FleetWorld> => ({
    clouds,
    tmp,
    redis: await startRedisServer({ persistence: 'aof-always' }),
  });
  try {
    for (const [name, run] of [
      [
        'Writer SIGKILLed with a backlog of 500',
        (w: FleetWorld) => writerKilledWithBacklog(w, { keys: 500 }),
      ],
      [
        'Cross-instance reads after an outage, 1,000 keys',
        (w: FleetWorld) => crossInstanceReads(w, { keys: 1000 }),
      ],
      [
        'Redis SIGKILLed for 10 s mid-soak, 2 instances',
        (w: FleetWorld) => redisOutageSoak(w, { redisDownMs: 10_000 }),
      ],
    ] as const) {
      const w = await world();
      const t0 = performance.now();
      try {
        const r = await run(w);
        console.log(
          `${name}: ${JSON.stringify(r)} (${((performance.now() - t0) / 1000).toFixed(1)} s, load ${load()})`,
        );
      } finally {
        await w.redis.stop();
      }
    }
  } finally {
    await clouds.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}
