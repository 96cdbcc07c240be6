import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  createFileJournal,
  createMemoryJournal,
  createMultiCloudStore,
  type MultiCloudStore,
  readAll,
} from '@failover/storage';
import { faults, type RedisLocalServer, startRedisServer } from '@failover/testkit';
import {
  type FleetInstance,
  type FleetInstanceConfig,
  openFleetInstance,
} from '../multi-cloud/fleet-instance.js';
import {
  crossInstanceReads,
  type FleetWorld,
  redisOutageSoak,
  writerKilledWithBacklog,
} from '../multi-cloud/fleet-scenarios.js';
import { cloudStores, startTargetOrderClouds, type TargetOrderClouds } from '../support/clouds.js';
import { BENCH_FAILOVER, counted, type FailedCalls, pct } from './fleet-count.js';
import type { FromTripChild, ToTripChild, TripChildAnswer } from './fleet-trip-child.js';

/**
 * Fleet mode at the store level (`pnpm bench fleet/stores`, `fleet/scenarios`): multi-cloud stores
 * over the three local clouds behind their fault proxies, sharing one redis-server. AWS is
 * "killed" by its proxy refusing connections. App instances are processes of their own
 * (fleet-trip-child.ts), as in a real fleet, except instance A of the trip propagation and the
 * stores of the latency measure, which run in this process. Parts (`fleet/stores/<part>,...`):
 * `trips` (propagation to idle instances), `dead` (calls reaching the dead cloud), `busy`
 * (propagation between instances under traffic), `hang` (calls while Redis is stopped), `lease`
 * (what the write lease costs puts, alone and two instances on one key), `latency`.
 */
const tripChild = fileURLToPath(new URL('./fleet-trip-child.ts', import.meta.url));
const TRIPS = Number(process.env.BENCH_FLEET_TRIPS ?? 20);
const ROUNDS = Number(process.env.BENCH_FLEET_ROUNDS ?? 5);
const GETS = Number(process.env.BENCH_FLEET_GETS ?? 1500);
/** `fleet/stores/lease`: sequential puts per variant, and rounds of two instances putting one key. */
const LEASE_PUTS = Number(process.env.BENCH_FLEET_LEASE_PUTS ?? 300);
const LEASE_PAIRS = Number(process.env.BENCH_FLEET_LEASE_PAIRS ?? 100);

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

/** One instance: a fleet store (Redis) or, with `prefix` undefined, a store on its own. */
async function instance(
  env: Env,
  prefix: string | undefined,
  aws: FailedCalls,
  id: string,
  pendingKeysWatch = false,
  store?: FleetInstanceConfig['store'],
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
    pendingKeysWatch,
    ...(store === undefined ? {} : { store }),
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
  readonly #waiting: ((m: TripChildAnswer) => void)[] = [];
  /** Called with every `open` report of the child. */
  onOpen: (m: Extract<FromTripChild, { type: 'open' }>) => void = () => undefined;

  constructor() {
    this.#proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', tripChild], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    this.#proc.on('message', (m: FromTripChild) => {
      if (m.type === 'open') this.onOpen(m);
      else this.#waiting.shift()?.(m);
    });
  }

  #ask(m: ToTripChild): Promise<TripChildAnswer> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#proc.send(m);
    });
  }

  /** Opens a store on the fleet's `prefix` (undefined: a store on its own). */
  async open(env: Env, prefix: string | undefined, id: string): Promise<void> {
    const { clouds } = env;
    await this.#ask({
      type: 'open',
      prefix,
      id,
      redisUrl: env.redis.url,
      tmp: env.tmp,
      keys: env.keys,
      endpoints: {
        bucket: env.bucket,
        s3Endpoint: clouds.proxies[0].url,
        gcsEndpoint: clouds.proxies[1].url,
        azureConnectionString: clouds.azure.connectionStringFor(clouds.proxies[2].url),
      },
    });
  }

  async warm(): Promise<void> {
    await this.#ask({ type: 'warm' });
  }

  /** Recovers aws in the child; its later opens carry `trip`. Resolves with aws's availability. */
  async reset(trip: number): Promise<boolean> {
    return (await this.#ask({ type: 'reset', trip })).available === true;
  }

  async run(loops: number, pauseMs: number, staggerMs: number): Promise<void> {
    await this.#ask({ type: 'run', loops, pauseMs, staggerMs });
  }

  /** Stops the loops; resolves with the AWS calls that failed since `run`. */
  async stop(): Promise<number> {
    return (await this.#ask({ type: 'stop' })).failed ?? 0;
  }

  async close(): Promise<void> {
    await this.#ask({ type: 'close' });
  }

  kill(): void {
    this.#proc.kill('SIGKILL');
  }
}

type OpenReport = Extract<FromTripChild, { type: 'open' }>;

/** Resolves with the child's first `open` report of `trip` (undefined after `timeoutMs`). */
function firstOpen(child: TripChild, trip: number, timeoutMs = 10_000): Promise<OpenReport | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    child.onOpen = (m) => {
      if (m.trip !== trip) return;
      child.onOpen = () => undefined;
      clearTimeout(timer);
      resolve(m);
    };
  });
}

