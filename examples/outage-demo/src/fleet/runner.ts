import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TargetStatus } from '@failover/core';
import type { MultiCloudStore, WriteMode } from '@failover/storage';
import { type RedisLocalServer, startRedisServer } from '@failover/testkit';
import type { Tuning } from '../app/tuning.js';
import { CLOUD_INFO } from '../clouds.js';
import type { Style } from '../dashboard/format.js';
import { stamp } from '../dashboard/format.js';
import type { Dashboard } from '../dashboard/types.js';
import { laneOf } from '../metrics/lanes.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import { PROXY_IDS, type TimedPhase } from '../scenarios/types.js';
import type { Topology } from '../topology/topology.js';
import { inlineVersion, type Ledger } from '../workload/ledger.js';
import { createFleetOrderStore, type FleetOrderStore } from './app-store.js';
import type { FromInstance, InstanceBreakerEvent, InstanceConfig, ToInstance } from './protocol.js';
import type { FleetInstanceSummary, FleetSummary } from './summary.js';

const instanceScript = fileURLToPath(new URL('./instance.ts', import.meta.url));
const demoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The niceness of the other instances' processes. On a real deployment the clouds and the network
 * do not share the app's CPU; here they run beside the app on the same cores (the fault proxies
 * and the GCS emulator in the main process, s3rver, Azurite and Redis in processes of their own).
 * On a loaded machine every process gets a fair share of the cores, and a starved proxy makes a
 * healthy cloud time out, which no client can tell from an outage. So the app instances yield
 * to the simulated clouds: under contention they run slower (their own stalls, which the router
 * measures and does not hold against the clouds) while the clouds keep answering. An unprivileged
 * process may always raise another's niceness.
 */
const INSTANCE_NICENESS = 5;

/** Lowers a fleet instance's scheduling priority (see {@link INSTANCE_NICENESS}); best effort. */
function yieldToClouds(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    setPriority(child.pid, Math.min(19, getPriority(process.pid) + INSTANCE_NICENESS));
  } catch {
    // Not allowed here (a sandbox): the instance runs at the parent's priority.
  }
}

/** Options of {@link startFleet}. */
export interface FleetOptions {
  /** App instances in all, the main process included (2 to 8). */
  readonly instances: number;
  readonly topology: Topology;
  readonly writeMode: WriteMode;
  readonly tuning: Tuning;
  readonly seed: number;
  /** Operations per second of the whole fleet (shared out between the instances). */
  readonly opsPerSecond: number;
  readonly maxReceiptBytes: number;
  /** Scratch directory (local fallback journals). */
  readonly tmpDir: string;
}

/** What the fleet's other instances did, once they finished. */
export interface FleetTotals {
  readonly repaired: number;
  readonly journaled: number;
  readonly repairPasses: number;
  readonly backlog: number;
}

/**
 * The fleet mode of the demo (`--fleet`): a Redis (testkit's `startRedisServer`, in memory) and
 * `instances - 1` app instances in processes of their own, beside the main process's instance
 * (`app-1`). Every instance runs the order service on a multi-cloud store whose journal is in
 * Redis and whose breakers are shared (`createFleetHealth({ router: store })`). The other
 * instances' operations, breaker events and repairs are drawn on the main dashboard, and their
 * writes verified with the main instance's.
 */
export class FleetRun {
  readonly redis: RedisLocalServer;
  readonly ids: readonly string[];
  readonly #options: FleetOptions;
  readonly #children = new Map<string, ChildProcess>();
  readonly #status = new Map<string, Extract<FromInstance, { type: 'status' }>>();
  readonly #offsets = new Map<string, number>();
  readonly #summaries = new Map<string, FleetInstanceSummary>();
  readonly #finished = new Map<string, Extract<FromInstance, { type: 'finished' }>>();
  #main: FleetOrderStore | undefined;
  #startedAt = 0;
  #hooks: { recorder: MetricsRecorder; board: Dashboard; style: Style } | undefined;
  #stderr = '';

  private constructor(options: FleetOptions, redis: RedisLocalServer) {
    this.#options = options;
    this.redis = redis;
    this.ids = Array.from({ length: options.instances }, (_, i) => `app-${i + 1}`);
    for (const id of this.ids) this.#summaries.set(id, emptySummary(id));
  }

  /** Starts Redis; the instances start with {@link FleetRun.startInstances}. */
  static async start(options: FleetOptions): Promise<FleetRun> {
    return new FleetRun(options, await startRedisServer({ persistence: 'memory' }));
  }

