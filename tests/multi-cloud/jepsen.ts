import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BlobInfo, type BlobStore, getBytes, SHA256_KEY, VERSION_KEY } from '@failover/storage';
import { type RedisLocalServer, startRedisServer } from '@failover/testkit';
import { cloudStores, startTargetOrderClouds, type TargetOrderClouds } from '../support/clouds.js';
import { type CheckReport, check, type FinalRead, History, type Op, type OpKind } from './jepsen-check.js';
import { bodyFor, Rng, sha256 } from './jepsen-data.js';
import { type FaultKind, FaultSchedule, harnessCall, type PhaseKind } from './jepsen-faults.js';
import type { OpRequest, ReadResult, SettleReport } from './jepsen-protocol.js';
import { summarize, writeTrace } from './jepsen-report.js';
import { type Finished, Writers } from './jepsen-writer.js';

/** Options of {@link runSoak}. */
export interface SoakOptions {
  readonly seed: number;
  /** Calls to make (puts, gets, deletes, lists). */
  readonly ops: number;
  /** Times the writer process is SIGKILLed and restarted. */
  readonly crashes: number;
  /**
   * Times a writer process is stalled (SIGSTOP, then SIGCONT 0.5 to 3 s later) with its calls in
   * flight, as a GC pause, a frozen VM or a CPU-starved container would: its timers and its
   * requests' answers all come due at once when it resumes. Default 0.
   */
  readonly stalls?: number;
  /** Calls in flight at once (writes of one key never overlap). Default 8. */
  readonly workers?: number;
  /** Distinct keys (few keys, many versions). Default 12. */
  readonly keys?: number;
  /** Times a cloud comes back empty. Default 2. */
  readonly amnesia?: number;
  /** Largest "larger" body (bytes). Default 256 KiB. */
  readonly largeBytes?: number;
  /** The store's attempt time limit in the child (ms). Default 1500. */
  readonly attemptTimeoutMs?: number;
  /**
   * Fleet mode: this many app instances (separate processes, each SIGKILLed and restarted on its
   * own) share one Redis journal and their breakers (redis-server started for the soak, its AOF
   * fsynced on every write); each call goes to an instance picked at random, so a read often
   * comes from another instance than the write before it, and the crashes land on any instance.
   * Default 1: one writer on a file journal, no Redis.
   */
  readonly instances?: number;
  /**
   * Fleet mode: Redis is SIGKILLed (and restarted on its AOF) or paused (SIGSTOP) now and then
   * during the soak. A read on one instance may then miss a write another instance acknowledged
   * (the writer journals locally until Redis is back and the journals merge): such a stale read is
   * excused when Redis was away between the write and the read, or up to
   * {@link REDIS_MERGE_GRACE_MS} before the read (counted apart, not a violation). Nothing else is:
   * reads of an instance's own writes, and every read after the soak, must be fresh.
   */
  readonly redisFaults?: boolean;
  /**
   * Fleet mode with `redisFaults`: at most this many of the Redis faults are a data loss instead
   * (SIGKILL, its data directory emptied, a restart: a Redis without persistence that restarted).
   * The journal forgets which cloud lacks which write, so until the instances' reconcile after the
   * reset finished, reads may return an older version (multi-cloud.md): every stale read after the
   * first loss is excused (counted apart); the checks after the soak stay strict, and a delete a
   * cloud missed before the loss must stay done (its tombstones). Default 0 (`JEPSEN_REDIS_FLUSH`).
   */
  readonly redisFlushes?: number;
  /**
   * Fleet mode: every instance but the first runs this many ms behind the real clock (its store's
   * `now`), as a machine whose clock drifted would: its blind overwrites must still replace the
   * acknowledged writes they follow. Default 0.
   */
  readonly clockSkewMs?: number;
  readonly log?: (line: string) => void;
}

/** When Redis was away (killed, or paused), wall-clock ms. */
export interface RedisWindow {
  /** `flush`: killed and restarted without its data (from then on, until the end of the soak). */
  readonly kind: 'kill' | 'pause' | 'flush';
  readonly from: number;
  to: number;
}

