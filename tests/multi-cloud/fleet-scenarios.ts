/**
 * The fleet scenarios at the store level, against a real redis-server and the three local clouds
 * (each behind its fault proxy). Each one returns its ground-truth counts; fleet-store.test.ts
 * asserts them with small counts and tests/bench/fleet.ts runs them with the counts.
 * Nothing here measures time: the counts are exact whatever the machine's load.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  type BlobStore,
  compareVersions,
  createMemoryJournal,
  createMultiCloudStore,
  getBytes,
  readAll,
  VERSION_KEY,
} from '@failover/storage';
import { faults, type RedisLocalServer } from '@failover/testkit';
import { cloudStores, type TargetOrderClouds } from '../support/clouds.js';
import { CopyTracker } from './fleet-copies.js';
import { type FleetInstance, fleetFailover, openFleetInstance } from './fleet-instance.js';
import type { WriterJob, WriterMessage } from './fleet-writer-child.js';
import { bodyFor, sha256 } from './jepsen-data.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const writerScript = fileURLToPath(new URL('./fleet-writer-child.ts', import.meta.url));

/** The local clouds and a scratch directory. */
export interface FleetWorld {
  readonly clouds: TargetOrderClouds;
  readonly tmp: string;
  readonly redis: RedisLocalServer;
}

/** Fresh buckets and fresh Redis prefixes: one fleet of instances. */
interface Fleet {
  readonly bucket: string;
  readonly journalPrefix: string;
  readonly fleetPrefix: string;
  readonly direct: readonly BlobStore[];
}

let counter = 0;

async function newFleet(world: FleetWorld, label: string): Promise<Fleet> {
  counter++;
  const bucket = `${label}-${counter}-${randomBytes(3).toString('hex')}`.toLowerCase().slice(0, 60);
  const { clouds } = world;
  await Promise.all([
    clouds.s3.createBucket(bucket),
    clouds.gcs.createBucket(bucket),
    clouds.azure.createBucket(bucket),
  ]);
  const id = randomBytes(4).toString('hex');
  return {
    bucket,
    journalPrefix: `t:${id}:journal`,
    fleetPrefix: `t:${id}:fleet`,
    direct: cloudStores(bucket, clouds.direct),
  };
}

async function instanceOf(
  world: FleetWorld,
  fleet: Fleet,
  id: string,
  autoRepair: boolean,
  wrap: (s: BlobStore) => BlobStore = (s) => s,
  resetTimeoutMs?: number,
): Promise<FleetInstance> {
  return openFleetInstance(cloudStores(fleet.bucket, world.clouds.app).map(wrap), {
    redisUrl: world.redis.url,
    journalPrefix: fleet.journalPrefix,
    fleetPrefix: fleet.fleetPrefix,
    journalDir: await mkdtemp(join(world.tmp, `journal-${id}-`)),
    spoolDir: world.tmp,
    autoRepair,
    id,
    ...(resetTimeoutMs === undefined ? {} : { resetTimeoutMs }),
  });
}

/** Runs `fn` over `items`, `limit` at a time. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Writes generation 1 of `keys` on every cloud (a store writing `mirror` with every cloud up). */
async function seed(world: FleetWorld, fleet: Fleet, keys: readonly string[], size: number): Promise<void> {
  const store = createMultiCloudStore({
    targets: cloudStores(fleet.bucket, world.clouds.app),
    journal: createMemoryJournal(),
    writes: 'mirror',
    failover: fleetFailover(),
    repair: { intervalMs: false, delayMs: false, onRecovery: false },
  });
  try {
    await eachLimited(keys, 8, async (key) => {
      await store.put(key, bodyFor(key, 1, size));
    });
    if ((await store.repair()).backlog !== 0) throw new Error('seeding left a backlog');
  } finally {
    await store.close();
  }
}

/** What each cloud holds of `key`, straight from the server: the content's SHA-256, or null. */
async function heldBy(store: BlobStore, key: string): Promise<string | null> {
  try {
    return sha256(await getBytes(store, key));
  } catch (err) {
    if ((err as { kind?: string }).kind === 'not_found') return null;
    throw err;
  }
}

/** Every cloud checked for every key against the acknowledged content. */
export interface CloudCheck {
  /** (cloud, key) pairs holding nothing where an acknowledged write should be. */
  readonly lost: number;
  /** (cloud, key) pairs holding other content than the last acknowledged write (an older one). */
  readonly stale: number;
  /** The first stale pairs, for the report: the version the cloud holds (`fo_version`). */
  readonly staleFound?: readonly { readonly key: string; readonly cloud: string; readonly held: string }[];
}