/** One trip of {@link tripPropagation}: when each instance opened aws, and what the others reported. */
interface TripSample {
  /** First open anywhere to the last (ms). */
  readonly spread: number;
  /** Per other instance: Redis's publish to its trip (ms, its `lastMessageDelayMs`). */
  readonly delays: readonly (number | undefined)[];
  /** Per other instance: the longest event-loop block since the trip's reset (ms). */
  readonly loopMax: readonly number[];
}

/**
 * 1. Trip propagation between processes: instance A (this process) reads until its aws breaker
 * opens; B and C (processes of their own, idle, open for the whole run as long-lived instances
 * are) report when theirs opened on the fleet's word. From the first opening anywhere to the
 * last (wall clock, same machine). Between trips the fleet's state in Redis is cleared and every
 * instance recovers aws.
 */
async function tripPropagation(env: Env): Promise<TripSample[]> {
  const samples: TripSample[] = [];
  const proxy = env.clouds.proxies[0];
  const prefix = `bench:${randomBytes(4).toString('hex')}`;
  const others = [new TripChild(), new TripChild()];
  const a = await instance(env, prefix, { n: 0 }, 'a');
  const { connectRedis } = await import('../multi-cloud/fleet-instance.js');
  const admin = await connectRedis(env.redis.url);
  try {
    await Promise.all(others.map((o, i) => o.open(env, prefix, `o${i}`)));
    for (let trip = 0; trip < TRIPS; trip++) {
      for (let tries = 0; ; tries++) {
        await admin.sendCommand(['DEL', `{${prefix}:fleet}:breakers`, `{${prefix}:fleet}:failures:aws`]);
        a.store.recover('aws');
        const ok = await Promise.all(others.map((o) => o.reset(trip)));
        if (ok.every(Boolean) && awsUp(a.store)) break;
        if (tries > 10) throw new Error('the instances did not recover aws');
        await sleep(50);
      }
      const opened = others.map((o) => firstOpen(o, trip));
      let aOpen = 0;
      const off = a.store.on('open', (e) => {
        if (e.target === 'aws' && aOpen === 0) aOpen = performance.timeOrigin + performance.now();
      });
      await proxy.setFault(faults.refuse());
      for (let k = 0; awsUp(a.store); k++) await get(a.store, env.keys[k % env.keys.length]!);
      const reports = await Promise.all(opened);
      off();
      const at = [aOpen, ...reports.map((r) => r?.at ?? Number.POSITIVE_INFINITY)];
      samples.push({
        spread: Math.max(...at) - Math.min(...at),
        delays: reports.map((r) => r?.delayMs),
        loopMax: reports.map((r) => r?.loopDelayMaxMs ?? Number.NaN),
      });
      await proxy.setFault(faults.pass());
      await a.fleet?.fleet.idle();
      // A second message of the same trip (the local opening and the fleet-wide count) lands now.
      await sleep(50);
    }
  } finally {
    await a.close();
    await admin.close();
    for (const o of others) o.kill();
  }
  return samples;
}