  /** Operations per second of each instance. */
  get perInstanceRate(): number {
    return Math.max(1, Math.round(this.#options.opsPerSecond / this.#options.instances));
  }

  /** The main process's store (instance `app-1`), on the fleet's Redis. */
  async mainStore(): Promise<MultiCloudStore> {
    const o = this.#options;
    this.#main = await createFleetOrderStore(o.topology.app, {
      redisUrl: this.redis.url,
      instanceId: 'app-1',
      writes: o.writeMode,
      journalDir: await mkdtemp(join(o.tmpDir, 'app-1-')),
      tuning: o.tuning,
    });
    const store = this.#main.store;
    for (const what of ['open', 'halfOpen', 'close'] as const) {
      store.on(what, (e: { target: string; remote?: boolean; reason?: string; kind?: string }) =>
        this.#breaker('app-1', {
          group: 'storage',
          target: e.target,
          what,
          remote: e.remote === true,
          reason: e.reason,
          kind: e.kind,
          at: Date.now(),
        }),
      );
    }
    return store;
  }

  /**
   * Starts the other instances' processes and waits until each one's store is ready; their traffic
   * starts with {@link FleetRun.startInstances}, so the time a loaded machine takes to start a
   * process is not taken from the scenario's phases.
   */
  async prepareInstances(): Promise<void> {
    const o = this.#options;
    const t = o.topology;
    await Promise.all(
      this.ids.slice(1).map(async (id, i) => {
        const config: InstanceConfig = {
          instanceId: id,
          s3Endpoint: t.proxies.s3.url,
          gcsEndpoint: t.proxies.gcs.url,
          azureConnectionString: t.azure.connectionStringFor(t.proxies.azure.url),
          apiUrls: t.apiUrls,
          redisUrl: this.redis.url,
          journalDir: await mkdtemp(join(o.tmpDir, `${id}-`)),
          writeMode: o.writeMode,
          tuning: o.tuning,
          seed: o.seed + (i + 1) * 7919,
          opsPerSecond: this.perInstanceRate,
          maxReceiptBytes: o.maxReceiptBytes,
          failingDns: [],
        };
        await this.#spawn(id, config);
      }),
    );
  }

  /** Starts the prepared instances' traffic and waits until each one's runs. */
  async startInstances(hooks: {
    recorder: MetricsRecorder;
    board: Dashboard;
    style: Style;
    startedAt: number;
  }): Promise<void> {
    this.#hooks = hooks;
    this.#startedAt = hooks.startedAt;
    await Promise.all(
      [...this.#children].map(
        ([id, child]) =>
          new Promise<void>((resolve, reject) => {
            if (child.exitCode !== null || child.signalCode !== null || !child.connected) {
              reject(new Error(`fleet instance ${id} exited before its traffic started: ${this.#stderr}`));
              return;
            }
            const started = (m: FromInstance): void => {
              if (m.type !== 'started') return;
              child.off('message', started);
              resolve();
            };
            child.on('message', started);
            child.send({ type: 'go' } satisfies ToInstance);
          }),
      ),
    );
  }

  #spawn(id: string, config: InstanceConfig): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', instanceScript], {
      cwd: demoRoot,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    this.#children.set(id, child);
    yieldToClouds(child);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      this.#stderr = (this.#stderr + s).slice(-4000);
    });
    return new Promise<void>((resolve, reject) => {
      child.once('exit', (code, signal) =>
        reject(new Error(`fleet instance ${id} exited (${signal ?? code}): ${this.#stderr}`)),
      );
      child.on('message', (m: FromInstance) => {
        if (m.type === 'ready') resolve();
        else this.#receive(id, m);
      });
      child.send({ type: 'start', config } satisfies ToInstance);
    });
  }

  #receive(id: string, m: FromInstance): void {
    const summary = this.#summaries.get(id)!;
    if (m.type === 'started') this.#offsets.set(id, m.at - this.#startedAt);
    else if (m.type === 'outcome') {
      const offset = this.#offsets.get(id) ?? 0;
      const outcome = {
        ...m.outcome,
        startedMs: m.outcome.startedMs + offset,
        endedMs: m.outcome.endedMs + offset,
      };
      summary.ops++;
      if (outcome.error !== undefined) summary.appErrors++;
      this.#hooks?.recorder.recordOutcome(
        outcome.error === undefined
          ? outcome
          : { ...outcome, error: { ...outcome.error, atMs: outcome.error.atMs + offset } },
      );
    } else if (m.type === 'breaker') this.#breaker(id, m.event);
    else if (m.type === 'status') {
      this.#status.set(id, m);
      this.#summaries.get(id)!.fleetApplied = m.fleet.applied;
    } else if (m.type === 'finished') this.#finished.set(id, m);
  }

  /** A breaker event of any instance: on the dashboard, and in the fleet summary. */
  #breaker(id: string, e: InstanceBreakerEvent): void {
    const hooks = this.#hooks;
    if (hooks === undefined) return;
    const atMs = e.at - this.#startedAt;
    const summary = this.#summaries.get(id)!;
    if (e.group === 'storage' && e.target === CLOUD_INFO.aws.target) {
      if (e.what === 'open') {
        summary.awsOpens++;
        if (e.remote) summary.awsRemoteOpens++;
        summary.firstAwsOpen ??= { atMs, remote: e.remote, reason: e.reason ?? e.kind };
      } else if (e.what === 'close') {
        summary.awsCloses++;
        if (!e.remote) summary.awsProbedBack++;
      }
    }
    // The main instance's own events are drawn by the main run; here the fleet's part of them.
    if (id === 'app-1' && !e.remote) return;
    const { board, style: s } = hooks;
    const label = laneOf(e.group, e.target)?.label ?? e.target;
    const head = `${stamp(atMs)} ${s.bold(id)}`;
    if (e.what === 'open') {
      board.event(
        e.remote
          ? `${head} ${s.red('skips')} ${label}: ${e.reason ?? 'opened fleet-wide'}`
          : `${head} ${s.red('breaker OPEN')} ${label} (${e.kind ?? '?'}), shared with the fleet`,
      );
    } else if (e.what === 'close') {
      board.event(
        e.remote
          ? `${head} ${s.green('uses')} ${label} again (another instance's probe succeeded)`
          : `${head} ${s.green('breaker closed')} ${label} (its probe succeeded), shared with the fleet`,
      );
    }
  }

  /** Phase change: the `dns` faults are per process (the proxies' names resolve in each one). */
  phase(phase: TimedPhase): void {
    for (const id of PROXY_IDS) {
      const failing = phase.faults[id]?.type === 'dns';
      const host = this.#options.topology.proxies[id].host;
      for (const child of this.#children.values()) {
        if (child.connected) child.send({ type: 'dns', host, failing } satisfies ToInstance);
      }
    }
  }

  /** The other instances' breaker status is not drawn; their counters add to the journal line. */
  journalTotals(own: { backlog: number; repaired: number; journaled: number }) {
    let { repaired, journaled } = own;
    for (const s of this.#status.values()) {
      repaired += s.repaired;
      journaled += s.journaled;
    }
    return { backlog: own.backlog, repaired, journaled };
  }

  /** Stops the other instances' traffic, lets each repair, and replays their writes into `ledger`. */
  async finish(ledger: Ledger, maxResetMs: number): Promise<FleetTotals> {
    await Promise.all(
      [...this.#children].map(
        ([id, child]) =>
          new Promise<void>((resolve, reject) => {
            if (child.exitCode !== null || child.signalCode !== null || !child.connected) {
              reject(new Error(`fleet instance ${id} exited during the run: ${this.#stderr}`));
              return;
            }
            const done = (m: FromInstance): void => {
              if (m.type === 'finished') {
                child.off('message', done);
                resolve();
              }
            };
            child.on('message', done);
            child.once('exit', () => reject(new Error(`fleet instance ${id} exited before it finished`)));
            child.send({ type: 'finish', maxResetMs } satisfies ToInstance);
          }),
      ),
    );
    let repaired = 0;
    let journaled = 0;
    let repairPasses = 0;
    let backlog = 0;
    for (const [id, f] of this.#finished) {
      for (const r of f.ledger) {
        const version = r.bytes === null ? null : inlineVersion(Buffer.from(r.bytes, 'base64'));
        if (r.acked) ledger.ack(r.key, version);
        else ledger.fail(r.key, version);
      }
      repaired += f.repaired;
      journaled += f.journaled;
      repairPasses += f.repairPasses;
      backlog += f.backlog;
      this.#summaries.get(id)!.repaired = f.repaired;
    }
    return { repaired, journaled, repairPasses, backlog };
  }

  /** The fleet part of the report. `mainRepaired` and `mainOps`: the main instance's counters. */
  summary(main: { ops: number; appErrors: number; repaired: number }): FleetSummary {
    const first = this.#summaries.get('app-1')!;
    first.ops = main.ops;
    first.appErrors = main.appErrors;
    first.repaired = main.repaired;
    if (this.#main !== undefined) first.fleetApplied = this.#main.fleet.status().applied;
    const instances = this.ids.map((id) => ({ ...this.#summaries.get(id)! }));
    const opens = instances.map((i) => i.firstAwsOpen).filter((o) => o !== undefined);
    // The first opening anywhere: an instance's own breaker, or the fleet's count of failures.
    const firstTrip = opens.length === 0 ? undefined : Math.min(...opens.map((o) => o.atMs));
    return {
      instances,
      redis: `redis-server on ${this.redis.url.replace(/^redis:\/\//, '')} (in memory)`,
      firstTripMs: firstTrip,
      allSkippingMs:
        firstTrip === undefined || opens.length < instances.length
          ? undefined
          : Math.max(...opens.map((o) => o.atMs)) - firstTrip,
    };
  }

  /** The storage status of another instance, for diagnostics. */
  statusOf(id: string): readonly TargetStatus[] | undefined {
    return this.#status.get(id)?.storage;
  }

  /** Stops the instances, the main instance's fleet connection and Redis. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.#children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (child.connected) child.send({ type: 'close' } satisfies ToInstance);
            else child.kill('SIGKILL');
          }),
      ),
    );
    await this.#main?.close().catch(() => undefined);
    await this.redis.stop();
  }
}

function emptySummary(id: string): FleetInstanceSummary {
  return {
    id,
    ops: 0,
    appErrors: 0,
    repaired: 0,
    awsOpens: 0,
    awsCloses: 0,
    awsProbedBack: 0,
    awsRemoteOpens: 0,
    fleetApplied: 0,
    firstAwsOpen: undefined,
  };
}
