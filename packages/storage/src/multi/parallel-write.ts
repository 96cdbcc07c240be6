import {
  AllTargetsFailedError,
  classifyFailure,
  type FailureKind,
  isAvailabilityKind,
  type TargetFailure,
} from '@failover/core';
import { StorageError } from '../errors.js';
import type { JournalEntry } from '../journal/types.js';
import type { BlobInfo } from '../types.js';
import {
  admitOrProbeEarly,
  type CallSettings,
  isBreakerRejection,
  type MultiContext,
  mayHaveLanded,
  runOnTracked,
  targetFailure,
} from './context.js';
import { QuorumNotReachedError } from './errors.js';
import { inheritedWindows } from './inherited-windows.js';
import { entryId, journalWrite, reportPlacement } from './journaling.js';
import { decideSettle, quorumReached, recordOptional } from './parallel-decide.js';
import { leaveTombstones } from './tombstones.js';
import type { WriteResult, WriteSpec } from './write-spec.js';
import {
  forgetObserved,
  journalFailed,
  notePutIntent,
  onlyOwnIntent,
  recordIntent,
  withdrawIntent,
} from './write-steps.js';

/**
 * `quorum` and `'mirror'` writes: every target is written at once (but those on hold, when the
 * others can make the quorum without them). A `quorum` write is acknowledged once `quorum` targets
 * took it and the record of the others is durable, or every target took it, whichever comes
 * first; the targets still writing then straggle and resolve their part of the record as they
 * land. Otherwise the write is decided once every target answered ({@link decideSettle}).
 */
export function writeParallel(ctx: MultiContext, spec: WriteSpec): Promise<WriteResult> {
  return new ParallelWrite(ctx, spec).run();
}

interface Failure {
  readonly name: string;
  readonly kind: FailureKind;
  readonly error: unknown;
  readonly failure: TargetFailure;
}

/** One parallel write while it runs: what each target answered, and the caller's answer. */
class ParallelWrite {
  readonly #ctx: MultiContext;
  readonly #spec: WriteSpec;
  readonly #names: readonly string[];
  /** Copies asked for; `undefined`: `'mirror'`. */
  readonly #need: number | undefined;
  readonly #succeeded = new Map<string, BlobInfo | undefined>();
  readonly #uncertain = new Set<string>();
  readonly #failures: Failure[] = [];
  /** Each target's upload while it runs (those still running at the acknowledgement straggle). */
  readonly #running = new Set<Promise<unknown>>();
  /** The windows the write inherits (see inherited-windows.ts), looked up while it uploads. */
  #inherited: Promise<ReadonlyMap<string, number>> | undefined;
  /** The record made at the quorum (resolves with its id, `undefined` when it failed). */
  #acked: Promise<string | undefined> | undefined;
  #answered = 0;
  /** Set once the caller got its answer (the record may still be on its way to disk). */
  #answeredCaller = false;
  /** Whether the caller may have its answer before the record is durable once every copy lands. */
  #recordOptional = false;
  #resolve: (result: WriteResult) => void = () => {};
  #reject: (error: unknown) => void = () => {};

  constructor(ctx: MultiContext, spec: WriteSpec) {
    this.#ctx = ctx;
    this.#spec = spec;
    this.#names = ctx.targets.map((t) => t.name);
    this.#need = ctx.options.quorum;
  }

  run(): Promise<WriteResult> {
    const { ctx, spec } = { ctx: this.#ctx, spec: this.#spec };
    return new Promise<WriteResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      void ctx
        .lock(spec.key, () => this.#locked())
        .catch(reject)
        .finally(() => {
          if (ctx.inflight.get(spec.key) === spec.version) ctx.inflight.delete(spec.key);
          forgetObserved(ctx, spec); // the write decided
          spec.finished?.();
        });
    });
  }

