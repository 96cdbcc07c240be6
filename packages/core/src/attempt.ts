import type { FailureKind } from './failure-kind.js';

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

/**
 * One attempt that something other than the operation itself can end, and its context: its
 * promise rejects as soon as it is aborted, whether or not the operation honours the signal (so a
 * timed-out attempt counts against the breaker at once). Only used when a call has a deadline, an
 * attempt timeout or hedging; plain calls run the operation directly.
 *
 * The AbortController is made on the first read of `signal`: creating a signal costs about 2 us
 * on Node 20, which an operation that never looks at it should not pay.
 */
export class Attempt implements AttemptContext {
  /** The attempt's number on its target, from 1. */
  readonly attempt: number;
  /** Set when the attempt was aborted from outside: the kind the failure is counted as. */
  abortKind: FailureKind | undefined;
  /** Set by the breaker's error filter: the kind the failure was classified as. */
  kind: FailureKind | undefined;
  /** The attempt timeout's timer, when there is one. */
  timer: NodeJS.Timeout | undefined;
  #controller: AbortController | undefined;
  #reject: ((err: unknown) => void) | undefined;
  #abortError: unknown;

  constructor(attempt: number) {
    this.attempt = attempt;
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

  /** Runs the operation; the promise settles with it, or rejects with the abort error first. */
  start<T, R>(fn: Operation<T, R>, target: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.abortKind !== undefined) {
        reject(this.#abortError);
        return;
      }
      this.#reject = reject;
      let result: Promise<R>;
      try {
        result = fn(target, this);
      } catch (err) {
        reject(err);
        return;
      }
      Promise.resolve(result).then(resolve, reject);
    });
  }

  /** Ends the attempt: counts it as `kind`, rejects it with `error`, aborts the signal with `error`. */
  abort(kind: FailureKind, error: unknown): void {
    if (this.abortKind !== undefined) return;
    this.abortKind = kind;
    this.#abortError = error;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.#reject?.(error);
    this.#controller?.abort(error);
  }
}
