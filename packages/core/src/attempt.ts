import { DeadlineExceededError } from './errors.js';
import type { FailureKind } from './failure-kind.js';
import type { StallMonitor } from './stall.js';
import type { TimeoutEntry, Timeouts } from './timeout-queue.js';

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

/** The resolving functions of the promise {@link capture} last ran for (read at once). */
const captured: { resolve: (value: unknown) => void; reject: (err: unknown) => void } = {
  resolve: () => undefined,
  reject: () => undefined,
};

/** A promise executor shared by every attempt: hands its resolving functions to `captured`. */
function capture(resolve: (value: never) => void, reject: (err: unknown) => void): void {
  captured.resolve = resolve as (value: unknown) => void;
  captured.reject = reject;
}

/** One call to run on a target: receives the target and the attempt's context. */
export type Operation<T, R> = (target: T, context: AttemptContext) => Promise<R>;

/**
 * One attempt that something other than the operation itself can end, and its context: its
 * promise rejects as soon as it is aborted, whether or not the operation honours the signal (so a
 * timed-out attempt counts against the breaker at once). Only used when a call has a deadline, an
 * attempt timeout or hedging; plain calls run the operation directly.
 *
 * Its time limits are entries in the router's shared {@link Timeouts} queues (no timer of its
 * own), cancelled as soon as the operation settles. The AbortController is made on the first read
 * of `signal`: creating a signal costs time, which an operation that never looks at it should
 * not pay.
 */
export class Attempt implements AttemptContext {
  /** The attempt's number on its target, from 1. */
  readonly attempt: number;
  /**
   * Set on a lead attempt, the first attempt of a call the router runs without a `Call` (see
   * `#lead` in failover.ts): the call's plan (opaque here), for the breaker's fallback to continue
   * it after a failure.
   */
  readonly plan: object | undefined;
  /** A lead attempt's position in its call's target order. */
  position = 0;
  /** When the operation was (last) started, as a `Date.now()` time; -1 before. */
  startedAt = -1;
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
  rerunOnStall: ((err: unknown, attempt: Attempt) => boolean) | undefined;
  /** The operation it runs, kept for a rerun. */
  #fn: ((target: never, context: Attempt) => Promise<unknown>) | undefined;
  #targetObject: unknown;
  #reruns = 0;
  #limitMs = 0;
  #extensions = 0;
  #timeouts: Timeouts | undefined;
  #stalls: StallMonitor | undefined;
  /** Set when the attempt was aborted from outside: the kind the failure is counted as. */
  abortKind: FailureKind | undefined;
  /** Set by the breaker's error filter: the kind the failure was classified as. */
  kind: FailureKind | undefined;
  /** When the call's deadline, carried by this (lead) attempt, passes (a `Date.now()` time). */
  deadlineAt: number | undefined;
  /** Set when the call's deadline, carried by this (lead) attempt, passed during it. */
  deadlineError: DeadlineExceededError | undefined;
  readonly #target: string;
  #timeout: TimeoutEntry | undefined;
  #deadline: TimeoutEntry | undefined;
  #controller: AbortController | undefined;
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((err: unknown) => void) | undefined;
  #abortError: unknown;

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
   * Gives the attempt a time limit of `ms` from `now`: when it passes first, the attempt fails as
   * a `timeout` with a `DeadlineExceededError` ("Attempt timed out after N ms").
   */
  limit(timeouts: Timeouts, ms: number, stalls: StallMonitor, now?: number): void {
    this.#timeouts = timeouts;
    this.#stalls = stalls;
    this.#limitMs = ms;
    this.startedAt = now ?? Date.now();
    this.#timeout = timeouts.add(ms, Attempt.#timedOut, this, now);
  }

  /**
   * Makes a lead attempt carry its call's deadline of `ms` from `now`: when it passes first, the
   * attempt fails as a `timeout` and `deadlineError` holds the call's `DeadlineExceededError`.
   */
  carryDeadline(timeouts: Timeouts, ms: number, now?: number): void {
    const deadline = timeouts.add(ms, Attempt.#deadlinePassed, this, now);
    this.#deadline = deadline;
    this.deadlineAt = deadline.expiresAt;
  }

  static #timedOut(a: Attempt): void {
    a.#timeout = undefined;
    const ms = a.#limitMs;
    const stalls = a.#stalls;
    if (
      stalls !== undefined &&
      a.#extensions < 3 &&
      a.startedAt >= 0 &&
      stalls.explainsTimeout(a.startedAt, ms)
    ) {
      // This process was blocked for much of the attempt: give it the time it did not get.
      a.#extensions++;
      const left = ms - (Date.now() - a.startedAt - stalls.stalledSince(a.startedAt));
      a.#timeout = a.#timeouts!.add(Math.max(1, Math.ceil(left)), Attempt.#timedOut, a);
      return;
    }
    a.abort('timeout', new DeadlineExceededError(ms, 'attempt', { target: a.#target }));
  }

  static #deadlinePassed(a: Attempt, ms: number): void {
    a.#deadline = undefined;
    if (a.abortKind !== undefined) return;
    const err = new DeadlineExceededError(ms, 'deadline', { target: a.#target });
    a.deadlineError = err;
    a.abort('timeout', err);
  }

  /** Runs the operation; the promise settles with it, or rejects with the abort error first. */
  start<T, R>(fn: Operation<T, R>, target: T): Promise<R> {
    if (this.abortKind !== undefined) return Promise.reject(this.#abortError);
    // The resolving functions are captured by a shared executor: no closure per attempt.
    const promise = new Promise<R>(capture);
    this.#resolve = captured.resolve;
    this.#reject = captured.reject;
    this.#fn = fn as unknown as (target: never, context: Attempt) => Promise<unknown>;
    this.#targetObject = target;
    this.#run();
    return promise;
  }

  #run(): void {
    let result: Promise<unknown>;
    try {
      result = this.#fn!(this.#targetObject as never, this);
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
    const rerun = this.rerunOnStall;
    if (rerun !== undefined && this.#reruns < 2 && rerun(err, this)) {
      this.#reruns++;
      this.startedAt = Date.now();
      this.#run();
      return;
    }
    this.#settle(false, err);
  }

  /** The operation settled: release the time limits and settle the attempt (unless aborted). */
  #settle(ok: boolean, outcome: unknown): void {
    this.release();
    if (ok) this.#resolve?.(outcome);
    else this.#reject?.(outcome);
  }

  /** Ends the attempt: counts it as `kind`, rejects it with `error`, aborts the signal with `error`. */
  abort(kind: FailureKind, error: unknown): void {
    if (this.abortKind !== undefined) return;
    this.abortKind = kind;
    this.#abortError = error;
    this.release();
    this.#reject?.(error);
    this.#controller?.abort(error);
  }

  /**
   * Cancels the attempt's time limits: done when it settles or is aborted, and by its owner when
   * the breaker rejected it without running it. Safe to call more than once.
   */
  release(): void {
    const timeout = this.#timeout;
    if (timeout !== undefined) {
      this.#timeout = undefined;
      timeout.cancel();
    }
    const deadline = this.#deadline;
    if (deadline !== undefined) {
      this.#deadline = undefined;
      deadline.cancel();
    }
  }
}