/** What one round of {@link deadCloudCalls} saw. */
interface DeadRound {
  /** Calls that reached AWS and failed, fleet-wide. */
  readonly calls: number;
  /** First aws opening anywhere to the last (ms). */
  readonly spread: number;
  /** Per instance that tripped on the fleet's word: Redis's publish to its trip (ms). */
  readonly delays: readonly number[];
  /** Per instance: the longest event-loop block from the start of the traffic to its trip (ms). */
  readonly loopMax: readonly number[];
  /** Per instance: the share of a CPU it got from the start of the traffic to its trip. */
  readonly cpu: readonly number[];
}

/**
 * 2. Calls reaching the dead cloud until every instance has left it, under steady traffic: each
 * instance is a process of its own running `loopsPer` loops, each a get then a 5 ms pause (loop i
 * starting `staggerMs` * i after the first). AWS is killed 50 ms into the traffic.
 */
async function deadCloudCalls(
  env: Env,
  pool: readonly TripChild[],
  instances: number,
  withFleet: boolean,
  loopsPer: number,
  staggerMs: number,
  round: number,
): Promise<DeadRound> {
  const prefix = withFleet ? `bench:${randomBytes(4).toString('hex')}` : undefined;
  const fleet = pool.slice(0, instances);
  await Promise.all(fleet.map((c, i) => c.open(env, prefix, `i${i}`)));
  try {
    // Warm: every instance has read through AWS (connections open, markers checked).
    for (const c of fleet) await c.warm();
    for (const c of fleet) await c.reset(round);
    const opened = fleet.map((c) => firstOpen(c, round));
    await Promise.all(fleet.map((c) => c.run(loopsPer, 5, staggerMs)));
    await sleep(50);
    await env.clouds.proxies[0].setFault(faults.refuse());
    const reports = await Promise.all(opened);
    // Calls in flight when the last instance left AWS end (and fail) a moment later.
    await sleep(20);
    const calls = (await Promise.all(fleet.map((c) => c.stop()))).reduce((s, n) => s + n, 0);
    const at = reports.map((r) => r?.at ?? Number.POSITIVE_INFINITY);
    return {
      calls,
      spread: Math.max(...at) - Math.min(...at),
      delays: reports.flatMap((r) => (r?.delayMs === undefined ? [] : [r.delayMs])),
      loopMax: reports.map((r) => r?.loopDelayMaxMs ?? Number.NaN),
      cpu: reports.map((r) => r?.cpuShare ?? Number.NaN),
    };
  } finally {
    await env.clouds.proxies[0].setFault(faults.pass());
    await Promise.all(fleet.map((c) => c.close()));
  }
}