/**
 * How long after Redis is back a cross-instance read may still miss a write journaled locally:
 * the fallback journal's check and merge run every second, and the reader's own journal checks
 * Redis again on the same period.
 */
export const REDIS_MERGE_GRACE_MS = 3000;

/** One kind of app-visible error, and how many of them were justified. */
export interface ErrorCount {
  count: number;
  /** Every cloud holding the newest version (for writes: every cloud) was down. */
  justified: number;
}

/** What a soak did and what the checker found. */
export interface SoakResult {
  readonly seed: number;
  readonly planned: number;
  readonly durationMs: number;
  readonly outcomes: Record<'ok' | 'fail' | 'crash' | 'never', number>;
  readonly byKind: Record<OpKind, number>;
  readonly crashes: number;
  /** Times a writer process was stalled (SIGSTOP, then SIGCONT). */
  readonly stalls: number;
  readonly phases: Record<PhaseKind, number>;
  readonly faults: Record<FaultKind, number>;
  /** App-visible errors by `<call>:<failure kind>`. */
  readonly errors: Record<string, ErrorCount>;
  /** Unjustified errors, for the report. */
  readonly unjustified: readonly string[];
  /** The store's own events seen in the writer children (degraded, lost, amnesia, conflict...). */
  readonly events: Record<string, number>;
  readonly settle: SettleReport;
  readonly check: CheckReport;
  /**
   * Keys with a justified loss for which no writer reported `lost`. Printed, not asserted: a loss
   * the store cannot see (a newer write of the key acknowledged before repair looked) is possible.
   */
  readonly unreportedLosses: readonly string[];
  /** App instances (1: no fleet). */
  readonly instances: number;
  /** Fleet mode with `redisFaults`: when Redis was away. */
  readonly redisWindows: readonly RedisWindow[];
  /** Set when a writer child died by itself or the final settle failed. */
  readonly harnessError: string | undefined;
  /** Every call, fault window and store event as JSON lines (written on a violation, or with JEPSEN_TRACE). */
  readonly tracePath: string | undefined;
}

const PREFIX = 'jk/';
/** A cloud whose breaker opened stays skipped up to the breaker's longest reset timeout after it recovers. */
const BREAKER_GRACE_MS = 2500;

/** One planned call. */
interface Planned {
  readonly kind: OpKind;
  readonly key: string;
  readonly size: number;
  readonly stream: boolean;
}

/** `n` distinct call indexes (at most `ops`) drawn from the middle 90 % of a soak of `ops` calls. */
function callsAmid(rng: Rng, n: number, ops: number): Set<number> {
  const at = new Set<number>();
  while (at.size < Math.min(n, ops)) at.add(rng.int(Math.floor(ops * 0.05), Math.floor(ops * 0.95)));
  return at;
}

function plan(rng: Rng, n: number, keys: readonly string[], largeBytes: number): Planned[] {
  const out: Planned[] = [];
  for (let i = 0; i < n; i++) {
    const kind = rng.weighted<OpKind>({ put: 40, delete: 10, get: 40, list: 10 });
    // Skewed: the first keys are hot.
    const key = keys[Math.min(keys.length - 1, Math.floor(keys.length * rng.next() ** 1.3))]!;
    const large = rng.chance(0.08);
    const size = large ? rng.int(64 * 1024, largeBytes) : rng.int(1, 3000);
    out.push({ kind, key, size, stream: rng.chance(0.3) });
  }
  return out;
}

