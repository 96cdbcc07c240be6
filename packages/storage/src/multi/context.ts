import {
  AllTargetsFailedError,
  classifyFailure,
  type Failover,
  type FailoverTarget,
  type FailureKind,
  failedBeforeSending,
  type TargetFailure,
  type TypedEmitter,
} from '@failover/core';
import type { Journal } from '../journal/types.js';
import type { KeyedLock } from '../keyed-lock.js';
import type { BlobStore } from '../types.js';
import type { AckedWrites } from './acked.js';
import type { AppendedEntries } from './appended.js';
import type { DeferredRecords } from './deferred-records.js';
import type { ResolvedMultiOptions } from './options.js';
import type { PendingIndex } from './pending.js';
import type { MultiCloudCounts, MultiCloudOwnEvents } from './types.js';
import type { UncertainWindows } from './uncertain.js';
import type { UnresponsiveWatch } from './unresponsive.js';
import type { HybridClock } from './version.js';
import type { WriteLeases } from './write-lease.js';

/** A target of the store's router: one store, by its name. */
export interface StoreTarget extends FailoverTarget {
  readonly name: string;
  readonly store: BlobStore;
  /** Its position in the order of preference (0: the primary). */
  readonly rank: number;
}

/**
 * The targets' epoch markers as the store's parts ask them (`EpochTracker` in epoch.ts is the
 * one; its comments say more). Declared here, beside the context it takes, so that epoch.ts
 * imports this module and not the other way round.
 */
export interface EpochMarkers {
  /** True when detection is on. */
  readonly enabled: boolean;
  /** Whether `target` is known to have lost data and is not reconciled yet. */
  isAmnesiac(target: string): boolean;
  /** Targets that lost data and are not reconciled yet. */
  amnesiac(): string[];
  /** For status: when the target's loss was noticed and whether its reconcile runs. */
  statusOf(target: string): { since: number; reconciling: boolean } | undefined;
  /**
   * Whether a "not found" from `target` (asked at `since`) can be trusted. `within`: asked from
   * inside an attempt on `target` (its signal), so a marker read it needs goes to the target
   * directly, as part of that attempt, not through the router (which, while the attempt is the
   * target's half-open probe, would make the read wait for the probe: itself).
   */
  trusted(ctx: MultiContext, target: string, since?: number, within?: MarkerRead): boolean | Promise<boolean>;
  /** Checks every target whose marker was not seen lately. */
  sweep(ctx: MultiContext): Promise<void>;
  /** Forgets that `target`'s marker was seen intact (it failed a call). */
  forget(target: string): void;
}

/** A marker read made inside an attempt on its target: the attempt's signal. */
export interface MarkerRead {
  readonly signal: AbortSignal | undefined;
}

/** A copy that landed on `target` but could not be checked against its key's high-water mark. */
export interface UncheckedCopy {
  readonly key: string;
  readonly target: string;
  /** The version the copy carried. */
  readonly version: string | undefined;
}