async function checkClouds(fleet: Fleet, expected: ReadonlyMap<string, string>): Promise<CloudCheck> {
  let lost = 0;
  let stale = 0;
  const staleFound: { key: string; cloud: string; held: string }[] = [];
  await eachLimited([...expected], 8, async ([key, sha]) => {
    for (const cloud of fleet.direct) {
      const held = await heldBy(cloud, key);
      if (held === null) lost++;
      else if (held !== sha) {
        stale++;
        if (staleFound.length < 5) {
          const info = await cloud.head(key).catch(() => null);
          staleFound.push({ key, cloud: cloud.name, held: info?.metadata?.[VERSION_KEY] ?? 'unknown' });
        }
      }
    }
  });
  return { lost, stale, ...(staleFound.length > 0 ? { staleFound } : {}) };
}

/** Repairs with every instance at once until the fleet's journal (shared and local) is empty. */
async function repairAll(instances: readonly FleetInstance[], maxRounds = 200): Promise<number> {
  for (let round = 0; round < maxRounds; round++) {
    for (const i of instances) await i.journal.merge().catch(() => undefined);
    const left = (await Promise.all(instances.map((i) => i.journal.pending()))).reduce(
      (n, p) => n + p.reduce((m, e) => m + e.missing.length, 0),
      0,
    );
    if (left === 0) return round;
    await Promise.all(instances.map((i) => i.store.repair().catch(() => undefined)));
    await sleep(100);
  }
  throw new Error(`the fleet still had a backlog after ${maxRounds} repair rounds`);
}

// ---------------------------------------------------------------------------------------------

/** What {@link writerKilledWithBacklog} found. */
export interface KilledWriterResult extends CloudCheck {
  readonly acknowledged: number;
  readonly failed: number;
  /** The backlog the writer reported just before it was killed. */
  readonly backlogAtKill: number;
  /** Copies to AWS made by the repairing instances. */
  readonly copies: number;
  /** Keys copied to AWS more than once (one after the other). */
  readonly copiedMoreThanOnce: number;
  /** (target, key) pairs written by two instances at the same moment: must be 0. */
  readonly copiedTwiceAtOnce: number;
  readonly repairRounds: number;
}

/**
 * A writer instance in its own process writes `keys` new versions while AWS refuses connections
 * (each journaled in Redis as "AWS lacks it"), then is SIGKILLed with that backlog. AWS returns;
 * two other instances repair at the same time. Ground truth: every cloud holds every acknowledged
 * version, and a wrapper around both repairers' targets counts writes of one key in flight at once.
 */