/**
 * The Jepsen-style soak: mixed calls over the three local clouds behind fault proxies that switch
 * among every fault kind, a writer process SIGKILLed and restarted on its journal, then repair
 * and reconcile to completion and the checker over the ground-truth model. Never throws for a
 * violation: the result says what was found.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const workers = options.workers ?? 8;
  const keys = Array.from({ length: options.keys ?? 12 }, (_, i) => `${PREFIX}k${i}`);
  const rng = new Rng(options.seed);
  const planned = plan(rng, options.ops, keys, options.largeBytes ?? 256 * 1024);
  const killRng = new Rng(options.seed + 7);
  const crashAt = callsAmid(rng, options.crashes, options.ops);
  const stallRng = new Rng(options.seed + 17);
  const stallAt = callsAmid(stallRng, options.stalls ?? 0, options.ops);
  const instances = options.instances ?? 1;
  const pickRng = new Rng(options.seed + 11);
  const clouds: TargetOrderClouds = await startTargetOrderClouds({ seed: options.seed });
  const redis = instances > 1 ? await startRedisServer({ persistence: 'aof-always' }) : undefined;
  const tmp = await mkdtemp(join(tmpdir(), 'failover-jepsen-'));
  try {
    const bucket = `jepsen-${randomBytes(4).toString('hex')}`;
    await Promise.all([
      clouds.s3.createBucket(bucket),
      clouds.gcs.createBucket(bucket),
      clouds.azure.createBucket(bucket),
    ]);
    const direct = cloudStores(bucket, clouds.direct);
    const journalDirs = Array.from({ length: instances }, (_, i) => join(tmp, `journal-${i}`));
    for (const dir of journalDirs) await mkdir(dir);
    const history = new History();
    /** Fleet mode with `redisFaults`: when Redis was away, each window recorded as it starts. */
    const redisWindows: RedisWindow[] = [];
    const events: Record<string, number> = {};
    const traceEvents: { name: string; detail: string; at: number; instance?: number }[] = [];
    /** A store event of instance `i` (the trace names it). */
    const onEventOf =
      (i: number) =>
      (name: string, detail: string): void => {
        events[name] = (events[name] ?? 0) + 1;
        traceEvents.push({ name, detail, at: Date.now(), instance: i });
      };
    /** The harness's own moments (stalls, crashes) in the trace, not counted as store events. */
    const harnessEvent = (name: string, detail: object, instance: number): void => {
      traceEvents.push({ name, detail: JSON.stringify(detail), at: Date.now(), instance });
    };
    const schedule = new FaultSchedule(
      clouds.proxies,
      direct,
      new Rng(options.seed ^ 0x5f3759df),
      {
        dns: (host, failing) => {
          for (const w of fleet) w.dns(host, failing);
        },
        log,
      },
      options.amnesia ?? 2,
    );
    const fleet: Writers[] = journalDirs.map(
      (journalDir, i) =>
        new Writers(history, onEventOf(i), () => ({
          bucket,
          journalDir,
          spoolDir: tmp,
          s3Endpoint: clouds.proxies[0].url,
          gcsEndpoint: clouds.proxies[1].url,
          azureConnectionString: clouds.azure.connectionStringFor(clouds.proxies[2].url),
          failingDns: [...schedule.failingDns],
          attemptTimeoutMs: options.attemptTimeoutMs ?? 1500,
          ...(redis === undefined
            ? {}
            : {
                fleet: {
                  redisUrl: redis.url,
                  journalPrefix: `jepsen:${bucket}:journal`,
                  fleetPrefix: `jepsen:${bucket}:fleet`,
                  instanceId: `instance-${i}`,
                  ...(i > 0 && options.clockSkewMs ? { clockSkewMs: options.clockSkewMs } : {}),
                },
              }),
        })),
    );
    const harnessErrorOf = (): string | undefined => fleet.find((w) => w.harnessError)?.harnessError;
    let crashes = 0;
    let stalls = 0;
    const stalled: Promise<void>[] = [];
    await Promise.all(fleet.map((w) => w.live()));
    // A store that has been running a while holds its epoch marker on every cloud (the first
    // writer creates them, all clouds being up): only then can a cloud that loses its data be
    // caught, which is what the soak must exercise (before this, wipes in the first seconds hit
    // clouds with no marker yet and tested nothing of it).
    await markersWritten(direct);

    // Writes of one key never overlap, so they are totally ordered by seq.
    const keyTails = new Map<string, Promise<void>>();
    const probes: Promise<void>[] = [];
    let next = 0;
    let nextId = 1;
    const worker = async (): Promise<void> => {
      while (next < planned.length && harnessErrorOf() === undefined) {
        const index = next++;
        if (index > 0 && index % 500 === 0) log(`${index} calls made after ${Date.now() - started} ms`);
        const p = planned[index]!;
        const isWrite = p.kind === 'put' || p.kind === 'delete';
        let release: () => void = () => undefined;
        if (isWrite) {
          const before = keyTails.get(p.key) ?? Promise.resolve();
          keyTails.set(p.key, new Promise<void>((r) => (release = r)));
          await before;
        }
        try {
          const instance = instances === 1 ? 0 : pickRng.int(0, instances - 1);
          const w = await fleet[instance]!.live();
          const seq = isWrite ? history.nextSeq(p.key) : 0;
          const body = p.kind === 'put' ? bodyFor(p.key, seq, p.size) : undefined;
          const op = history.add({
            id: nextId++,
            kind: p.kind,
            key: p.kind === 'list' ? PREFIX : p.key,
            seq,
            sha256: body === undefined ? undefined : sha256(body),
            invokedAt: -1,
            completedAt: Number.POSITIVE_INFINITY,
            invokedMs: 0,
            completedMs: 0,
            status: 'pending',
            ...(instances === 1 ? {} : { instance, process: w.pid }),
          });
          const done = w.run(op, requestOf(op, p));
          if (crashAt.has(index)) {
            // Kill it while this call (and the others in flight) is under way.
            void sleep(killRng.int(0, 40)).then(() => {
              if (w.alive) {
                crashes++;
                log(`crash ${crashes}: SIGKILL during op ${op.id} (${op.kind} ${op.key})`);
                harnessEvent('harness:kill', { op: op.id, pid: w.pid }, instance);
                w.kill();
              }
            });
          }
          if (stallAt.has(index)) {
            // Stall it while this call (and the others in flight) is under way.
            const ms = stallRng.int(500, 3000);
            stalled.push(
              sleep(stallRng.int(0, 40)).then(async () => {
                if (!w.alive) return;
                stalls++;
                log(`stall ${stalls}: SIGSTOP for ${ms} ms during op ${op.id} (${op.kind} ${op.key})`);
                harnessEvent('harness:stall', { op: op.id, pid: w.pid, ms }, instance);
                await w.stall(ms);
                harnessEvent('harness:resume', { op: op.id, pid: w.pid }, instance);
              }),
            );
          }
          await done;
          if (op.status === 'pending') op.status = 'crash';
          if (op.status === 'fail') probes.push(justify(op, history, schedule, direct, redisWindows));
        } finally {
          release();
        }
      }
    };
    let workersDone = false;
    const faultsRun = schedule.run(() => workersDone);
    const redisRun =
      redis !== undefined && options.redisFaults === true
        ? redisFaultLoop(
            redis,
            new Rng(options.seed + 13),
            redisWindows,
            () => workersDone,
            log,
            options.redisFlushes ?? 0,
          )
        : Promise.resolve();
    await Promise.all(Array.from({ length: workers }, worker));
    await Promise.all(stalled);
    workersDone = true;
    await faultsRun;
    await redisRun;
    for (const w of redisWindows) {
      traceEvents.push({
        name: `redis ${w.kind}`,
        detail: JSON.stringify({ from: w.from, to: w.to }),
        at: w.from,
      });
    }
    await Promise.all(probes);
    log(`soak done after ${Date.now() - started} ms; settling`);

    // Faults are over: let the breakers close, then repair and reconcile to completion.
    for (const w of fleet) w.stopRestarting();
    await sleep(BREAKER_GRACE_MS);
    let finished: Finished | undefined;
    let harnessError: string | undefined;
    try {
      // The other instances close first; the first one settles what any of them left pending.
      await Promise.all(fleet.slice(1).map(async (w) => (await w.live()).close()));
      finished = await (await fleet[0]!.live()).finish(PREFIX, keys);
    } catch (err) {
      harnessError = err instanceof Error ? err.message : String(err);
    }
    await Promise.all(fleet.map((w) => w.latest?.closed));
    harnessError = harnessErrorOf() ?? harnessError;
    const endTick = history.tick();
    const finals = await finalReads(keys, finished, direct);
    const report = check(
      history,
      keys,
      finals,
      endTick,
      destroyedAt(history, schedule, direct, traceEvents),
      (read, missed, floorRead) => redisExcuses(redisWindows, read, missed, floorRead),
    );
    const t = report.total;
    const lostKeys = new Set(
      traceEvents.filter((e) => e.name === 'lost').map((e) => (JSON.parse(e.detail) as { key?: string }).key),
    );
    const unreportedLosses = report.justifiedKeys.filter((k) => !lostKeys.has(k));
    const violated =
      t.lost + t.corrupt + t.stale + t.resurrected > 0 ||
      harnessError !== undefined ||
      unreportedLosses.length > 0;
    // More `lost` events than losses the checker can justify: kept too (not a failure: a true
    // loss nobody read before the key's next write is not justified), so that it can be traced.
    const unexplainedLost = lostKeys.size > report.justifiedKeys.length;
    const tracePath =
      process.env.JEPSEN_TRACE ??
      (violated || unexplainedLost
        ? join(tmpdir(), `jepsen-trace-${options.seed}-${process.pid}.jsonl`)
        : undefined);
    if (tracePath !== undefined) await writeTrace(tracePath, history, schedule.windows, finals, traceEvents);
    return {
      seed: options.seed,
      planned: planned.length,
      durationMs: Date.now() - started,
      ...summarize(history),
      crashes,
      stalls,
      phases: { ...schedule.phases },
      faults: { ...schedule.kinds },
      events,
      settle: finished?.settle ?? emptySettle(),
      check: report,
      unreportedLosses,
      instances,
      redisWindows,
      harnessError,
      tracePath,
    };
  } finally {
    await clouds.stop();
    await redis?.stop();
    // JEPSEN_KEEP=1 keeps the journal directory for a post-mortem (its path is printed).
    if (process.env.JEPSEN_KEEP === '1') console.error(`jepsen: journal and spool kept in ${tmp}`);
    else await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Takes Redis away now and then until `done()`: SIGKILL and a restart on its AOF, or SIGSTOP and
 * SIGCONT, each for 0.4 to 2 s, 1.5 to 4 s apart. Each window is recorded as it ends.
 */
async function redisFaultLoop(
  redis: RedisLocalServer,
  rng: Rng,
  windows: RedisWindow[],
  done: () => boolean,
  log: (line: string) => void,
  flushes: number,
): Promise<void> {
  let flushed = 0;
  while (!done()) {
    await sleep(rng.int(1500, 4000));
    if (done()) break;
    const kind = flushed < flushes && rng.chance(0.3) ? 'flush' : rng.chance(0.5) ? 'kill' : 'pause';
    const window: RedisWindow = { kind, from: Date.now(), to: Number.POSITIVE_INFINITY };
    windows.push(window);
    if (kind === 'pause') await redis.pause();
    else await redis.kill();
    if (kind === 'flush') {
      flushed++;
      for (const name of await readdir(redis.directory)) {
        await rm(join(redis.directory, name), { recursive: true, force: true });
      }
    }
    await sleep(rng.int(400, 2000));
    if (kind === 'pause') redis.resume();
    else await redis.restart();
    // A loss excuses stale reads until the end of the soak (the reset's reconcile takes a while).
    if (kind !== 'flush') window.to = Date.now();
    log(
      kind === 'flush'
        ? 'redis restarted without its data'
        : `redis ${kind} for ${window.to - window.from} ms`,
    );
  }
}

/**
 * Whether a stale read during the soak is one the fleet's guarantee allows, with Redis away at
 * some time between `since` and the read's end (or up to {@link REDIS_MERGE_GRACE_MS} before it):
 *
 * - it was made on another instance than the write it missed, or by a later process of the same
 *   instance (restarted after a kill: it knows its predecessor's writes only through Redis),
 *   `since` that write's start; or
 * - it missed a write of its own instance that was still in flight when the read began, and it is
 *   stale only because a read on another instance had already returned that write (the floor's
 *   read), `since` that read's start: the other instance's read is known to the writer only
 *   through Redis (it confirms what it returned there).
 */
function redisExcuses(
  windows: readonly RedisWindow[],
  read: Op,
  missed: Op,
  floorRead: Op | undefined,
): boolean {
  if (read.instance === undefined) return false;
  // After Redis lost its data, reads may return an older version until the reset's reconcile ends.
  if (windows.some((w) => w.kind === 'flush' && w.from <= read.completedMs)) return true;
  const awaySince = (since: number): boolean =>
    windows.some((w) => w.from <= read.completedMs && w.to + REDIS_MERGE_GRACE_MS >= since);
  if (read.instance !== missed.instance || read.process !== missed.process)
    return awaySince(missed.invokedMs);
  const inFlight = missed.status !== 'ok' || missed.completedAt > read.invokedAt;
  if (!inFlight || floorRead === undefined || floorRead.instance === read.instance) return false;
  return awaySince(floorRead.invokedMs);
}

/** Waits (up to 30 s, then goes on) until every cloud holds the store's epoch marker. */
async function markersWritten(direct: readonly BlobStore[]): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const heads = await Promise.all(direct.map((d) => d.head('_failover/epoch').catch(() => null)));
    if (heads.every((h) => h !== null)) return;
    await sleep(100);
  }
}