/** What every part of the multi-cloud store shares. */
export interface MultiContext {
  readonly options: ResolvedMultiOptions;
  readonly name: string;
  readonly targets: readonly StoreTarget[];
  readonly byName: ReadonlyMap<string, StoreTarget>;
  readonly router: Failover<StoreTarget>;
  readonly journal: Journal;
  readonly pending: PendingIndex;
  /** Resolves of stragglers, sent with the journal's next append. */
  readonly deferredRecords: DeferredRecords;
  /** What this process appended to the journal: its newest version, its own entries (appended.ts). */
  readonly appended: AppendedEntries;
  readonly clock: HybridClock;
  /** Orders the writes of one key, across a fleet when its journal leases writes (write-lease.ts). */
  readonly writeLeases: WriteLeases;
  readonly events: TypedEmitter<MultiCloudOwnEvents>;
  /** Serialises writes, repairs and reconcile fixes of one key within this store. */
  readonly lock: KeyedLock;
  readonly counts: MultiCloudCounts;
  /** Targets whose write of a key may still land late (requests that ended without an answer). */
  readonly uncertain: UncertainWindows;
  /** Watches requests to the targets: leaves one that stays silent while its peers answer. */
  readonly unresponsive: UnresponsiveWatch;
  /** Each target's epoch marker: which targets lost their data. */
  readonly epochs: EpochMarkers;
  /**
   * Uploads still running for writes already acknowledged without them (a quorum write's last
   * copies): `close()` waits for them, so no copy lands after it returned.
   */
  readonly stragglers: Set<Promise<unknown>>;
  /** Writes in flight, by key: the version being written (one write per key at a time). */
  readonly inflight: Map<string, string>;
  /**
   * Versions reads returned while a write of the key was in flight or not acknowledged: later reads
   * never return anything older (monotonic reads), until the key has nothing pending.
   */
  readonly observed: Map<string, string>;
  /**
   * The newest write of each key this process acknowledged (for an hour): a read finding an older
   * copy found a request that landed after its settle window (see read.ts).
   */
  readonly acked: AckedWrites;
  /** Delete intents a read has answered "not found" for: they are completed, never withdrawn. */
  readonly observedDeletes: Set<string>;
  /**
   * Puts still in flight whose version a read returned (journaled as held by the target that
   * served it): if the write fails, it stays recorded as acknowledged, never as an intent.
   */
  readonly observedPuts: Set<string>;
  /**
   * Copies repair or reconcile made whose check against the key's high-water mark failed (the
   * journal did not answer) and that could not be taken back: checked again at the start of each
   * repair pass (`unchecked.ts`). By `<target>\n<key>`.
   */
  readonly uncheckedCopies: Map<string, UncheckedCopy>;
  /**
   * Resolves once the journal is open, its pending entries are indexed and the clock is past the
   * newest version it recorded (`clock-floor.ts`); rejects if it cannot open.
   */
  ready(): Promise<void>;
  /** Rejects when the store is closed. */
  checkOpen(): void;
  /**
   * Starts reconciling a target that lost its data (in the background); a store that does not
   * repair by itself does so only when `asked` (a repair pass it was asked for), and returns that
   * reconcile for the pass to wait for (`signal`, the pass's, stops it).
   */
  amnesiaFound(target: string, asked?: boolean, signal?: AbortSignal): Promise<void> | undefined;
  /**
   * Starts reconciling every target after the journal lost its data (its id `current` is not the
   * `previous` one the epoch markers hold; in the background, see journal-reset.ts).
   */
  journalResetFound(previous: string, current: string, rolledBack?: boolean): void;
  /**
   * Starts that reconcile again if it did not finish cleanly (a repair pass calls it); resolves,
   * never rejecting, once it decided (not when the reconcile ends; for a store that does not repair
   * by itself, once it ended: `signal`, the pass's, stops it).
   */
  journalResetRetry(signal?: AbortSignal): Promise<void>;
  /** Asks for a repair pass soon (debounced by `repair.delayMs`), or at a given time (ms since the epoch). */
  repairSoon(at?: number): void;
}

/** Per-operation settings every store call may take. */
export interface CallSettings {
  readonly signal: AbortSignal | undefined;
  /** Overrides the router's attempt time limit (`false`: none). */
  readonly attemptTimeoutMs?: number | false | undefined;
  /** What the call does, for the breaker's per-operation streak (see download.ts `OPERATION`). */
  readonly operation?: string | undefined;
}

/**
 * Runs `fn` on one target through its breaker: one attempt (no retry on the same target). Every
 * single-target call of the store is a copy that something else completes when it fails (the
 * other targets of a write, the next repair pass), so a second attempt would only double the load
 * on a target that is failing.
 */
export function runOn<R>(
  ctx: MultiContext,
  target: string,
  fn: (store: BlobStore, signal: AbortSignal | undefined) => Promise<R>,
  signal: AbortSignal | undefined,
  attemptTimeoutMs?: number | false,
): Promise<R> {
  return ctx.router.run(
    (t, c) => ctx.unresponsive.track(t.name, () => fn(t.store, combine(c.signal, signal))),
    {
      idempotent: true,
      targets: [target],
      maxAttempts: 1,
      ...(signal === undefined ? {} : { signal }),
      ...(attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs }),
    },
  );
}

