/**
 * How one call ends, exactly once: with a value ({@link CallEnd.win}), an error
 * ({@link CallEnd.fail}, {@link CallEnd.exhausted}), its deadline or its caller's abort. Holds what
 * a call must release when it ends: its deadline, its hedge timer, its caller-signal listener, its
 * backoff waits, and the attempts still running (aborted); and ends the call's observation.
 *
 * @internal
 */
import type { Attempt } from './attempt.js';
import type { CallLog } from './call-log.js';
import type { CallObserved } from './call-observation.js';
import { AbortedError, AllTargetsFailedError, DeadlineExceededError } from './errors.js';
import type { FailureKind } from './failure-kind.js';
import type { CallOutcome } from './observer.js';
import { HEDGE_AUTO } from './options.js';
import type { CallCore, CallPlan } from './plan.js';
import { Sleeps } from './sleeps.js';
import type { TargetHealth } from './target-health.js';
import type { TimeoutEntry } from './timeout-queue.js';

/** Something that runs on a timer until the call ends (the pending hedge). */
export interface Cancellable {
  cancel(): void;
}

export class CallEnd<T> {
  /** Settles with the call's outcome. */
  readonly promise: Promise<unknown>;
  /** True once the call ended: lanes stop at their next step. */
  settled = false;
  /** Attempts running now (controlled calls only; rarely more than one). */
  readonly inflight: Attempt[] = [];
  /** When the call's deadline passes (a `Date.now()` time), if it has one. */
  deadlineAt: number | undefined;
  /** The pending hedge, cancelled when the call ends. */
  hedge: Cancellable | undefined;
  readonly #core: CallCore;
  readonly #plan: CallPlan<TargetHealth<T>>;
  readonly #log: CallLog<T>;
  readonly #observed: CallObserved | undefined;
  #deadline: TimeoutEntry | undefined;
  #listening = false;
  /** Backoff waits running now, created on the first one. */
  #sleeps: Sleeps | undefined;
  #resolve!: (value: unknown) => void;
  #reject!: (err: unknown) => void;

