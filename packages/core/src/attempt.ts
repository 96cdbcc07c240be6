import { DeadlineExceededError } from './errors.js';
import type { FailureKind } from './failure-kind.js';
import { Settlement } from './settlement.js';
import type { StallMonitor } from './stall.js';
import { EXPIRE, type TimeoutNode, type TimeoutQueue, type Timeouts } from './timeout-queue.js';

/** What an operation receives with its target on every attempt. */
export interface AttemptContext {
  /**
   * Pass it to the SDK or `fetch` (`abortSignal`, `signal`...): it aborts when the caller aborts,
   * the deadline or the attempt timeout passes, or another (hedged) attempt answered first.
   * `undefined` when nothing can cancel the call (no signal, deadline, attempt timeout or hedge).
   */
  readonly signal: AbortSignal | undefined;
  /** The attempt's number on this target, from 1. */
  readonly attempt: number;
}

/** One call to run on a target: receives the target and the attempt's context. */
export type Operation<T, R> = (target: T, context: AttemptContext) => Promise<R>;

/** What an attempt's time limits need from its router (the router's `CallCore` has both). */
export interface AttemptLimits {
  /** The router's shared time limits. */
  readonly timeouts: Timeouts;
  /** Event-loop stalls of this process (a limit that passed during one is extended). */
  readonly stalls: StallMonitor;
}

/** The operation as an attempt runs it. */
type RunFn = (target: never, context: Attempt) => Promise<unknown>;

/** What a rerun after a local stall needs (see `Attempt.rerunOnStall`). */
interface Rerun {
  readonly fn: RunFn;
  readonly target: unknown;
  count: number;
}

/** Runs of the operation within one attempt after a local stall (see `Attempt.rerunOnStall`). */
const MAX_RERUNS = 2;
/** Extensions of an attempt's limit that passed during a local stall. */
const MAX_EXTENSIONS = 3;

/** The call's deadline, carried by `a`, passed (set by `Attempt`, which reads its own fields). */
let deadlinePassed: (a: Attempt, deadline: CarriedDeadline, ms: number) => void;

/**
 * One attempt that something other than the operation itself can end, and its context: what the
 * breaker awaits (a {@link Settlement}) rejects as soon as it is aborted, whether or not the
 * operation honours the signal (so a timed-out attempt counts against the breaker at once). Only
 * used when a call has a deadline, an attempt timeout or hedging; plain calls run the operation
 * directly.
 *
 * The attempt is itself its time limit's node in the router's shared {@link Timeouts} queues (no
 * timer and no entry object of its own), taken out as soon as the operation settles. The
 * AbortController is made on the first read of `signal`: creating a signal costs time, which an
 * operation that never looks at it should not pay.
 */
export class Attempt implements AttemptContext, TimeoutNode {
  /** The attempt's number on its target, from 1. */
  readonly attempt: number;
  /** The name of the target it runs on. */
  get targetName(): string {
    return this.#target;
  }
  /** @internal The attempt as its time limit's node (see {@link TimeoutNode}). */
  expiresAt = 0;
  /** @internal */
  queue: TimeoutQueue | undefined = undefined;
  /** @internal */
  prev: TimeoutNode | undefined = undefined;
  /** @internal */
  next: TimeoutNode | undefined = undefined;
  /**
   * Set on a lead attempt, the first attempt of a call the router runs without a `Call` (see
   * lead.ts): the call's plan (opaque here), for the breaker's fallback to continue it after a
   * failure.
   */
  readonly plan: object | undefined;
  /** A lead attempt's position in its call's target order. */
  position = 0;
  /**
   * Set by the breaker's filter when the attempt failed with a `timeout` that this process's own
   * event-loop stall explains: it does not count against the target.
   */
  localStall = false;
  /**
   * Set by the router for attempts that may run again: asked when the operation fails, it says
   * whether the failure is a local stall's doing, in which case the operation is run again within
   * this same attempt (at most twice), unseen by the breaker.
   */
  rerunOnStall: ((err: unknown, attempt: Attempt) => boolean) | undefined = undefined;
  /** Set when the attempt was aborted from outside: the kind the failure is counted as. */
  abortKind: FailureKind | undefined = undefined;
  /** Set by the breaker's error filter: the kind the failure was classified as. */
  kind: FailureKind | undefined = undefined;
  readonly #target: string;
  /** Set when the start time is known (see {@link Attempt.startedAt}); -1 before. */
  #startedAt = -1;
  /** The attempt's time limit (0 for none). */
  #limitMs = 0;
  /** The router's limits, kept by {@link Attempt.limit} to extend the limit after a stall. */
  #limits: AttemptLimits | undefined = undefined;
  #extensions = 0;
  /** The operation, its target and its reruns, kept when it may run again after a stall. */
  #rerun: Rerun | undefined = undefined;
  /** The call's deadline, when this (lead) attempt carries it. */
  #deadline: CarriedDeadline | undefined = undefined;
  #controller: AbortController | undefined = undefined;
  /** What the breaker awaits, from {@link Attempt.start} on. */
  #settlement: Settlement | undefined = undefined;
  #abortError: unknown = undefined;