/** 3. Get latency, empty backlog: a fleet store (Redis journal) vs a store on a file journal vs the raw adapter. */
async function getLatency(env: Env): Promise<Record<string, number[]>> {
  const prefix = `bench:${randomBytes(4).toString('hex')}`;
  const fleet = await instance(env, prefix, { n: 0 }, 'lat');
  const watched = await instance(env, prefix, { n: 0 }, 'lat-watch', true);
  const fileStore = createMultiCloudStore({
    targets: cloudStores(env.bucket, env.clouds.app),
    journal: createFileJournal({ dir: await mkdtemp(join(env.tmp, 'file-')) }),
    failover: BENCH_FAILOVER,
    repair: { intervalMs: false, delayMs: false, onRecovery: false },
  });
  const raw = cloudStores(env.bucket, env.clouds.app)[0];
  const samples: Record<string, number[]> = { raw: [], file: [], redis: [], watch: [], lookup: [] };
  const journal = fleet.fleet!.journal;
  for (const s of [fleet.store, watched.store, fileStore]) for (const key of env.keys) await get(s, key);
  for (let i = 0; i < GETS; i++) {
    const key = env.keys[i % env.keys.length]!;
    // Turns rotate so that no variant always runs first.
    const turns: [string, () => Promise<unknown>][] = [
      ['raw', async () => readAll((await raw.get(key)).body)],
      ['file', () => get(fileStore, key)],
      ['redis', () => get(fleet.store, key)],
      ['watch', () => get(watched.store, key)],
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
  await watched.close();
  return samples;
}

/**
 * 5. What the write lease costs a fleet store's puts (1 KiB, the three local clouds, default
 * quorum): sequential puts of distinct keys with the lease (the default) and with `writeLease:
 * false`, interleaved; then two instances (here, each its own Redis connection and store) putting
 * the same key at once, a round being both puts answered: with the lease they are made one after
 * the other. Returns ms per put (per round for the pairs).
 */
async function leaseCost(env: Env): Promise<Record<string, number[]>> {
  const prefix = `bench:${randomBytes(4).toString('hex')}`;
  const on = await instance(env, prefix, { n: 0 }, 'lease-on');
  const off = await instance(env, prefix, { n: 0 }, 'lease-off', false, { writeLease: false });
  const on2 = await instance(env, prefix, { n: 0 }, 'lease-on-2');
  const off2 = await instance(env, prefix, { n: 0 }, 'lease-off-2', false, { writeLease: false });
  const samples: Record<string, number[]> = { on: [], off: [], pairOn: [], pairOff: [] };
  const body = randomBytes(1024);
  const time = async (name: string, run: () => Promise<unknown>) => {
    const t0 = performance.now();
    await run();
    samples[name]!.push(performance.now() - t0);
  };
  try {
    for (let i = 0; i < 10; i++) {
      await on.store.put(`lease/warm/${i}`, body);
      await off.store.put(`lease/warm/${i}`, body);
    }
    for (let i = 0; i < LEASE_PUTS; i++) {
      const turns: [string, MultiCloudStore][] = [
        ['on', on.store],
        ['off', off.store],
      ];
      for (let t = 0; t < 2; t++) {
        const [name, store] = turns[(i + t) % 2]!;
        await time(name, () => store.put(`lease/${name}/${i}`, body));
      }
    }
    for (let i = 0; i < LEASE_PAIRS; i++) {
      const key = `lease/pair/${i % 4}`;
      await time('pairOn', () => Promise.all([on.store.put(key, body), on2.store.put(key, body)]));
      await time('pairOff', () => Promise.all([off.store.put(key, body), off2.store.put(key, body)]));
    }
  } finally {
    await on.close();
    await off.close();
    await on2.close();
    await off2.close();
  }
  return samples;
}

/**
 * 4. Calls while Redis hangs (SIGSTOP): a fleet store's puts and gets with Redis up, then with
 * Redis stopped (the journal's first call waits for its timeout; then it is marked away).
 */
async function redisHang(env: Env): Promise<Record<string, number[]>> {
  const fleet = await instance(env, `bench:${randomBytes(4).toString('hex')}`, { n: 0 }, 'hang');
  const samples: Record<string, number[]> = { putUp: [], getUp: [], putHung: [], getHung: [] };
  const time = async (name: string, run: () => Promise<unknown>) => {
    const t0 = performance.now();
    await run();
    samples[name]!.push(performance.now() - t0);
  };
  const round = async (put: string, getName: string) => {
    for (let i = 0; i < 20; i++) {
      const key = `hang/${i}`;
      await time(put, () => fleet.store.put(key, randomBytes(1024)));
      await time(getName, () => get(fleet.store, key));
    }
  };
  try {
    await round('putUp', 'getUp');
    await env.redis.pause();
    try {
      await round('putHung', 'getHung');
    } finally {
      env.redis.resume();
    }
  } finally {
    await fleet.close();
  }
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
/**
 * The dead-cloud workloads, [loops per instance, ms between loops' starts]: all three, or those
 * BENCH_FLEET_DEAD names (`1/0,4/2`).
 */
function deadWorkloads(): (readonly [number, number])[] {
  const all: (readonly [number, number])[] = [
    [4, 0],
    [4, 2],
    [1, 0],
  ];
  const only = process.env.BENCH_FLEET_DEAD;
  if (only === undefined || only === '') return all;
  return only.split(',').map((w) => {
    const [loops, stagger] = w.split('/').map(Number);
    return [loops ?? 1, stagger ?? 0] as const;
  });
}

export async function runFleetStoresBench(
  parts: readonly string[] = ['trips', 'dead', 'busy', 'hang', 'lease', 'latency'],
): Promise<void> {
  const env = await setup();
  try {
    console.log(`\nFleet mode, multi-cloud stores over the local clouds (load average ${load()})`);
    const fmt = (xs: readonly number[]) => xs.map((t) => t.toFixed(1)).join(' ');
    const summary = (xs: readonly number[]) => {
      const s = sorted(xs);
      return `p50 ${pct(s, 50).toFixed(2)}  p99 ${pct(s, 99).toFixed(2)}  max ${s.at(-1)?.toFixed(2)}; over 100 ms: ${s.filter((t) => t > 100).length} of ${s.length}; all: ${fmt(s)}`;
    };
    if (parts.includes('trips')) {
      const trips = await tripPropagation(env);
      const delays = trips.flatMap((t) => t.delays.filter((d): d is number => d !== undefined));
      console.log(
        `Trip propagation, 3 stores (A here, B and C idle processes), ${TRIPS} trips (ms from the first instance's aws open to the last one's): ${summary(trips.map((t) => t.spread))}  (load ${load()})`,
      );
      console.log(
        `  Redis's publish to B's and C's trip (lastMessageDelayMs): ${summary(delays)}; their longest event-loop block per trip: max ${Math.max(...trips.flatMap((t) => t.loopMax)).toFixed(1)} ms`,
      );
      for (const t of trips.filter((x) => x.spread > 20)) {
        console.log(
          `  slow trip: ${t.spread.toFixed(1)} ms; B, C: publish to trip ${t.delays.map((d) => d ?? 'none').join(', ')} ms, longest loop block ${fmt(t.loopMax)} ms`,
        );
      }
    }
    const med = (xs: readonly number[]) => pct(sorted(xs), 50);
    const pool = parts.some((p) => p === 'dead' || p === 'busy')
      ? [new TripChild(), new TripChild(), new TripChild()]
      : [];
    try {
      let round = 0;
      for (const [loops, stagger] of parts.includes('dead') ? deadWorkloads() : []) {
        const alone: number[] = [];
        /** One instance carrying the whole fleet's traffic (3 x the loops). */
        const aloneAll: number[] = [];
        const three: DeadRound[] = [];
        const threeAlone: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          alone.push((await deadCloudCalls(env, pool, 1, false, loops, stagger, round++)).calls);
          aloneAll.push((await deadCloudCalls(env, pool, 1, false, loops * 3, stagger, round++)).calls);
          three.push(await deadCloudCalls(env, pool, 3, true, loops, stagger, round++));
          threeAlone.push((await deadCloudCalls(env, pool, 3, false, loops, stagger, round++)).calls);
        }
        const fleetCalls = three.map((x) => x.calls);
        console.log(
          `Calls reaching dead AWS until every instance left it (instances are processes; median of ${ROUNDS}; ${loops} loop(s) per instance, a get then 5 ms, loops started ${stagger} ms apart): one instance ${med(alone)} [${alone.join(', ')}], 3 with fleet ${med(fleetCalls)} [${fleetCalls.join(', ')}] (${(med(fleetCalls) / med(alone)).toFixed(2)}x), 3 without ${med(threeAlone)} [${threeAlone.join(', ')}] (${(med(threeAlone) / med(alone)).toFixed(2)}x); one instance with the fleet's traffic (${loops * 3} loops) ${med(aloneAll)} [${aloneAll.join(', ')}] (fleet ${(med(fleetCalls) / med(aloneAll)).toFixed(2)}x of it); fleet: first to last open ${fmt(three.map((x) => x.spread))} ms  (load ${load()})`,
        );
      }
      if (parts.includes('busy')) {
        const rounds: DeadRound[] = [];
        for (let r = 0; r < TRIPS; r++) rounds.push(await deadCloudCalls(env, pool, 3, true, 4, 2, round++));
        console.log(
          `Trip propagation, 3 busy stores (processes, 4 loops each, loops 2 ms apart), AWS killed under traffic, ${TRIPS} trips (ms from the first aws open to the last): ${summary(rounds.map((x) => x.spread))}  (load ${load()})`,
        );
        console.log(
          `  Redis's publish to each remote trip: ${summary(rounds.flatMap((x) => x.delays))}; calls reaching dead AWS: median ${med(rounds.map((x) => x.calls))} [${rounds.map((x) => x.calls).join(', ')}]`,
        );
        console.log(
          `  CPU share per instance from the start of the traffic to its trip: ${summary(rounds.flatMap((x) => x.cpu)).replace(/; over 100 ms.*/, '')}`,
        );
        for (const x of rounds.filter((r) => r.spread > 20)) {
          console.log(
            `  slow trip: ${x.spread.toFixed(1)} ms; publish to remote trips ${fmt(x.delays)} ms; longest event-loop block per instance ${fmt(x.loopMax)} ms; CPU share per instance ${x.cpu.map((c) => c.toFixed(2)).join(' ')}`,
          );
        }
      }
    } finally {
      for (const c of pool) c.kill();
    }
    if (parts.includes('hang')) {
      const hang = await redisHang(env);
      const row = (name: string) => {
        const s = sorted(hang[name]!);
        return `p50 ${pct(s, 50).toFixed(1)}  max ${s.at(-1)?.toFixed(1)}  all: ${hang[name]!.map((t) => t.toFixed(0)).join(' ')}`;
      };
      console.log(
        `Calls while Redis hangs (SIGSTOP), a fleet store, 20 puts and 20 gets of 1 KiB each (ms)  (load ${load()}):`,
      );
      console.log(`  put, Redis up       ${row('putUp')}`);
      console.log(`  get, Redis up       ${row('getUp')}`);
      console.log(`  put, Redis stopped  ${row('putHung')}`);
      console.log(`  get, Redis stopped  ${row('getHung')}`);
    }
    if (parts.includes('lease')) {
      const lease = await leaseCost(env);
      const row = (name: string) => {
        const s = sorted(lease[name]!);
        return `p50 ${pct(s, 50).toFixed(2)}  p99 ${pct(s, 99).toFixed(2)}  mean ${(s.reduce((a, b) => a + b, 0) / s.length).toFixed(2)}`;
      };
      console.log(
        `Puts of 1 KiB by a fleet store, write lease on (default) and off, interleaved (ms)  (load ${load()}):`,
      );
      console.log(`  ${LEASE_PUTS} puts, distinct keys, lease on    ${row('on')}`);
      console.log(`  ${LEASE_PUTS} puts, distinct keys, lease off   ${row('off')}`);
      console.log(
        `  ${LEASE_PAIRS} rounds of 2 instances putting one key at once, lease on   ${row('pairOn')}`,
      );
      console.log(
        `  ${LEASE_PAIRS} rounds of 2 instances putting one key at once, lease off  ${row('pairOff')}`,
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
    console.log(`  the same, withPendingKeysWatch            ${row('watch')}`);
    console.log(`  the shared-journal lookup alone           ${row('lookup')}`);
    console.log(
      `  added by the fleet (p50 Redis - p50 file): ${(p50('redis') - p50('file')).toFixed(3)} ms, with the watch ${(p50('watch') - p50('file')).toFixed(3)} ms; store vs raw: file ${(p50('file') / p50('raw')).toFixed(2)}x, Redis ${(p50('redis') / p50('raw')).toFixed(2)}x`,
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