/**
 * Panic routing's last resort for the store's own fan-outs (a write's copies, a listing, a read's
 * rounds), given targets they skipped because their breakers were open: the first of `names` that
 * admits a call now (its reset period ended meanwhile: the next call is its usual probe), else the
 * open one most likely back, made ready for an early probe (`Failover.probeEarly`: it failed least
 * recently, a second ago or more); else `undefined`.
 */
export function admitOrProbeEarly(ctx: MultiContext, names: readonly string[]): string | undefined {
  return names.find((n) => ctx.router.isAvailable(n)) ?? ctx.router.probeEarly(names);
}

/**
 * One copy of a write (see parallel-write.ts), like {@link runOn}, and also says whether an attempt on the
 * target ended without an answer (timeout, cut connection) before the call settled: such a
 * request may still land later. One attempt when the other targets that admit calls can make the
 * write's quorum without this copy (repair completes it); else the router's retries, as this copy
 * may be one the write needs (the last cloud up, mirror writes).
 */
export async function runOnTracked<R>(
  ctx: MultiContext,
  target: string,
  fn: (store: BlobStore, signal: AbortSignal | undefined) => Promise<R>,
  call: CallSettings,
): Promise<{ value: R; uncertain: boolean }> {
  const { signal, attemptTimeoutMs } = call;
  let spare = 0;
  for (const t of ctx.targets) if (t.name !== target && ctx.router.isAvailable(t.name)) spare++;
  const needed = ctx.options.quorum ?? ctx.targets.length;
  const res = await ctx.router.runDetailed(
    (t, c) => ctx.unresponsive.track(t.name, () => fn(t.store, combine(c.signal, signal))),
    {
      idempotent: true,
      targets: [target],
      ...(spare >= needed ? { maxAttempts: 1 } : {}),
      ...(signal === undefined ? {} : { signal }),
      ...(attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs }),
    },
  );
  return { value: res.value, uncertain: res.failures.some((f) => mayHaveLanded(f)) };
}

/**
 * True when a failed request may still have reached (or may still reach) its target: one of its
 * attempts was sent and ended without an answer (a timeout, a cut connection). A target skipped by
 * its breaker, a refused connection, a name that did not resolve, or a clear answer (4xx, 5xx) did
 * not land. Every attempt counts, not only the last: a first attempt whose answer was cut may
 * have landed even when the retry was refused. A failure that does not list its earlier attempts
 * (made elsewhere than the router) and had more than one counts as uncertain.
 */
export function mayHaveLanded(f: TargetFailure): boolean {
  if (f.attempts === 0) return false;
  if (isBreakerRejection(f.cause)) return false;
  if (attemptMayHaveLanded(f.kind, f.cause)) return true;
  if (f.attempts === 1) return false;
  if (f.earlier === undefined) return true;
  return f.earlier.some((a) => attemptMayHaveLanded(a.kind, a.cause));
}

/** One failed attempt that was sent and got no answer (see {@link mayHaveLanded}). */
function attemptMayHaveLanded(kind: FailureKind, cause: unknown): boolean {
  if (isBreakerRejection(cause) || failedBeforeSending(cause)) return false;
  return kind === 'timeout' || kind === 'network' || kind === 'unknown';
}

/** The failure of one target behind an error of {@link runOn} (the router wraps it). */
export function targetFailure(name: string, error: unknown): TargetFailure {
  if (error instanceof AllTargetsFailedError && error.failures.length === 1) return error.failures[0]!;
  return { target: name, kind: classifyFailure(error), cause: error, attempts: 1 };
}

/** True when `err` says the call never reached the target because its breaker is open. */
export function isBreakerRejection(err: unknown): boolean {
  return (
    err instanceof AllTargetsFailedError &&
    err.failures.length > 0 &&
    err.failures.every((f) => f.attempts === 0)
  );
}

/** The signal that aborts when either of two does. */
export function combine(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined || a === b) return b;
  if (b === undefined) return a;
  return AbortSignal.any([a, b]);
}

/** Target names in order of preference. */
export function inOrder(ctx: MultiContext, names: Iterable<string>): string[] {
  const set = new Set(names);
  return ctx.targets.filter((t) => set.has(t.name)).map((t) => t.name);
}