  /** The write, under its key's lock. */
  async #locked(): Promise<void> {
    const ctx = this.#ctx;
    const spec = this.#spec;
    await recordIntent(ctx, spec);
    await notePutIntent(ctx, spec);
    this.#inherited = inheritedWindows(ctx, spec.key, entryId(spec.version, spec.key), spec.version);
    const call = { signal: spec.signal, attemptTimeoutMs: spec.attemptTimeoutMs };
    const held = heldToSkip(ctx, this.#names, this.#need);
    // Every breaker open: panic routing's last resort sends this write's copy to the target most
    // likely back (the open one that failed least recently, a second ago or more) as its probe.
    ctx.router.probeEarly(this.#names);
    await Promise.all(this.#names.map((name) => this.#send(name, held.has(name), call)));
    const early = this.#earlyProbe(held);
    if (early !== undefined) await this.#send(early, false, call);
    // A delete some target missed (down, on hold, silent): the targets that took it keep a
    // tombstone (tombstones.ts). Not when a target refused it (a conditional delete rolled back).
    const missed = this.#failures.length > 0 && this.#failures.every((f) => isAvailabilityKind(f.kind));
    if (spec.op === 'delete' && missed) {
      const { key, version } = spec;
      leaveTombstones(ctx, { id: entryId(version, key), key, version }, [...this.#succeeded.keys()]);
    }
    if (this.#acked !== undefined) {
      await this.#acked;
      return;
    }
    try {
      this.#resolve(await this.#settle());
    } catch (err) {
      this.#reject(err);
    }
  }

  /** Sends the write's copy to `name` (`held`: not sent, the target is on hold) and tallies the outcome. */
  #send(name: string, held: boolean, call: CallSettings): Promise<void> {
    return (
      held
        ? Promise.reject(onHold(name))
        : track(this.#running, runOnTracked(this.#ctx, name, this.#spec.perform, call))
    ).then(
      ({ value, uncertain }) => this.#took(name, value, uncertain),
      (error: unknown) => this.#failed(name, error, held),
    );
  }

  /**
   * Panic routing's last resort for a fan-out: every target answered, the write is short of its
   * copies (no quorum, or not every target for `'mirror'`), the targets that failed did so for
   * availability, and some were skipped by their open breakers. The open one most likely back
   * (see `Failover.probeEarly`: it failed least recently, a second ago or more) is made ready for
   * an early probe and its name returned (its failure is taken back: this write's copy goes to
   * it as that probe), or one whose reset period ended meanwhile (its usual probe); else
   * `undefined`. Once per write, never for a streamed body (a second reader of it may find the
   * replay gone). Without it a cloud that is back while its breaker stays open (its reset period
   * not over, or a fleet's probe lease held by an instance that was killed) left writes failed,
   * or acknowledged on one cloud, while two clouds were up (seen in the fleet soak). A target on
   * hold (silent, see `UnresponsiveWatch.held`) is not probed: the write would wait for its
   * attempt to time out.
   */
  #earlyProbe(held: ReadonlySet<string>): string | undefined {
    const ctx = this.#ctx;
    if (this.#acked !== undefined || this.#spec.hedge === false) return undefined;
    if (this.#succeeded.size >= (this.#need ?? this.#names.length)) return undefined;
    if (this.#failures.some((f) => !isAvailabilityKind(f.kind))) return undefined;
    const skipped = this.#failures
      .filter((f) => !held.has(f.name) && !ctx.unresponsive.held(f.name) && isBreakerRejection(f.error))
      .map((f) => f.name);
    if (skipped.length === 0) return undefined;
    // One whose reset period ended meanwhile takes the copy as its usual probe.
    const name = admitOrProbeEarly(ctx, skipped);
    if (name === undefined) return undefined;
    this.#failures.splice(
      this.#failures.findIndex((f) => f.name === name),
      1,
    );
    this.#answered--;
    return name;
  }

  #answer(result: WriteResult): void {
    this.#answeredCaller = true;
    this.#resolve(result);
  }

  /** `name` took the write (`late`: an earlier attempt of it may still land). */
  #took(name: string, info: BlobInfo | undefined, late: boolean): Promise<void> | undefined {
    if (this.#acked !== undefined) return this.#straggled(name, late);
    if (late) this.#uncertain.add(name);
    this.#succeeded.set(name, info);
    this.#answered++;
    const kinds = this.#failures.map((f) => f.kind);
    if (quorumReached(this.#need, this.#succeeded.size, kinds)) this.#ack();
    return undefined;
  }

  /** A straggler of an acknowledged quorum write took it. */
  #straggled(name: string, late: boolean): Promise<void> | undefined {
    const ctx = this.#ctx;
    const spec = this.#spec;
    this.#answered++;
    if (
      !late &&
      this.#recordOptional &&
      this.#failures.length === 0 &&
      this.#answered === this.#names.length &&
      !this.#answeredCaller
    ) {
      // The last target took it before the record was durable: every copy is there.
      this.#answer(this.#firstHolder());
    }
    // The entry is now resolved for it (unless an earlier attempt of it may still land: repair
    // checks it later).
    if (late) {
      ctx.uncertain.open(spec.key, name);
      return undefined;
    }
    // An unstamped copy stays pending until it is stamped (stamp.ts).
    const resolve = (id: string | undefined): void => {
      if (id !== undefined && spec.unstamped !== true) resolveStraggler(ctx, id, spec.key, name);
    };
    return this.#acked!.then(resolve).catch((err: unknown) => {
      if (ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error: err });
    });
  }

  /** `name` failed the write (`held`: not sent, the target is on hold). */
  #failed(name: string, error: unknown, held: boolean): void {
    const ctx = this.#ctx;
    const failure = targetFailure(name, error);
    if (isAvailabilityKind(failure.kind) && !held) ctx.epochs.forget(name);
    if (mayHaveLanded(failure)) {
      this.#uncertain.add(name);
      // After the acknowledgement: repair checks the window before resolving the pair.
      if (this.#acked !== undefined) ctx.uncertain.open(this.#spec.key, name);
    }
    this.#failures.push({ name, kind: classifyFailure(error), error, failure });
    this.#answered++;
  }

  /**
   * The quorum is there: the record of the targets still writing goes to the journal at once
   * (its fsync overlaps their uploads), and the caller has its answer as soon as that record
   * is durable, or as soon as every target took the write, whichever comes first: a
   * target that holds the write needs no record.
   */
  #ack(): void {
    const ctx = this.#ctx;
    const spec = this.#spec;
    const names = this.#names;
    for (const upload of this.#running) {
      ctx.stragglers.add(upload);
      void upload.finally(() => ctx.stragglers.delete(upload));
    }
    // When every copy lands before the record is durable, nothing needed recording: unless
    // older entries of the key must be superseded, or a request may still land late.
    this.#recordOptional = recordOptional({
      answered: this.#answered,
      targets: names.length,
      failures: this.#failures.length,
      uncertain: this.#uncertain.size,
      onlyOwnIntent: onlyOwnIntent(ctx, spec),
      windowOpen: names.some((n) => ctx.uncertain.until(spec.key, n) !== undefined),
    });
    this.#acked = journalWrite(ctx, {
      ...spec,
      holders: names.filter((n) => this.#succeeded.has(n)),
      missing: names.filter((n) => !this.#succeeded.has(n)),
      uncertain: [...this.#uncertain],
      inherited: this.#inherited,
    }).then(
      (entry) => {
        if (!this.#answeredCaller) this.#answer(this.#firstHolder());
        // A delete recorded again for every target (another instance's repair held the key) is
        // settled by repair alone, once it has looked: a straggler that took it now says nothing
        // of a copy that lands there later.
        return entry === undefined || recordedForEveryTarget(entry) ? undefined : entry.id;
      },
      (err: unknown) => {
        if (!this.#answeredCaller) this.#reject(err);
        else if (ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error: err });
        return undefined;
      },
    );
  }

  /** The answer naming the first target (in target order) that took the write. */
  #firstHolder(): WriteResult {
    const first = this.#names.find((n) => this.#succeeded.has(n))!;
    return { target: first, info: this.#succeeded.get(first), degraded: false };
  }

  /** Decides the write once every target has answered (and no quorum was acknowledged early). */
  async #settle(): Promise<WriteResult> {
    const ctx = this.#ctx;
    const spec = this.#spec;
    const names = this.#names;
    const succeeded = this.#succeeded;
    const holders = names.filter((n) => succeeded.has(n));
    const missing = names.filter((n) => !succeeded.has(n));
    const late = missing.filter((n) => this.#uncertain.has(n));
    const ordered = [...this.#failures].sort((a, b) => names.indexOf(a.name) - names.indexOf(b.name));
    const decision = decideSettle({
      need: this.#need,
      minimum: ctx.options.minimum,
      holders: holders.length,
      failures: ordered.map((f) => f.kind),
      canRollback: spec.rollback !== undefined,
    });
    if (decision.type === 'rollback') {
      // A conditional write another target refused: undo it where it was made, journal nothing.
      await Promise.all(
        holders.map((n) => spec.rollback!(ctx.byName.get(n)!.store, succeeded.get(n)).catch(() => undefined)),
      );
      await withdrawIntent(ctx, spec);
      throw ordered[decision.fatal]!.error;
    }
    if (decision.type === 'acknowledge') {
      const { degraded } = decision;
      await journalWrite(ctx, {
        ...spec,
        holders,
        missing,
        uncertain: late,
        degraded,
        inherited: this.#inherited,
      });
      if (degraded) reportPlacement(ctx, 'degraded', { ...spec, holders, missing });
      const first = holders[0]!;
      return { target: first, info: succeeded.get(first), degraded };
    }
    // The write failed. Copies that landed (or may land) are journaled, so every target converges.
    await journalFailed(
      ctx,
      spec,
      holders,
      missing,
      ordered.map((f) => f.failure),
    );
    if (decision.fatal !== undefined) throw ordered[decision.fatal]!.error;
    const list: TargetFailure[] = ordered.map((f) => f.failure);
    if (holders.length === 0) {
      const last = ordered[ordered.length - 1];
      throw new AllTargetsFailedError(list, { kind: last?.kind, cause: last?.error });
    }
    throw new QuorumNotReachedError(spec.key, spec.op, this.#need ?? 1, holders, list);
  }
}

/**
 * The targets on hold (see `UnresponsiveWatch.held`) this write sends no copy to: all of them when
 * the other targets that admit calls can make the quorum without them (one, for `'mirror'`), else
 * none (a target on hold may only be slow; the write may need it).
 */
function heldToSkip(ctx: MultiContext, names: readonly string[], need: number | undefined): Set<string> {
  const held = new Set<string>();
  let others = 0;
  for (const name of names) {
    if (!ctx.router.isAvailable(name)) continue;
    if (ctx.unresponsive.held(name)) held.add(name);
    else others++;
  }
  if (held.size > 0 && others < (need ?? 1)) held.clear();
  return held;
}

/** The failure of a copy not sent because its target is on hold: never sent, so it cannot land. */
function onHold(name: string): AllTargetsFailedError {
  const cause = new StorageError(
    'unavailable',
    `Target "${name}" is on hold: its requests stay silent while the other targets answer`,
    { target: name },
  );
  return new AllTargetsFailedError([{ target: name, kind: 'unavailable', cause, attempts: 0 }]);
}

/**
 * A straggler took the write: resolved (with the journal's next append), unless its key has a
 * window open there.
 */
function resolveStraggler(ctx: MultiContext, id: string, key: string, name: string): void {
  if (ctx.uncertain.until(key, name) !== undefined) return;
  ctx.deferredRecords.add(id, name);
}

/** An acknowledged delete recorded with no holder: see `recordAgainWhileRepairing` (journaling.ts). */
function recordedForEveryTarget(entry: JournalEntry): boolean {
  return entry.op === 'delete' && entry.intent !== true && entry.holders.length === 0;
}

/** Keeps `upload` in `running` until it settles (its entry never rejects: the caller handles it). */
function track<R>(running: Set<Promise<unknown>>, upload: Promise<R>): Promise<R> {
  const settled = upload.then(
    () => undefined,
    () => undefined,
  );
  running.add(settled);
  void settled.then(() => running.delete(settled));
  return upload;
}