/** What the child asks the store for a planned call. */
function requestOf(op: Op, p: Planned): OpRequest {
  if (p.kind === 'put') {
    return { type: 'op', id: op.id, op: 'put', key: p.key, seq: op.seq, size: p.size, stream: p.stream };
  }
  if (p.kind === 'list') return { type: 'op', id: op.id, op: 'list', prefix: PREFIX };
  return { type: 'op', id: op.id, op: p.kind, key: p.key };
}

/** Every key read after the soak: through the store (by the child) and in each bucket directly. */
async function finalReads(
  keys: readonly string[],
  finished: Finished | undefined,
  direct: readonly BlobStore[],
): Promise<FinalRead[]> {
  const finals: FinalRead[] = [];
  for (const key of keys) {
    const r = finished?.reads[key];
    if (r !== undefined) finals.push({ where: 'store', key, result: r });
    for (const store of direct) finals.push({ where: store.name, key, result: await readDirect(store, key) });
  }
  return finals;
}

async function readDirect(store: BlobStore, key: string): Promise<ReadResult | { error: string }> {
  try {
    const bytes = await harnessCall(() => getBytes(store, key));
    return { found: true, sha256: sha256(bytes) };
  } catch (err) {
    if ((err as { kind?: string }).kind === 'not_found') return { found: false };
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Whether a failed call was justified. A write (the default mode acknowledges with one cloud up)
 * is justified when every cloud was down at some time during the call (or within the breakers'
 * grace before it). A read is justified when every cloud that was up throughout lacks the newest
 * acknowledged version (probed directly right after the failure).
 */
async function justify(
  op: Op,
  history: History,
  schedule: FaultSchedule,
  direct: readonly BlobStore[],
  redisWindows: readonly RedisWindow[],
): Promise<void> {
  const from = op.invokedMs - BREAKER_GRACE_MS;
  const to = op.completedMs;
  const up = [0, 1, 2].filter((c) => !schedule.wasDown(c, from, to));
  if (up.length === 0) {
    op.justified = true;
    op.why = 'every cloud down';
    return;
  }
  const upNames = up.map((c) => direct[c]!.name).join(', ');
  // A listing never answers from a cloud that lost its data until it is restored (it would miss
  // keys): justified when every cloud up was wiped before and the store said so for each.
  if (
    op.kind === 'list' &&
    up.every(
      (c) =>
        schedule.wasWipedBefore(c, to) &&
        (op.message ?? '').includes(`Target "${direct[c]!.name}" lost its data`),
    )
  ) {
    op.justified = true;
    op.why = `the clouds up (${upNames}) lost their data and were being restored`;
    return;
  }
  if (op.kind === 'put' || op.kind === 'delete' || op.kind === 'list') {
    op.justified = false;
    op.why = `${upNames} up throughout`;
    return;
  }
  const newest = history.acknowledgedBefore(op.key, op.invokedAt);
  const heads = await Promise.all(
    up.map((c) => harnessCall(() => direct[c]!.head(op.key)).catch(() => undefined)),
  );
  const holdersOf = (w: Op | undefined): string[] =>
    up.filter((_, i) => holds(heads[i], w, newest)).map((c) => direct[c]!.name);
  const holders = holdersOf(newest);
  if (holders.length === 0) {
    op.justified = true;
    op.why = `the clouds up (${upNames}) lack the newest version`;
    return;
  }
  // A write cut by a crash after its record was made is acknowledged for the store, which then
  // serves nothing older, although the harness never saw the answer.
  const cut = history
    .writesOf(op.key)
    .filter((w) => w.status === 'crash' && w.invokedAt < op.invokedAt && w.seq > (newest?.seq ?? 0))
    .at(-1);
  if (cut !== undefined && op.message?.includes('No reachable target holds the newest version') === true) {
    if (holdersOf(cut).length === 0) {
      op.justified = true;
      op.why = `the clouds up (${upNames}) lack #${cut.seq}, a ${cut.kind} cut by a crash that the store may have acknowledged`;
      return;
    }
  }
  // Fleet mode: while Redis is away (or merging back), an instance may not know another
  // instance's newer write, and refuse to serve what its own view calls older (fleet.md).
  if (newest !== undefined && (newest.instance !== op.instance || newest.process !== op.process)) {
    const away = redisWindows.some(
      (w) => w.from <= op.completedMs && w.to + REDIS_MERGE_GRACE_MS >= newest.invokedMs,
    );
    if (away) {
      op.justified = true;
      op.why = `Redis away since the newest write (#${newest.seq}, another instance's): ${holders.join(', ')} held it`;
      return;
    }
  }
  op.justified = false;
  op.why = `${holders.join(', ')} held the newest version and was up`;
}

/**
 * Whether a cloud's `head` of the key shows write `w` or a newer one (`undefined`: the head
 * failed; `w` undefined: no write yet). A put whose answer the harness never saw is known by its
 * bytes' SHA-256, or by a version newer than the newest acknowledged one.
 */
function holds(info: BlobInfo | null | undefined, w: Op | undefined, acked: Op | undefined): boolean {
  if (info === undefined) return false;
  if (w === undefined || w.kind === 'delete') return info === null;
  if (info === null) return false;
  const version = info.metadata[VERSION_KEY] ?? '';
  if (w.version !== undefined) return version >= w.version;
  return info.metadata[SHA256_KEY] === w.sha256 || version > (acked?.version ?? '');
}

/**
 * When every copy of an acknowledged put was destroyed (wall-clock ms), from the ground truth the
 * fault schedule read right after each wipe: no other cloud held the put's version or a newer
 * one of its key, and the wiped cloud held it: the put was acknowledged before they were read,
 * or it was acknowledged as degraded with the wiped cloud as its only holder (its copy landed
 * there before the cloud started refusing). A read that misses such a put afterwards is a
 * justified loss (the store reports `lost`), not a stale read.
 */
function destroyedAt(
  history: History,
  schedule: FaultSchedule,
  direct: readonly BlobStore[],
  events: readonly { name: string; detail: string }[],
): (op: Op) => number | undefined {
  const degraded = new Map<string, readonly string[]>();
  for (const e of events) {
    if (e.name !== 'degraded') continue;
    const d = JSON.parse(e.detail) as { key: string; version: string; holders: string[] };
    degraded.set(`${d.key} ${d.version}`, d.holders);
  }
  const wipes = schedule.windows.filter((w) => w.wipedAt !== undefined && w.survivors !== undefined);
  const at = new Map<Op, number>();
  for (const op of history.ops) {
    if (op.kind !== 'put' || op.status !== 'ok' || op.version === undefined) continue;
    const version = op.version;
    for (const w of wipes) {
      if ((w.survivors!.get(op.key) ?? '') >= version) continue;
      const only = degraded.get(`${op.key} ${version}`);
      const onWiped =
        op.completedMs < w.probedAt! ||
        (only?.every((h) => h === direct[w.cloud]!.name) === true && op.invokedMs < w.from);
      if (onWiped && op.invokedMs < w.wipedAt!) {
        at.set(op, w.wipedAt!);
        break;
      }
    }
  }
  return (op) => at.get(op);
}

function emptySettle(): SettleReport {
  return {
    repairPasses: 0,
    backlogAfter: -1,
    reconcile: { copied: 0, deleted: 0, conflicts: 0, lost: 0, errors: 0 },
    counts: {},
    durationMs: 0,
  };
}

export { formatSoak } from './jepsen-report.js';