  constructor(
    core: CallCore,
    plan: CallPlan<TargetHealth<T>>,
    log: CallLog<T>,
    observed: CallObserved | undefined,
  ) {
    this.#core = core;
    this.#plan = plan;
    this.#log = log;
    this.#observed = observed;
    this.promise = new Promise<unknown>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /**
   * Listens to the caller's signal; false when it is already aborted (the call has then ended).
   * The call's end itself is the listener (`handleEvent`): no closure per call.
   */
  listen(): boolean {
    const signal = this.#plan.signal;
    if (signal === undefined) return true;
    if (signal.aborted) {
      this.#callerAborted();
      return false;
    }
    signal.addEventListener('abort', this, { once: true });
    this.#listening = true;
    return true;
  }

  /** Starts the call's deadline: `ms` from now. */
  startDeadline(ms: number): void {
    const deadline = this.#core.timeouts.add(ms, CallEnd.#deadlinePassed, this);
    this.#deadline = deadline;
    this.deadlineAt = deadline.expiresAt;
  }

  /**
   * Carries on the deadline of a call whose lead attempt carried it (`deadlineAt`); false when it
   * passed already (its timer merely late): the call has then ended with the deadline's error,
   * caused by `lastError`.
   */
  carryDeadline(deadlineAt: number, lastError: unknown): boolean {
    this.deadlineAt = deadlineAt;
    const left = deadlineAt - Date.now();
    if (left <= 0) {
      this.#log.lastError = lastError;
      this.#deadlinePassedNow();
      return false;
    }
    this.#deadline = this.#core.timeouts.add(left, CallEnd.#deadlinePassed, this);
    return true;
  }

  /** Waits `ms` before a retry; cut short when the call ends. */
  sleep(ms: number): Promise<void> {
    this.#sleeps ??= new Sleeps();
    return this.#sleeps.wait(ms);
  }

  /** The attempt on the target at `pos` succeeded with `value`: the call ends with it. */
  win(value: unknown, pos: number): void {
    if (this.settled) {
      // A probe left to finish after the call ended (see #abortInflight), or an answer that came
      // as the call ended otherwise: the caller never sees it.
      this.#dispose(value);
      return;
    }
    const log = this.#log;
    const s = log.order[pos]!;
    this.#settle();
    const primary = log.primary;
    if (log.hedges === 0) {
      // Not a race.
    } else if (primary === pos) s.wonRace();
    else if (primary >= 0 && log.failures[primary] === undefined) {
      // A hedge answered while the first target still ran: it lost the race.
      const slow = log.order[primary]!;
      // Its latency was at least this long. Recorded: the attempt is aborted and records nothing
      // itself, and a window without the tails that hedges cut would show a shorter p95, hedge
      // sooner, and cut more (in hedge-rate.test.ts's model: 2.6 % hedged with it, 2.8 % without;
      // it did not lower the 9 to 20 % seen in the multi-cloud get bench). Not while the target
      // is cold (fewer than `minSamples`): its hedge delay is then twice its slowest sample, and
      // a silent target's cut attempts would double it at each lost race (250, 510, 1020 ms...).
      const a = this.inflight.find((x) => x.targetName === slow.name);
      const startedAt = a === undefined ? -1 : a.startedAt;
      if (startedAt >= 0 && slow.latency.samples >= HEDGE_AUTO.minSamples)
        slow.latency.record(Math.max(0, Date.now() - startedAt));
      const until = slow.lostRace(s.latency);
      if (until > 0) this.#core.demoted(until);
    }
    if (this.inflight.length > 0) this.#abortInflight('aborted', new AbortedError(), true);
    this.#observed?.callEnded(
      { ok: true, target: s.name, attempts: log.totalAttempts, failoverCount: log.failovers },
      'aborted',
    );
    this.#resolve(
      this.#plan.detailed
        ? { value, target: s.target, attempts: log.totalAttempts, failures: log.failureList() }
        : value,
    );
  }

  /** Ends the call with `err` (of `kind`), cancelling whatever still runs. */
  fail(err: unknown, kind: FailureKind): void {
    if (this.settled) return;
    this.#settle();
    if (this.inflight.length > 0) this.#abortInflight('aborted', new AbortedError({ cause: err }));
    this.#observeEnd(kind);
    this.#reject(err);
  }

  /** Every lane ran out of targets: the call fails with an `AllTargetsFailedError`. */
  exhausted(): void {
    const log = this.#log;
    const kind = log.lastKind ?? 'unavailable';
    this.fail(new AllTargetsFailedError(log.failureList(), { kind, cause: log.lastError }), kind);
  }

  /** The caller's signal aborted (this object is its listener). */
  handleEvent(): void {
    this.#callerAborted();
  }

  #callerAborted(): void {
    if (this.settled) return;
    const reason: unknown = this.#plan.signal?.reason;
    this.#settle();
    this.#abortInflight('aborted', reason);
    this.#observeEnd('aborted');
    this.#reject(new AbortedError({ cause: reason }));
  }

  static #deadlinePassed<T>(end: CallEnd<T>): void {
    end.#deadlinePassedNow();
  }

  #deadlinePassedNow(): void {
    this.#deadline = undefined;
    if (this.settled) return;
    const log = this.#log;
    const err = new DeadlineExceededError(this.#plan.deadlineMs!, 'deadline', {
      cause: log.lastError,
      target: log.lastStarted?.name,
    });
    this.#settle();
    // The attempts cut by the deadline did not answer in time: they count as timeouts.
    this.#abortInflight('timeout', err);
    this.#observeEnd('timeout', 'timeout');
    this.#reject(err);
  }

  /** Ends the call's observation as failed with `kind`; attempts still running end as `cut`. */
  #observeEnd(kind: FailureKind, cut: FailureKind = 'aborted'): void {
    const observed = this.#observed;
    if (observed === undefined) return;
    const log = this.#log;
    const outcome: CallOutcome = {
      ok: false,
      kind,
      target: log.lastStarted?.name,
      attempts: log.totalAttempts,
      failoverCount: log.failovers,
    };
    observed.callEnded(outcome, cut);
  }

  /** Marks the call ended and releases its timers and listener (not the running attempts). */
  #settle(): void {
    this.settled = true;
    if (this.#deadline !== undefined) {
      this.#deadline.cancel();
      this.#deadline = undefined;
    }
    this.hedge?.cancel();
    this.hedge = undefined;
    if (this.#listening) {
      this.#plan.signal!.removeEventListener('abort', this);
      this.#listening = false;
    }
    this.#sleeps?.wakeAll();
  }

  /**
   * Aborts the attempts still running. With `keepProbes` (the call was answered) and a `dispose`
   * for late values, a half-open target's probe is left to finish: cancelling it would prove
   * nothing about the target (its breaker would open again for the same period), and a recovering
   * target slower than the hedge delay would lose every race. Its answer goes to the breaker, its
   * value to `dispose`.
   */
  #abortInflight(kind: FailureKind, error: unknown, keepProbes = false): void {
    const inflight = this.inflight.splice(0);
    const keep = keepProbes && this.#plan.dispose !== undefined;
    for (const a of inflight) {
      if (keep && this.#isProbe(a)) continue;
      a.abort(kind, error);
    }
  }

  /** Whether `a` runs on a target whose breaker is half-open (its one probe). */
  #isProbe(a: Attempt): boolean {
    for (const s of this.#log.order) if (s.name === a.targetName) return s.state === 'halfOpen';
    return false;
  }

  /** Hands a value nobody will see to the plan's `dispose` (a throwing one is ignored). */
  #dispose(value: unknown): void {
    const dispose = this.#plan.dispose;
    if (dispose === undefined) return;
    try {
      dispose(value);
    } catch {
      // The caller's cleanup failed: nothing to do about it here.
    }
  }
}