export async function writerKilledWithBacklog(
  world: FleetWorld,
  options: { keys: number; size?: number },
): Promise<KilledWriterResult> {
  const size = options.size ?? 256;
  const t0 = Date.now();
  const mark = (what: string) => process.env.FLEET_TRACE && console.log(`${Date.now() - t0} ms ${what}`);
  // Started first: the writer loads its modules while the keys are seeded.
  const child = spawnWriter();
  const aws = world.clouds.proxies[0];
  const fleet = await newFleet(world, 'fleet-kill');
  const keys = Array.from({ length: options.keys }, (_, i) => `backlog/${String(i).padStart(5, '0')}`);
  const expected = new Map<string, string>();
  let failed = 0;
  let backlogAtKill = 0;
  try {
    await seed(world, fleet, keys, size);
    mark('seeded');
    await aws.setFault(faults.refuse());
    const job: WriterJob = {
      instance: {
        redisUrl: world.redis.url,
        journalPrefix: fleet.journalPrefix,
        fleetPrefix: fleet.fleetPrefix,
        journalDir: await mkdtemp(join(world.tmp, 'journal-writer-')),
        spoolDir: world.tmp,
        autoRepair: false,
        id: 'writer',
      },
      endpoints: {
        bucket: fleet.bucket,
        s3Endpoint: world.clouds.proxies[0].url,
        gcsEndpoint: world.clouds.proxies[1].url,
        azureConnectionString: world.clouds.azure.connectionStringFor(world.clouds.proxies[2].url),
      },
      keys,
      seq: 2,
      size,
      concurrency: 8,
    };
    await new Promise<void>((resolve, reject) => {
      child.proc.on('message', (m: WriterMessage) => {
        if (m.type === 'acked') expected.set(m.key, m.sha256);
        else if (m.type === 'failed') failed++;
        else {
          mark(`writer done: ${JSON.stringify(m)}`);
          backlogAtKill = m.backlog;
          resolve();
        }
      });
      child.proc.once('exit', (code, signal) =>
        reject(new Error(`the writer exited (${signal ?? code}) before it was done: ${child.stderr()}`)),
      );
      child.proc.send(job);
    });
  } finally {
    await child.kill();
  }
  await aws.setFault(faults.pass());
  mark('writer killed');

  const tracker = new CopyTracker();
  const repairers = [
    await instanceOf(world, fleet, 'repairer-a', false, (s) => tracker.wrap(s)),
    await instanceOf(world, fleet, 'repairer-b', false, (s) => tracker.wrap(s)),
  ];
  try {
    mark('repairers open');
    const repairRounds = await repairAll(repairers);
    mark('repaired');
    // Keys never acknowledged (none, unless a put failed) still hold generation 1 everywhere.
    for (const key of keys) if (!expected.has(key)) expected.set(key, sha256(bodyFor(key, 1, size)));
    const check = await checkClouds(fleet, expected);
    let copiedMoreThanOnce = 0;
    for (const [id, n] of tracker.writes) if (id.startsWith('aws\u0000') && n > 1) copiedMoreThanOnce++;
    return {
      ...check,
      acknowledged: keys.length - failed,
      failed,
      backlogAtKill,
      copies: tracker.total('aws'),
      copiedMoreThanOnce,
      copiedTwiceAtOnce: tracker.overlapped.size,
      repairRounds,
    };
  } finally {
    for (const r of repairers) await r.close();
  }
}

