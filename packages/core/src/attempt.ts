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

type OnFulfilled = ((value: unknown) => unknown) | undefined | null;
type OnRejected = ((err: unknown) => unknown) | undefined | null;

/**
 * What the breaker awaits for a controlled attempt: a thenable the attempt settles itself, once,
 * with the operation's outcome or, first, with its abort error. A promise there would cost one
 * more promise and one more microtask per call (about 200 ns of a no-op call's 800 on the
 * closed path); this costs one small object.
 *
 * opossum treats any value with a `then` method as the action's promise (its public contract for
 * actions), and subscribes with `.then(onSuccess).catch(onError)`. Every registration is kept, in
 * order: `then` and `catch` return the settlement itself, so a chain of them behaves as a chain
 * of promises would (a fulfilment handler that throws hands its error to the rejection handlers
 * registered after it). `Promise.resolve(settlement)` and `await` work too. Handlers run
 * synchronously when the attempt settles, which is always from a microtask or a timer callback,
 * never from the code that registered them (an abort defers them to a microtask).
 */
/** @internal Exported for its tests. */
export class Settlement implements PromiseLike<unknown> {
  #state = PENDING;
  #value: unknown;
  /** Registrations in order: handlers at 2i (fulfilled) and 2i + 1 (rejected). */
  #handlers: (OnFulfilled | OnRejected)[] | undefined;

  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose (see above)
  then<A = unknown, B = never>(
    onFulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
    onRejected?: ((err: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    if (this.#state !== PENDING) {
      // Settled already: run the handler in a microtask, as a promise would.
      const value = this.#value;
      return (
        this.#state === FULFILLED
          ? Promise.resolve(value).then(onFulfilled)
          : Promise.reject(value).then(undefined, onRejected)
      ) as PromiseLike<A | B>;
    }
    const handlers = this.#handlers;
    if (handlers === undefined) this.#handlers = [onFulfilled as OnFulfilled, onRejected as OnRejected];
    else handlers.push(onFulfilled as OnFulfilled, onRejected as OnRejected);
    return this as PromiseLike<A | B>;
  }

  catch(onRejected: OnRejected): PromiseLike<unknown> {
    return this.then(undefined, onRejected);
  }

  /**
   * Settles once (later calls are ignored) and runs the registrations in order, as promises
   * chained with `then` and `catch` would: what a handler returns goes on down the chain, a handled
   * rejection goes on fulfilled, a handler that throws hands its error on.
   */
  settle(ok: boolean, value: unknown): void {
    if (this.#state !== PENDING) return;
    this.#state = ok ? FULFILLED : REJECTED;
    this.#value = value;
    const handlers = this.#handlers;
    if (handlers === undefined) return;
    this.#handlers = undefined;
    let failed = !ok;
    let current = value;
    for (let i = 0; i < handlers.length; i += 2) {
      const handler = handlers[failed ? i + 1 : i];
      if (typeof handler !== 'function') continue;
      try {
        current = handler(current);
        failed = false;
      } catch (err) {
        failed = true;
        current = err;
      }
    }
  }
}

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

/** One call to run on a target: receives the target and the attempt's context. */
export type Operation<T, R> = (target: T, context: AttemptContext) => Promise<R>;

/**
 * One attempt that something other than the operation itself can end, and its context: what the
 * breaker awaits (a {@link Settlement}) rejects as soon as it is aborted, whether or not the
 * operation honours the signal (so a timed-out attempt counts against the breaker at once). Only used when a call has a deadline, an
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
  /** The name of the target it runs on. */
  get targetName(): string {
    return this.#target;
  }
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
  /** What the breaker awaits, from {@link Attempt.start} on. */
  #settlement: Settlement | undefined;
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
    if (stalls !== undefined && a.#extensions < 3 && a.startedAt >= 0) {
      // This process was blocked for much of the attempt: give it the time it did not get
      // (stall-excuse.ts).
      const excuse = stalls.excuse(a.startedAt, ms, a.#target);
      if (excuse.excused) {
        a.#extensions++;
        a.#timeout = a.#timeouts!.add(excuse.extendMs, Attempt.#timedOut, a);
        return;
      }
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

  /**
   * Runs the operation; what it returns (a thenable) settles with it, or rejects with the abort
   * error first.
   */
  start<T, R>(fn: Operation<T, R>, target: T): PromiseLike<R> {
    if (this.abortKind !== undefined) return Promise.reject(this.#abortError);
    const settlement = new Settlement();
    this.#settlement = settlement;
    this.#fn = fn as unknown as (target: never, context: Attempt) => Promise<unknown>;
    this.#targetObject = target;
    this.#run();
    return settlement as PromiseLike<R>;
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