  /**
   * @param attempt - the attempt's number on its target, from 1.
   * @param target - the target's name (for timeout errors).
   * @param plan - the call's plan, for a lead attempt only.
   */
  constructor(attempt: number, target: string, plan?: object) {
    this.attempt = attempt;
    this.#target = target;
    this.plan = plan;
  }

  /** The attempt's signal (created on first use; already aborted if the attempt was). */
  get signal(): AbortSignal {
    let controller = this.#controller;
    if (controller === undefined) {
      controller = new AbortController();
      this.#controller = controller;
      if (this.abortKind !== undefined) controller.abort(this.#abortError);
    }
    return controller.signal;
  }

  /**
   * When the operation was (last) started, as a `Date.now()` time; -1 before, and while it is not
   * known: an attempt with a time limit reads no clock in the tick it starts in (see
   * {@link Attempt.limit}); if it outlives that tick, its limit was stamped at the tick's end, which
   * stands for its start from then on.
   */
  get startedAt(): number {
    const at = this.#startedAt;
    if (at >= 0 || this.#limitMs === 0) return at;
    const expiresAt = this.expiresAt;
    return expiresAt > 0 ? expiresAt - this.#limitMs : -1;
  }

  set startedAt(at: number) {
    this.#startedAt = at;
  }

  /** When the call's deadline, carried by this (lead) attempt, passes (a `Date.now()` time). */
  get deadlineAt(): number | undefined {
    return this.#deadline?.expiresAt;
  }

  /** Set when the call's deadline, carried by this (lead) attempt, passed during it. */
  get deadlineError(): DeadlineExceededError | undefined {
    return this.#deadline?.error;
  }

  /**
   * Gives the attempt a time limit of `ms`: when it passes first, the attempt fails as a `timeout`
   * with a `DeadlineExceededError` ("Attempt timed out after N ms"). The limit is staged in the
   * router's queue for `ms` ({@link TimeoutQueue.stage}): an attempt that settles within the tick
   * it started in (no timer could have run meanwhile) costs no clock read and no queue entry; one
   * that outlives it is timed from the end of that tick.
   */
  limit(limits: AttemptLimits, ms: number): void {
    this.#limits = limits;
    this.#limitMs = ms;
    limits.timeouts.stage(ms, this);
  }

  /**
   * Makes a lead attempt carry its call's deadline of `ms` from `now`: when it passes first, the
   * attempt fails as a `timeout` and `deadlineError` holds the call's `DeadlineExceededError`.
   */
  carryDeadline(timeouts: Timeouts, ms: number, now: number = Date.now()): void {
    const deadline = new CarriedDeadline(this);
    this.#deadline = deadline;
    timeouts.insert(ms, deadline, now);
  }

  /** The attempt's time limit (or its extension) passed: a queue calls this. */
  [EXPIRE](): void {
    const ms = this.#limitMs;
    const limits = this.#limits!;
    const stalls = limits.stalls;
    // The stamp the limit was counted from stands for the start (see `startedAt`).
    if (this.#startedAt < 0) this.#startedAt = this.expiresAt - ms;
    const startedAt = this.#startedAt;
    if (this.#extensions < MAX_EXTENSIONS) {
      // This process was blocked for much of the attempt: give it the time it did not get
      // (stall-excuse.ts).
      const excuse = stalls.excuse(startedAt, ms, this.#target);
      if (excuse.excused) {
        this.#extensions++;
        limits.timeouts.insert(excuse.extendMs, this, Date.now());
        return;
      }
    }
    this.abort('timeout', new DeadlineExceededError(ms, 'attempt', { target: this.#target }));
  }

  static {
    deadlinePassed = (a, deadline, ms) => {
      if (a.abortKind !== undefined) return;
      const err = new DeadlineExceededError(ms, 'deadline', { target: a.#target });
      deadline.error = err;
      a.abort('timeout', err);
    };
  }

  /**
   * Runs the operation; what it returns (a thenable) settles with it, or rejects with the abort
   * error first.
   */
  start<T, R>(fn: Operation<T, R>, target: T): PromiseLike<R> {
    if (this.abortKind !== undefined) return Promise.reject(this.#abortError);
    const settlement = new Settlement();
    this.#settlement = settlement;
    const run = fn as unknown as RunFn;
    if (this.rerunOnStall !== undefined) this.#rerun = { fn: run, target, count: 0 };
    this.#run(run, target as never);
    return settlement as PromiseLike<R>;
  }

  #run(fn: RunFn, target: never): void {
    let result: Promise<unknown>;
    try {
      result = fn(target, this);
    } catch (err) {
      this.#failed(err);
      return;
    }
    // An operation that returned a plain value (not a promise) is wrapped once.
    (result instanceof Promise ? result : Promise.resolve(result)).then(
      (value) => this.#settle(true, value),
      (err: unknown) => this.#failed(err),
    );
  }

  #failed(err: unknown): void {
    if (this.abortKind !== undefined) return;
    const rerun = this.#rerun;
    if (rerun !== undefined && rerun.count < MAX_RERUNS && this.rerunOnStall!(err, this)) {
      rerun.count++;
      this.startedAt = Date.now();
      this.#run(rerun.fn, rerun.target as never);
      return;
    }
    this.#settle(false, err);
  }

  /** The operation settled: release the time limits and settle the attempt (unless aborted). */
  #settle(ok: boolean, outcome: unknown): void {
    this.release();
    this.#settlement?.settle(ok, outcome);
  }

  /** Ends the attempt: counts it as `kind`, rejects it with `error`, aborts the signal with `error`. */
  abort(kind: FailureKind, error: unknown): void {
    if (this.abortKind !== undefined) return;
    this.abortKind = kind;
    this.#abortError = error;
    this.release();
    const settlement = this.#settlement;
    // In a microtask: the breaker's handlers never run inside the code that aborts.
    if (settlement !== undefined) queueMicrotask(() => settlement.settle(false, error));
    this.#controller?.abort(error);
  }

  /**
   * Cancels the attempt's time limits: done when it settles or is aborted, and by its owner when
   * the breaker rejected it without running it. Safe to call more than once.
   */
  release(): void {
    this.queue?.remove(this);
    const deadline = this.#deadline;
    deadline?.queue?.remove(deadline);
  }
}

/** A call's deadline carried by its lead attempt: a node of the router's time limits. */
class CarriedDeadline implements TimeoutNode {
  expiresAt = 0;
  queue: TimeoutQueue | undefined = undefined;
  prev: TimeoutNode | undefined = undefined;
  next: TimeoutNode | undefined = undefined;
  readonly #attempt: Attempt;
  /** The call's `DeadlineExceededError`, once the deadline passed during the attempt. */
  error: DeadlineExceededError | undefined = undefined;

  constructor(attempt: Attempt) {
    this.#attempt = attempt;
  }

  [EXPIRE](ms: number): void {
    deadlinePassed(this.#attempt, this, ms);
  }
}
