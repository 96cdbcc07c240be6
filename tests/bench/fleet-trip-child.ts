/**
 * One app instance of `pnpm bench fleet/stores` in a process of its own, driven by the bench over
 * IPC. It opens a multi-cloud store over the local clouds' proxies (a fleet store on the given
 * Redis prefix, or with no prefix a store on its own), reports each time its store's aws breaker
 * opens (wall clock, sub-millisecond, and for a fleet trip how late it applied the fleet's
 * message), and can run steady traffic (loops of gets) while counting the calls that reached AWS
 * and failed.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BlobStore,
  createMemoryJournal,
  createMultiCloudStore,
  type MultiCloudStore,
  readAll,
} from '@failover/storage';
import { installFaultDns } from '@failover/testkit';
import {
  type CloudEndpoints,
  type FleetInstance,
  openFleetInstance,
  storesOf,
} from '../multi-cloud/fleet-instance.js';
import { BENCH_FAILOVER, counted, type FailedCalls } from './fleet-count.js';

/** Parent to child. */
export type ToTripChild =
  | {
      readonly type: 'open';
      /** The fleet's Redis prefix; undefined: a store on its own (no Redis). */
      readonly prefix: string | undefined;
      readonly id: string;
      readonly redisUrl: string;
      readonly tmp: string;
      readonly endpoints: CloudEndpoints;
      /** Keys with an object on every cloud, to read. */
      readonly keys: readonly string[];
    }
  /** Reads a few keys (connections open, markers checked), and one from each other cloud directly. */
  | { readonly type: 'warm' }
  /** Recovers aws here (the bench cleared the fleet's state in Redis); later opens carry `trip`. */
  | { readonly type: 'reset'; readonly trip: number }
  /** Starts `loops` loops, each a get then `pauseMs`; loop i starts after i * `staggerMs`. */
  | { readonly type: 'run'; readonly loops: number; readonly pauseMs: number; readonly staggerMs: number }
  /** Stops the loops; answers with the failed AWS calls since `run`. */
  | { readonly type: 'stop' }
  | { readonly type: 'close' };

/** Child to parent. */
export type FromTripChild =
  | {
      readonly type: 'open';
      readonly trip: number;
      /** Wall clock (ms since the epoch, sub-millisecond) when the aws breaker opened. */
      readonly at: number;
      readonly remote: boolean;
      /** For a fleet trip: `fleet.status().lastMessageDelayMs` (Redis's publish to the trip here). */
      readonly delayMs: number | undefined;
      /** The longest this process's event loop was blocked since the last `reset` or `run` (ms). */
      readonly loopDelayMaxMs: number;
      /**
       * The share of one CPU this process got since the last `reset` or `run` (CPU time over wall
       * time): near 1 when it was busy with its own work, low when it waited for a CPU.
       */
      readonly cpuShare: number;
    }
  | { readonly type: 'done'; readonly available?: boolean; readonly failed?: number };

/** A child's answer to a request (every message but the `open` reports). */
export type TripChildAnswer = Extract<FromTripChild, { type: 'done' }>;

const send = (m: FromTripChild): void => {
  process.send?.(m);
};

let current:
  | {
      store: MultiCloudStore;
      fleet: FleetInstance | undefined;
      keys: readonly string[];
      targets: readonly BlobStore[];
    }
  | undefined;
const aws: FailedCalls = { n: 0, ...(process.env.BENCH_FLEET_TRACE ? { trace: [] } : {}) };
let trip = 0;
let running: Promise<unknown>[] = [];
let stopping = false;
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
let since = { wall: performance.now(), cpu: process.cpuUsage() };
const startWindow = (): void => {
  loopDelay.reset();
  since = { wall: performance.now(), cpu: process.cpuUsage() };
};
const cpuShare = (): number => {
  const cpu = process.cpuUsage(since.cpu);
  return (cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - since.wall);
};

async function open(m: Extract<ToTripChild, { type: 'open' }>): Promise<void> {
  installFaultDns();
  const targets = storesOf(m.endpoints).map((s) => (s.name === 'aws' ? counted(s, aws) : s));
  let fleet: FleetInstance | undefined;
  let store: MultiCloudStore;
  if (m.prefix === undefined) {
    store = createMultiCloudStore({
      targets,
      journal: createMemoryJournal(),
      failover: BENCH_FAILOVER,
      repair: { intervalMs: false, delayMs: false, onRecovery: false },
      amnesia: false,
    });
  } else {
    fleet = await openFleetInstance(targets, {
      redisUrl: m.redisUrl,
      journalPrefix: `${m.prefix}:journal`,
      fleetPrefix: `${m.prefix}:fleet`,
      journalDir: `${m.tmp}/${m.id}-${m.prefix.replace(/[^a-z0-9]/g, '')}`,
      spoolDir: m.tmp,
      autoRepair: false,
      id: m.id,
      failover: BENCH_FAILOVER,
    });
    store = fleet.store;
  }
  store.on('open', (e) => {
    if (e.target !== 'aws') return;
    aws.trace?.push(`open${e.remote ? ' (remote)' : ''} ${e.reason ?? ''} @${performance.now().toFixed(1)}`);
    send({
      type: 'open',
      trip,
      at: performance.timeOrigin + performance.now(),
      remote: e.remote,
      delayMs: e.remote ? fleet?.fleet.status().lastMessageDelayMs : undefined,
      loopDelayMaxMs: loopDelay.max / 1e6,
      cpuShare: cpuShare(),
    });
  });
  current = { store, fleet, keys: m.keys, targets };
}

async function get(key: string): Promise<void> {
  await readAll((await current!.store.get(key)).body);
}

process.on('message', (m: ToTripChild) => {
  void (async () => {
    switch (m.type) {
      case 'open':
        await open(m);
        send({ type: 'done' });
        return;
      case 'warm':
        for (const key of current!.keys.slice(0, 3)) await get(key);
        // The failover path too (each SDK's first calls in a process are slow): as an instance
        // that has run for a while.
        for (const t of current!.targets.slice(1)) await readAll((await t.get(current!.keys[0]!)).body);
        send({ type: 'done' });
        return;
      case 'reset': {
        trip = m.trip;
        current!.store.recover('aws');
        startWindow();
        send({ type: 'done', available: current!.store.status().targets[0]?.available !== false });
        return;
      }
      case 'run': {
        aws.n = 0;
        stopping = false;
        startWindow();
        const keys = current!.keys;
        running = Array.from({ length: m.loops }, async (_, l) => {
          await sleep(l * m.staggerMs);
          let k = l;
          while (!stopping) {
            await get(keys[k++ % keys.length]!).catch(() => undefined);
            await sleep(m.pauseMs);
          }
        });
        send({ type: 'done' });
        return;
      }
      case 'stop': {
        const failed = aws.n;
        stopping = true;
        await Promise.all(running);
        if (aws.trace !== undefined) {
          process.stderr.write(
            `[${current?.fleet === undefined ? 'alone' : 'fleet'} ${process.pid}] ${aws.trace.join(', ')}\n`,
          );
          aws.trace.length = 0;
        }
        send({ type: 'done', failed });
        return;
      }
      case 'close':
        await (current?.fleet ?? current?.store)?.close();
        current = undefined;
        send({ type: 'done' });
        return;
    }
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(2);
  });
});