function spawnWriter(): { proc: ChildProcess; stderr: () => string; kill: () => Promise<void> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', writerScript], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let stderr = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  return {
    proc,
    stderr: () => stderr,
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await closed;
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** What {@link storeTripReachesFleet} found. */
export interface StoreTripResult {
  /** Whether the tripping instance's own `open` of aws was local (`remote: false`). */
  readonly localOpen: boolean;
  /** The other instances' `open` events of aws: each `remote: true`, with a reason naming the fleet. */
  readonly remoteOpens: readonly { readonly remote: boolean; readonly reason: string | undefined }[];
  /** Calls the other instances sent to aws after their remote open (reads and writes): must be 0. */
  readonly awsCallsAfterTrip: number;
  /** Whether the others' reads and writes still succeeded. */
  readonly othersServed: number;
}

/**
 * Three instances (stores with `createFleetHealth({ router: store })`); AWS refuses connections;
 * only the first instance sends traffic until its aws breaker opens. The other two must trip aws
 * on its word and then send it nothing.
 */
export async function storeTripReachesFleet(world: FleetWorld): Promise<StoreTripResult> {
  const fleet = await newFleet(world, 'fleet-trip');
  const awsCalls = [0, 0, 0];
  const counting = (n: number) => (s: BlobStore) =>
    s.name !== 'aws'
      ? s
      : new Proxy(s, {
          get(target, prop, receiver) {
            const value = Reflect.get(target, prop, receiver) as unknown;
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              awsCalls[n] = (awsCalls[n] ?? 0) + 1;
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        });
  const instances = [
    // Breakers stay open for the whole test: no half-open probe is counted as a call.
    await instanceOf(world, fleet, 'trip-a', false, counting(0), 60_000),
    await instanceOf(world, fleet, 'trip-b', false, counting(1), 60_000),
    await instanceOf(world, fleet, 'trip-c', false, counting(2), 60_000),
  ];
  const [a, ...others] = instances as [FleetInstance, FleetInstance, FleetInstance];
  const aws = world.clouds.proxies[0];
  try {
    let localOpen = false;
    a.store.on('open', (e) => {
      if (e.target === 'aws') localOpen = !e.remote;
    });
    const remoteOpens = others.map(
      (o) =>
        new Promise<{ remote: boolean; reason: string | undefined }>((resolve) => {
          o.store.on('open', (e) => {
            if (e.target === 'aws') resolve({ remote: e.remote, reason: e.reason });
          });
        }),
    );
    await aws.setFault(faults.refuse());
    for (let i = 0; a.store.status().targets[0]?.available !== false; i++) {
      await a.store.put(`trip/${i}`, bodyFor(`trip/${i}`, 1, 64));
    }
    const opens = await Promise.all(remoteOpens);
    const before = awsCalls[1]! + awsCalls[2]!;
    let othersServed = 0;
    for (const o of others) {
      for (let i = 0; i < 5; i++) {
        await o.store.put(`trip/other-${i}`, bodyFor(`trip/other-${i}`, 1, 64));
        await readAll((await o.store.get(`trip/other-${i}`)).body);
        othersServed += 2;
      }
    }
    return {
      localOpen,
      remoteOpens: opens,
      awsCallsAfterTrip: awsCalls[1]! + awsCalls[2]! - before,
      othersServed,
    };
  } finally {
    await aws.setFault(faults.pass());
    for (const i of instances) await i.close();
  }
}

// ---------------------------------------------------------------------------------------------

/** What {@link crossInstanceReads} found. */
export interface CrossReadResult {
  readonly checks: number;
  /** Reads on the reader instance that returned an older version than the writer acknowledged. */
  readonly stale: number;
  /** The same reads by an instance without the shared journal (a control: the test can see staleness). */
  readonly controlChecks: number;
  readonly controlStale: number;
}

/**
 * Writes on one instance, reads on another: the writer writes generation 2 of `keys` while AWS
 * refuses connections (journaled in Redis), AWS comes back and the whole fleet trusts it again
 * (`store.recover('aws')`), repair is off everywhere, so AWS still holds generation 1. The reader,
 * which reads AWS first, must return generation 2 for every key.
 */
export async function crossInstanceReads(
  world: FleetWorld,
  options: { keys: number; control?: number },
): Promise<CrossReadResult> {
  const fleet = await newFleet(world, 'fleet-reads');
  const keys = Array.from({ length: options.keys }, (_, i) => `reads/${String(i).padStart(5, '0')}`);
  await seed(world, fleet, keys, 128);
  const writer = await instanceOf(world, fleet, 'writer', false);
  const reader = await instanceOf(world, fleet, 'reader', false);
  const aws = world.clouds.proxies[0];
  try {
    await aws.setFault(faults.refuse());
    const expected = new Map<string, string>();
    await eachLimited(keys, 8, async (key) => {
      const bytes = bodyFor(key, 2, 128);
      await writer.store.put(key, bytes);
      expected.set(key, sha256(bytes));
    });
    await aws.setFault(faults.pass());
    for (const i of [writer, reader]) i.store.recover('aws');
    await writer.fleet.idle();
    await reader.fleet.idle();
    let stale = 0;
    await eachLimited(keys, 8, async (key) => {
      if (sha256(await getBytes(reader.store, key)) !== expected.get(key)) stale++;
    });
    // Control: a store with its own journal only (what each instance was before fleet mode).
    const controlKeys = keys.slice(0, options.control ?? 20);
    const alone = createMultiCloudStore({
      targets: cloudStores(fleet.bucket, world.clouds.app),
      journal: createMemoryJournal(),
      failover: fleetFailover(),
      repair: { intervalMs: false, delayMs: false, onRecovery: false },
    });
    let controlStale = 0;
    try {
      for (const key of controlKeys) {
        if (sha256(await getBytes(alone, key)) !== expected.get(key)) controlStale++;
      }
    } finally {
      await alone.close();
    }
    return { checks: keys.length, stale, controlChecks: controlKeys.length, controlStale };
  } finally {
    await aws.setFault(faults.pass());
    await writer.close();
    await reader.close();
  }
}

// ---------------------------------------------------------------------------------------------

/** What {@link redisOutageSoak} found. */
export interface RedisOutageResult extends CloudCheck {
  readonly operations: number;
  /** Calls that rejected (the clouds' majority was up throughout: must be 0). */
  readonly appErrors: number;
  readonly firstErrors: readonly string[];
  /** Reads older than a write acknowledged before they started, by when they started. */
  readonly staleReads: { readonly redisUp: number; readonly redisAway: number; readonly afterMerge: number };
  /** Journal entries the instances kept locally while Redis was away (merged back after). */
  readonly keptLocally: number;
  /** Final reads through each instance that returned an older version than the last acknowledged. */
  readonly staleFinalReads: number;
  /**
   * For each key of `staleFound`: its last acknowledged puts, oldest first (version, the phase
   * the put started in, and ms since the soak began when it was acknowledged).
   */
  readonly staleHistory?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Two instances under steady traffic (each writes its own keys, reads everyone's). AWS refuses
 * connections for a while, and in the middle of it Redis is SIGKILLed for `redisDownMs` and
 * restarted (AOF: the journal survives). The stores must serve every call; writes journaled
 * locally meanwhile merge back; after AWS returns and repair runs, every cloud holds every key's
 * last acknowledged version.
 */
export async function redisOutageSoak(
  world: FleetWorld,
  options: { redisDownMs: number; keysPerWorker?: number; workers?: number },
): Promise<RedisOutageResult> {
  const fleet = await newFleet(world, 'fleet-redis');
  const workers = options.workers ?? 3;
  const keysPerWorker = options.keysPerWorker ?? 6;
  const instances = [
    await instanceOf(world, fleet, 'app-a', true),
    await instanceOf(world, fleet, 'app-b', true),
  ];
  const acked = new Map<string, { version: string; sha: string }>();
  const history = new Map<string, string[]>();
  const began = Date.now();
  const allKeys: string[] = [];
  const errors: string[] = [];
  let appErrors = 0;
  let operations = 0;
  let phase: 'redisUp' | 'redisAway' | 'afterMerge' = 'redisUp';
  const staleReads = { redisUp: 0, redisAway: 0, afterMerge: 0 };
  let keptLocally = 0;
  let running = true;
  const fail = (err: unknown): void => {
    appErrors++;
    if (errors.length < 5) errors.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  };
  const loops = instances.flatMap((inst, n) =>
    Array.from({ length: workers }, (_, w) => {
      const own = Array.from({ length: keysPerWorker }, (_, k) => `soak/${n}-${w}-${k}`);
      allKeys.push(...own);
      let gen = 0;
      let step = 0;
      return (async () => {
        while (running) {
          step++;
          operations++;
          try {
            if (step % 2 === 1) {
              const key = own[step % own.length]!;
              const bytes = bodyFor(key, ++gen, 200);
              const started = phase;
              const info = await inst.store.put(key, bytes);
              acked.set(key, { version: info.version ?? '', sha: sha256(bytes) });
              const puts = history.get(key) ?? [];
              puts.push(`${info.version} ${started} ${Date.now() - began}`);
              history.set(key, puts.slice(-6));
            } else {
              const key = allKeys[(step * 7 + w) % allKeys.length]!;
              const before = acked.get(key);
              const started = phase;
              if (before === undefined) continue;
              const got = await inst.store.get(key);
              await readAll(got.body);
              if (compareVersions(got.info.version, before.version) < 0) staleReads[started]++;
            }
          } catch (err) {
            fail(err);
          }
          await sleep(5);
        }
      })();
    }),
  );
  const aws = world.clouds.proxies[0];
  try {
    await sleep(1000);
    await aws.setFault(faults.refuse());
    await sleep(1000);
    await world.redis.kill();
    phase = 'redisAway';
    await sleep(options.redisDownMs);
    for (const i of instances) keptLocally += i.journal.fallbackBacklog();
    await world.redis.restart();
    // Until every instance has merged what it kept locally.
    for (let round = 0; round < 300; round++) {
      const merged = await Promise.all(
        instances.map(async (i) => {
          await i.journal.merge().catch(() => undefined);
          return i.journal.fallbackBacklog() === 0;
        }),
      );
      if (merged.every(Boolean)) break;
      await sleep(100);
    }
    phase = 'afterMerge';
    await sleep(1000);
    await aws.setFault(faults.pass());
    await sleep(2000);
  } finally {
    running = false;
    await Promise.all(loops);
    await aws.setFault(faults.pass());
  }
  try {
    await repairAll(instances);
    const expected = new Map([...acked].map(([k, v]) => [k, v.sha]));
    const check = await checkClouds(fleet, expected);
    let staleFinalReads = 0;
    for (const inst of instances) {
      for (const [key, sha] of expected) {
        if (sha256(await getBytes(inst.store, key)) !== sha) staleFinalReads++;
      }
    }
    const staleKeys = [...new Set((check.staleFound ?? []).map((f) => f.key))];
    return {
      ...check,
      operations,
      appErrors,
      firstErrors: errors,
      staleReads,
      keptLocally,
      staleFinalReads,
      ...(staleKeys.length > 0
        ? { staleHistory: Object.fromEntries(staleKeys.map((k) => [k, history.get(k) ?? []])) }
        : {}),
    };
  } finally {
    for (const i of instances) await i.close();
  }
}
